"""The fee rules at and around every boundary, for both categories (fees/rules.py).

Pure functions: no database. The rule table is the 2023 default (campaign.services):
subject ≤ 3 months and ≤ 60 hours; non-subject additionally ≤ 5,000.00 yuan per charge;
every charge inside the supervised account.
"""

import calendar
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fees import rules
from fees.rules import AMOUNT, HOURS, OFF_PLATFORM, PERIOD, Charge, evaluate, last_allowed_day

SUBJECT = SimpleNamespace(
    max_months=3, max_hours=60, max_amount=None, require_supervised_account=True
)
NON_SUBJECT = SimpleNamespace(
    max_months=3, max_hours=60, max_amount=Decimal("5000.00"), require_supervised_account=True
)
BOTH = pytest.mark.parametrize("rule", [SUBJECT, NON_SUBJECT], ids=["subject", "non_subject"])

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
cents = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2, allow_nan=False
)


def charge(**overrides):
    values = {
        "amount": Decimal("4000.00"),
        "class_hours": 40,
        "period_from": dt.date(2023, 9, 1),
        "period_to": dt.date(2023, 11, 30),
        "supervised": True,
    }
    return Charge(**{**values, **overrides})


def broken(rule, **overrides):
    return {b.rule for b in evaluate(rule, charge(**overrides))}


# -- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "over"),
    [("4999.99", False), ("5000.00", False), ("5000.01", True), ("0.01", False)],
)
def test_non_subject_one_charge_limit_is_5000_yuan_inclusive(amount, over):
    assert (AMOUNT in broken(NON_SUBJECT, amount=Decimal(amount))) is over


@given(amount=cents)
@example(amount=Decimal("4999.99"))
@example(amount=Decimal("5000.00"))
@example(amount=Decimal("5000.01"))
def test_non_subject_amount_breaks_exactly_when_above_5000(amount):
    found = {b.rule: b for b in evaluate(NON_SUBJECT, charge(amount=amount))}
    assert (AMOUNT in found) is (amount > Decimal("5000.00"))
    if AMOUNT in found:
        assert found[AMOUNT].excess == amount - Decimal("5000.00")
        assert found[AMOUNT].limit == "5000.00"


@given(amount=cents)
@example(amount=Decimal("5000.01"))
def test_subject_training_has_no_amount_limit(amount):
    assert AMOUNT not in broken(SUBJECT, amount=amount)


# -- hours ---------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(("hours", "over"), [(59, False), (60, False), (61, True), (None, False)])
def test_60_class_hours_are_allowed_61_are_not(rule, hours, over):
    assert (HOURS in broken(rule, class_hours=hours)) is over


@BOTH
@given(hours=st.integers(min_value=0, max_value=10_000), amount=cents)
@example(hours=59, amount=Decimal("100.00"))
@example(hours=60, amount=Decimal("100.00"))
@example(hours=61, amount=Decimal("6100.00"))
def test_hours_break_exactly_above_60_and_the_excess_is_the_share_beyond(rule, hours, amount):
    found = {b.rule: b for b in evaluate(rule, charge(class_hours=hours, amount=amount))}
    assert (HOURS in found) is (hours > 60)
    if HOURS in found:
        excess = found[HOURS].excess
        assert Decimal("0.00") <= excess <= amount
        assert abs(excess - amount * (hours - 60) / hours) <= Decimal("0.005")


def test_the_hours_excess_is_pro_rata_to_the_fen():
    (breach,) = [b for b in evaluate(SUBJECT, charge(class_hours=61, amount=Decimal("6100")))]
    assert breach.excess == Decimal("100.00")
    assert (breach.limit, breach.actual) == ("60", "61")


