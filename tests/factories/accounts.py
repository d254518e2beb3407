"""Users, role grants, notifications and the audit log."""

import factory

from accounts.audit import audit_log
from accounts.models import AuditEvent, Notification, RoleGrant, User
from accounts.roles import Department, Role
from tests.factories.core import lazy_region


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.PostGenerationMethodCall("set_password", "Test-pass-2023")

    @factory.post_generation
    def grant(self, create, extracted, **kwargs):
        """UserFactory(grant=("county_officer", "140105")) or (role, region, department)."""
        if extracted:
            role, region, *department = extracted
            self.region_id = self.region_id or region  # the account belongs where it works
            RoleGrant.objects.create(
                user=self, role=role, region_id=region, department=(department or ["education"])[0]
            )
        if create:
            self.save()


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.COUNTY_OFFICER
    region = lazy_region("140105")
    department = Department.EDUCATION


class AuditEventFactory(factory.django.DjangoModelFactory):
    """Written the way the app writes every event: through accounts.audit.audit_log (the
    table is append-only, in the model and in a PostgreSQL trigger)."""

    class Meta:
        model = AuditEvent

    kind = AuditEvent.Kind.REVEAL
    actor = factory.SubFactory(UserFactory, grant=("vetting_officer", "140105"))
    reason = "核实从业人员身份信息"
    detail = factory.Dict({})

    @classmethod
    def _create(cls, model_class, *, kind, actor=None, username="", reason="", detail=None,
                obj=None):  # fmt: skip
        return audit_log(
            kind=kind, actor=actor, username=username, obj=obj, reason=reason, detail=detail
        )


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))
    kind = Notification.Kind.REMINDER
    title = "县级排查整改将于 3 天后截止"
    body = "小店区尚有 2 家机构未完成排查，请于截止日期前完成。"
    link = "/inspections/"
    reason = "您是该县（市、区）教育部门的检查人员"
    key = factory.Sequence(lambda n: f"reminder:county_screening:140105:{n}")
