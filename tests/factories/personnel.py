"""Staff (ID numbers encrypted through the model's own helper), record checks, dismissals."""

from __future__ import annotations

import datetime as dt
import random

import factory
from django.utils import timezone
from stdnum.cn import ric

from personnel.models import BackgroundCheck, Category, CheckBatch, Dismissal, StaffMember
from tests.factories.accounts import UserFactory
from tests.factories.institutions import InstitutionFactory

_rng = random.Random(7)


def id_number(rng: random.Random = _rng, county: str = "140105", born: dt.date | None = None,
              female: bool | None = None) -> str:  # fmt: skip
    """A valid resident ID number (GB 11643 check digit) for someone born in `county`."""
    born = born or dt.date(1998, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 7))
    sequence = rng.randrange(0, 1000)
    if female is not None and (sequence % 2 == 0) != female:
        sequence = (sequence + 1) % 1000
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"员工{n}")
    post = "administrative"

    @classmethod
    def _create(cls, model_class, *args, number=None, **kwargs):
        staff = model_class(*args, **kwargs)
        staff.set_id_number(number or id_number())
        staff.save()
        return staff


class CheckBatchFactory(factory.django.DjangoModelFactory):
    """A batch of one institution's staff sent to public security."""

    class Meta:
        model = CheckBatch

    region = factory.SelfAttribute("institution.county")
    institution = factory.SubFactory(InstitutionFactory)
    basis = CheckBatch.Basis.INSTITUTION
    note = "新入职人员入职前查询"
    created_by = factory.SubFactory(UserFactory, grant=("vetting_officer", "140105"))


class BackgroundCheckFactory(factory.django.DjangoModelFactory):
    """A pending check; BackgroundCheckFactory(clear=True) or (record=True) has its reply."""

    class Meta:
        model = BackgroundCheck

    class Params:
        clear = factory.Trait(
            status=BackgroundCheck.Status.DONE,
            outcome=BackgroundCheck.Outcome.CLEAR,
            checked_on=factory.LazyFunction(timezone.localdate),
            checked_by="太原市公安局小店分局",
            reference=factory.Sequence(lambda n: f"晋公查〔2023〕{n + 1:04d}号"),
            recorded_by=factory.SelfAttribute("batch.created_by"),
            recorded_at=factory.LazyFunction(timezone.now),
        )
        record = factory.Trait(clear=True, outcome=BackgroundCheck.Outcome.RECORD,
                               category=Category.ABUSE)  # fmt: skip

    batch = factory.SubFactory(CheckBatchFactory)
    staff = factory.SubFactory(
        StaffFactory, institution=factory.SelfAttribute("..batch.institution")
    )


class DismissalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dismissal

    check_result = factory.SubFactory(BackgroundCheckFactory, record=True)
    staff = factory.SelfAttribute("check_result.staff")
    institution = factory.SelfAttribute("staff.institution")
    deadline = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=15))
