"""/api/v1/notifications/: the caller's own notifications; mark one or all read.

As in the bell, routine messages come as one digest a day (kind "digest"), its messages in
`items`; reading the digest reads it once."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Notification
from accounts.notifications import inbox, notifications_mark_read
from accounts.viewsets import ScopedViewSetMixin


class NotificationItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "reason", "created_at", "read_at"]


class NotificationSerializer(serializers.ModelSerializer):
    items = NotificationItemSerializer(many=True, read_only=True)

    class Meta:
        model = Notification
        fields = [*NotificationItemSerializer.Meta.fields, "items"]


class NotificationFilterSet(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    kind = filters.ChoiceFilter(choices=Notification.Kind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationViewSet(ScopedViewSetMixin, mixins.ListModelMixin,
                          mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Only the caller's own: someone else's notification is a 404, like a missing one."""

    read_permission = "dashboard.view"
    queryset = Notification.objects.none()  # the model, for the schema; rows: get_queryset
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return inbox(self.request.user).order_by("-created_at", "-id")

    # Marking read goes through the bell page's own function (a notification read twice
    # keeps its first time).
    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        notifications_mark_read(user=request.user, pk=note.pk)
        note.refresh_from_db()
        return Response(self.get_serializer(note).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = notifications_mark_read(user=request.user)
        return Response({"marked": marked})
