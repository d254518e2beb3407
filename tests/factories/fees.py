"""Charges, the fee violations found in them, refunds."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from fees.models import FeeRecord, FeeViolation, Refund
from fees.services import natural_key
from tests.factories.accounts import UserFactory
from tests.factories.institutions import InstitutionFactory


class FeeRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeRecord

    institution = factory.SubFactory(InstitutionFactory)
    contract_number = factory.Sequence(lambda n: f"BY2023{n + 1:05d}")
    student = factory.Faker("name", locale="zh_CN")
    course = "少儿中国舞基础班（秋季）"
    amount = Decimal("3600.00")
    class_hours = 48
    period_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    period_to = factory.LazyAttribute(lambda o: o.period_from + dt.timedelta(days=89))
    charged_on = factory.SelfAttribute("period_from")
    supervised = True
    # As fees.services computes it, so an import of the same charge finds this row.
    natural_key = factory.LazyAttribute(
        lambda o: natural_key(
            contract_number=o.contract_number, student=o.student, course=o.course,
            amount=o.amount, period_from=o.period_from, period_to=o.period_to,
            charged_on=o.charged_on,
        )
    )  # fmt: skip
    source = FeeRecord.Source.MANUAL
    created_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))


class FeeViolationFactory(factory.django.DjangoModelFactory):
    """A charge collected outside the supervised account: the whole amount to put right."""

    class Meta:
        model = FeeViolation

    record = factory.SubFactory(FeeRecordFactory, supervised=False)
    institution = factory.SelfAttribute("record.institution")
    rule = FeeViolation.Rule.OFF_PLATFORM
    excess = factory.SelfAttribute("record.amount")
    deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    record = factory.SubFactory(FeeRecordFactory)
    amount = Decimal("1200.00")
    refunded_on = factory.LazyFunction(timezone.localdate)
    payee = factory.LazyAttribute(lambda o: f"{o.record.student}家长")
    note = "超期收费部分原路退回"
    recorded_by = factory.SubFactory(UserFactory, grant=("county_officer", "140105"))