# -- months --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "last"),
    [
        ("2023-09-01", "2023-11-30"),  # a school term
        ("2023-01-31", "2023-04-30"),  # April has no 31st
        ("2023-11-30", "2024-02-29"),  # into a leap February
        ("2022-11-30", "2023-02-28"),  # into a common February
        ("2023-11-29", "2024-02-28"),  # 29 Feb exists in 2024: the day before it
        ("2024-02-29", "2024-05-28"),  # from a leap day
        ("2023-03-15", "2023-06-14"),
        ("2023-10-31", "2024-01-30"),  # across the year end
        ("2023-12-01", "2024-02-29"),
    ],
)
def test_exactly_three_months_is_allowed_and_one_more_day_is_not(start, last):
    start, last = dt.date.fromisoformat(start), dt.date.fromisoformat(last)
    assert last_allowed_day(start, 3) == last
    for rule in (SUBJECT, NON_SUBJECT):
        assert PERIOD not in broken(rule, period_from=start, period_to=last)
        assert PERIOD in broken(rule, period_from=start, period_to=last + dt.timedelta(days=1))


@given(start=dates, months=st.integers(min_value=1, max_value=24))
def test_last_allowed_day_is_the_day_before_the_same_date_or_the_month_end(start, months):
    last = last_allowed_day(start, months)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day > calendar.monthrange(year, month)[1]:
        assert last == dt.date(year, month, calendar.monthrange(year, month)[1])
    else:
        assert last + dt.timedelta(days=1) == dt.date(year, month, start.day)
    # Longer limits never allow less; a month always covers at least 28 days.
    assert last_allowed_day(start, months + 1) > last
    assert (last - start).days + 1 >= 28 * months


@BOTH
@given(start=dates, extra=st.integers(min_value=-120, max_value=120))
@example(start=dt.date(2023, 1, 31), extra=0)
@example(start=dt.date(2023, 1, 31), extra=1)
@example(start=dt.date(2024, 2, 29), extra=0)
@example(start=dt.date(2023, 11, 30), extra=0)
def test_period_breaks_exactly_after_the_last_allowed_day(rule, start, extra):
    end = last_allowed_day(start, 3) + dt.timedelta(days=extra)
    if end < start:
        return
    found = {b.rule: b for b in evaluate(rule, charge(period_from=start, period_to=end))}
    assert (PERIOD in found) is (extra > 0)
    if PERIOD in found:
        assert int(found[PERIOD].actual) >= 4
        assert Decimal("0.00") <= found[PERIOD].excess <= Decimal("4000.00")


def test_months_covered_names_the_length_of_a_long_period():
    assert rules.months_covered(dt.date(2023, 9, 1), dt.date(2024, 6, 30)) == 10
    assert rules.months_covered(dt.date(2023, 9, 1), dt.date(2023, 11, 30)) == 3
    assert rules.months_covered(dt.date(2023, 9, 1), dt.date(2023, 12, 1)) == 4


# -- the supervised account and empty limits -----------------------------------------------


@BOTH
@given(amount=cents)
@example(amount=Decimal("0.01"))
def test_any_charge_outside_the_supervised_account_breaks_whatever_its_size(rule, amount):
    found = {b.rule: b for b in evaluate(rule, charge(amount=amount, supervised=False))}
    assert OFF_PLATFORM in found
    assert found[OFF_PLATFORM].excess == amount
    assert OFF_PLATFORM not in broken(rule, amount=amount, supervised=True)


def test_an_empty_limit_does_not_apply():
    lenient = SimpleNamespace(
        max_months=None, max_hours=None, max_amount=None, require_supervised_account=False
    )
    assert (
        broken(
            lenient,
            amount=Decimal("99999.00"),
            class_hours=500,
            period_to=dt.date(2025, 1, 1),
            supervised=False,
        )
        == set()
    )


def test_a_compliant_term_breaks_nothing():
    assert broken(NON_SUBJECT) == set()
    assert broken(SUBJECT) == set()


def test_rules_are_named_as_the_api_names_them():
    assert rules.RULES == (
        "period_over_limit",
        "hours_over_limit",
        "amount_over_limit",
        "off_platform",
    )
