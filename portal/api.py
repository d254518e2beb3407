"""/api/v1/org/…: the institution side's reads for an institution's own account (`portal.use`;
every official gets 403): its problems (requirement, deadline, state, the re-inspection's
opinion), its staff (ID numbers masked) and its fee records with their violations. Only its
own rows: another institution's id is 404, as if it did not exist. Read only: its writes
(receipts, self-inspection, staff, fees) go through its pages, whose services check them."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from accounts.viewsets import ScopedViewSetMixin
from fees.models import FeeRecord, FeeViolation
from inspections.models import Finding
from personnel.models import StaffMember

from . import selectors


class _OwnViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  viewsets.GenericViewSet):  # fmt: skip
    read_permission = "portal.use"
    ordering_fields = ["id"]


class OrgProblemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    item = serializers.CharField(source="item.text", read_only=True)
    department = serializers.CharField(source="task.department", read_only=True)
    deadline = serializers.DateField(source="effective_deadline", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "code", "item", "section", "severity", "description", "requirement",
                  "department", "deadline", "status", "reported_at", "report_note",
                  "verified_at", "verify_note"]  # fmt: skip


class OrgProblemViewSet(_OwnViewSet):
    """The problems found at the institution's premises (整改回执 is sent on its page)."""

    queryset = Finding.objects.none()
    serializer_class = OrgProblemSerializer

    def get_queryset(self):
        return selectors.own_problems(scope=self.scope)


class OrgStaffSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="id_masked", read_only=True)

    class Meta:
        model = StaffMember
        fields = ["id", "name", "id_number", "post", "employed_from", "employed_until",
                  "teacher_certificate", "platform_complete"]  # fmt: skip


class OrgStaffViewSet(_OwnViewSet):
    """The institution's own staff list; ID numbers masked, as on every page."""

    queryset = StaffMember.objects.none()
    serializer_class = OrgStaffSerializer

    def get_queryset(self):
        return selectors.own_staff(scope=self.scope).order_by("pk")


class OrgViolationSerializer(serializers.ModelSerializer):
    class Meta:
        model = FeeViolation
        fields = ["id", "rule", "status", "deadline"]


class OrgFeeRecordSerializer(serializers.ModelSerializer):
    violations = OrgViolationSerializer(many=True, read_only=True)

    class Meta:
        model = FeeRecord
        fields = ["id", "contract_number", "student", "course", "amount", "class_hours",
                  "period_from", "period_to", "charged_on", "supervised", "violations"]  # fmt: skip


class OrgFeeRecordViewSet(_OwnViewSet):
    """The institution's fee records, each with the rules it broke."""

    queryset = FeeRecord.objects.none()
    serializer_class = OrgFeeRecordSerializer

    def get_queryset(self):
        return selectors.own_fee_records(scope=self.scope).order_by("pk")
