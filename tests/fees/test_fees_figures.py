"""The kept fee figures (fees/figures.py): the same numbers as the live ones, per scope and
region, with their age; refreshed by the beat and after 10 minutes."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.scope import Scope
from clock.schedule import KEPT_REFRESH, KEPT_REFRESH_NAME
from fees.figures import kept_fee_figures, refresh_fee_figures
from fees.selectors import fee_figures
from fees.services import fee_violation_close, fee_violation_report, refund_record
from progress import dashboards, tasks
from tests.fees.test_fees_pages import campaign, enter, records  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def without_time(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "computed_at"}


@pytest.fixture
def busy(cast, places, records):  # noqa: F811
    """Violations in every state and a refund, in two counties of two cities."""
    scope = Scope.for_user(cast.xiaodian)
    reported = enter(cast.xiaodian, places.xiaodian, "5600.00", contract_number="XD-R")
    fee_violation_report(
        violation=reported.violations.get(), actor=cast.xiaodian, scope=scope, note="已整改"
    )
    closed = enter(cast.xiaodian, places.xiaodian, "5700.00", contract_number="XD-C")
    fee_violation_close(
        violation=closed.violations.get(), actor=cast.xiaodian, scope=scope, note="凭证"
    )
    refund_record(
        record=records["xiaodian"], actor=cast.xiaodian, scope=scope, amount=Decimal("200.00"),
        refunded_on=dt.date(2023, 10, 1), payee="家长甲",
    )  # fmt: skip
    # A charge over two limits at once counts once in the money above the limits.
    enter(cast.xiaodian, places.xiaodian, "9000.00", contract_number="XD-2X", class_hours=1000)
    return records


@pytest.mark.parametrize(
    "who, region",
    [("xiaodian", ""), ("xiaodian", "140105"), ("taiyuan", ""), ("taiyuan", "140105"),
     ("province", ""), ("province", "14"), ("province", "1402"), ("province", "#")],
)  # fmt: skip
def test_kept_figures_are_the_live_figures_of_each_scope_and_region(cast, busy, who, region):
    scope = Scope.for_user(getattr(cast, who))
    kept = kept_fee_figures(scope, region)
    assert without_time(kept) == fee_figures(scope, region)
    assert kept["computed_at"] <= timezone.now()


def test_the_kept_figures_add_up_what_the_live_ones_do(cast, busy):
    figures = kept_fee_figures(Scope.for_user(cast.province), "14")
    assert (figures["charges"], figures["violations"], figures["open"]) == (6, 6, 5)
    assert (figures["closed"], figures["refunded_amount"]) == (1, 200)
    assert figures["violating_charges"] == 5  # XD-2X broke two rules: one charge


def test_the_copy_is_shown_with_its_time_and_refreshed_after_ten_minutes(client, cast, busy):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="board-fees-counted-at"' in page and "每 10 分钟更新" in page
    ledger = client.get(reverse("fees:ledger")).content.decode()
    assert "以上数字统计于" in ledger and "下方列表为实时数据" in ledger
    before = kept_fee_figures(Scope.for_user(cast.xiaodian))
    # With nothing written, readers share the copy for ten minutes…
    assert kept_fee_figures(Scope.for_user(cast.xiaodian))["computed_at"] == before["computed_at"]
    # …then the next reader adds the province up again.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        after = kept_fee_figures(Scope.for_user(cast.xiaodian))
    assert after["computed_at"] > before["computed_at"]
    assert without_time(after) == without_time(before)


def test_a_write_in_one_province_leaves_the_others_copies_alone(
    cast, busy, django_capture_on_commit_callbacks
):
    from accounts.models import RoleGrant
    from core.models import Region
    from tests.factories import UserFactory

    Region.objects.create(code="150000", name="内蒙古自治区", level="province")
    other = UserFactory()
    RoleGrant.objects.create(
        user=other, role="province_staff", region_id="150000", department="education"
    )
    mongolia, shanxi = Scope.for_user(other), Scope.for_user(cast.province)
    theirs, ours = kept_fee_figures(mongolia, "15"), kept_fee_figures(shanxi, "14")
    with django_capture_on_commit_callbacks(execute=True):
        enter(cast.xiaodian, busy["xiaodian"].institution, "7000.00", contract_number="XD-9")
    assert kept_fee_figures(mongolia, "15")["computed_at"] == theirs["computed_at"]
    assert kept_fee_figures(shanxi, "14")["charges"] == ours["charges"] + 1


def test_a_change_made_while_the_copy_is_added_up_is_not_lost(cast, busy, monkeypatch):
    from core import kept
    from fees import figures
    from fees.changes import changed_key

    build = figures.live_fee_facts

    def slow_build(prefix, today):
        facts = build(prefix, today)  # read before the change below commits
        kept.mark_changed(changed_key("14"))
        return facts

    monkeypatch.setattr(figures, "live_fee_facts", slow_build)
    first = figures.refresh_fee_figures("14")
    monkeypatch.undo()
    # The copy was kept behind the change's count: its next reader adds it up again.
    again = kept_fee_figures(Scope.for_user(cast.province), "14")
    assert again["computed_at"] > first.computed_at


def test_the_beat_refreshes_progress_and_fee_copies(cast, busy, campaign):  # noqa: F811
    old_fees = refresh_fee_figures("14")
    old_progress = dashboards.refresh_summary(campaign)
    enter(cast.xiaodian, busy["xiaodian"].institution, "7000.00", contract_number="XD-9")
    assert tasks.refresh_kept_figures.apply().get() == 2  # one campaign, one province
    fees = kept_fee_figures(Scope.for_user(cast.province), "14")
    assert fees["computed_at"] > old_fees.computed_at and fees["charges"] == 7
    progress = dashboards.summary_facts(campaign, timezone.localdate())
    assert progress.computed_at > old_progress.computed_at
    task = PeriodicTask.objects.get(name=KEPT_REFRESH_NAME)
    assert (task.task, task.interval.every, task.interval.period) == (KEPT_REFRESH, 5, "minutes")


def test_without_fees_view_there_are_no_kept_figures(cast, busy):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory

    fire = UserFactory(grant=("department_user", "140105", "fire"))
    with pytest.raises(PermissionDenied):
        kept_fee_figures(Scope.for_user(fire), "140105")


def test_a_violation_carries_its_charges_institution(cast, busy):
    from fees.models import FeeViolation

    pairs = FeeViolation.objects.values_list("institution_id", "record__institution_id")
    assert len(pairs) == 6 and all(mine == charge for mine, charge in pairs)


def test_whoever_changes_fees_sees_it_on_the_next_page(
    cast, busy, django_capture_on_commit_callbacks
):
    scope = Scope.for_user(cast.xiaodian)
    before = kept_fee_figures(scope)
    # A charge entered, a refund recorded, a violation closed: each shows once committed…
    with django_capture_on_commit_callbacks(execute=True):
        record = enter(
            cast.xiaodian, busy["xiaodian"].institution, "7000.00", contract_number="XD-9"
        )
    assert kept_fee_figures(scope)["charges"] == before["charges"] + 1
    with django_capture_on_commit_callbacks(execute=True):
        refund_record(
            record=record, actor=cast.xiaodian, scope=scope, amount=Decimal("2000.00"),
            refunded_on=dt.date(2023, 10, 2), payee="家长乙",
        )  # fmt: skip
    after = kept_fee_figures(scope)
    assert after["refunded_amount"] == before["refunded_amount"] + 2000
    assert after["closed"] == before["closed"] + 1  # the refund covered the excess
    # …and a reader with nothing new keeps the copy.
    assert kept_fee_figures(scope)["computed_at"] == after["computed_at"]


def test_an_institution_moved_to_another_county_moves_its_fees_on_the_next_page(
    cast, busy, django_capture_on_commit_callbacks
):
    from core.models import Region
    from institutions.services import institution_update

    scope = Scope.for_user(cast.taiyuan)
    place = busy["xiaodian"].institution
    before = kept_fee_figures(scope, "140105")
    assert before["charges"] > 0
    with django_capture_on_commit_callbacks(execute=True):
        institution_update(
            institution=place, actor=cast.admin, county=Region.objects.get(code="140106")
        )
    # Its charges leave 小店区's figures and join 迎泽区's, without waiting ten minutes.
    for region in ("140105", "140106", ""):
        assert without_time(kept_fee_figures(scope, region)) == fee_figures(scope, region)
    assert kept_fee_figures(scope, "140105")["charges"] < before["charges"]
