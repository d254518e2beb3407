from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from . import selectors
from .mixins import ScopedViewMixin
from .models import AuditEvent, Notification
from .notifications import inbox, notifications_mark_read
from .scope import get_in_scope_or_404


class AuditLogView(ScopedViewMixin, TemplateView):
    permission = "audit.view"
    template_name = "accounts/audit_log.html"

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        username = self.request.GET.get("username", "").strip()
        events = selectors.audit_event_list(scope=self.scope, kind=kind, username=username)
        page = Paginator(events, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page=page,
            events=selectors.audit_targets(page.object_list),
            kinds=AuditEvent.Kind.choices,
            kind=kind,
            username=username,
            **kwargs,
        )


class NotificationListView(ScopedViewMixin, TemplateView):
    permission = "notifications.view"
    template_name = "accounts/notifications.html"

    def get_context_data(self, **kwargs):
        notes = inbox(self.request.user)  # a digest shows its items (links) inside it
        return super().get_context_data(
            page=Paginator(notes, 30).get_page(self.request.GET.get("page")), **kwargs
        )


class NotificationReadView(ScopedViewMixin, View):
    """Mark one notification (or, without a pk, all of them) read; go to what it points at."""

    permission = "notifications.view"

    def post(self, request, pk=None):
        if pk is None:
            notifications_mark_read(user=request.user)
            return redirect("notifications")
        note = get_in_scope_or_404(Notification.objects.filter(user=request.user), pk=pk)
        notifications_mark_read(user=request.user, pk=note.pk)
        if note.kind == Notification.Kind.DIGEST:
            # Opening a digest shows its items, each with its own link.
            return redirect(f"{reverse('notifications')}#notification-{note.pk}")
        return redirect(
            note.link
            if url_has_allowed_host_and_scheme(note.link, None) and note.link
            else "notifications"
        )
