"""The fee rules as pure functions: a rule (the campaign's FeeRule) and a charge in, violations out.

Nothing here reads the database. A rule is any object with `max_months`, `max_hours`,
`max_amount` and `require_supervised_account` (campaign.models.FeeRule); a limit left
empty does not apply. Exactly the limit is allowed, above it is not (MISSION.md).

**How long is "3 months".** A charge covers the days `period_from` … `period_to`, both
included. `n` months from a start date end on the day before the same day of the month
`n` months later; when that later month has no such day (31 April, 30 February), they end
on the last day of that month. So:

- 1 Sep – 30 Nov is exactly 3 months (allowed); 1 Sep – 1 Dec is over;
- 31 Jan 2023 – 30 Apr 2023 is exactly 3 months; 30 Nov 2023 – 29 Feb 2024 likewise
  (leap year), 30 Nov 2022 – 28 Feb 2023 likewise;
- 15 Mar – 14 Jun is exactly 3 months; 15 Mar – 15 Jun is over.

In code: `period_to <= last_allowed_day(period_from, n)`.

**What must be refunded.** Each violation carries the excess it represents, in yuan:
the amount above the one-charge limit; for a period or hours over the limit, the share of
the charge for the days or hours beyond it (pro rata, to the fen, half up); for a charge
outside the supervised account, the whole charge (it must be refunded, or the institution
shows it is now in the account).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PERIOD = "period_over_limit"
HOURS = "hours_over_limit"
AMOUNT = "amount_over_limit"
OFF_PLATFORM = "off_platform"
RULES = (PERIOD, HOURS, AMOUNT, OFF_PLATFORM)

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Charge:
    """The facts of one charge the rules look at."""

    amount: Decimal
    class_hours: int | None
    period_from: dt.date
    period_to: dt.date
    supervised: bool


@dataclass(frozen=True)
class Breach:
    rule: str
    limit: str  # the limit as written in the rule, e.g. "3" (months) or "5000.00"
    actual: str  # the charge's own value, e.g. "4" or "5000.01"
    excess: Decimal  # yuan over the limit (what a refund must cover)


def last_allowed_day(start: dt.date, months: int) -> dt.date:
    """The last day a charge starting on `start` may cover when limited to `months` months."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    days_in_month = calendar.monthrange(year, month)[1]
    if start.day > days_in_month:
        return dt.date(year, month, days_in_month)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def period_days(charge: Charge) -> int:
    return (charge.period_to - charge.period_from).days + 1


def months_covered(start: dt.date, end: dt.date) -> int:
    """The smallest whole number of months (as defined above) that covers start … end."""
    months = 0
    while last_allowed_day(start, months) < end:
        months += 1
    return months


def _share(amount: Decimal, part: int | Decimal, whole: int | Decimal) -> Decimal:
    return (amount * Decimal(part) / Decimal(whole)).quantize(FEN, rounding=ROUND_HALF_UP)


def evaluate(rule, charge: Charge) -> list[Breach]:
    """Every rule the charge breaks, in the order of RULES; empty when it keeps them all."""
    found = []
    if rule.max_months is not None:
        last = last_allowed_day(charge.period_from, rule.max_months)
        if charge.period_to > last:
            over = (charge.period_to - last).days
            found.append(
                Breach(
                    PERIOD,
                    str(rule.max_months),
                    str(months_covered(charge.period_from, charge.period_to)),
                    _share(charge.amount, over, period_days(charge)),
                )
            )
    hours = charge.class_hours
    if rule.max_hours is not None and hours is not None and hours > rule.max_hours:
        over = hours - rule.max_hours
        found.append(
            Breach(HOURS, str(rule.max_hours), str(hours), _share(charge.amount, over, hours))
        )
    if rule.max_amount is not None and charge.amount > rule.max_amount:
        found.append(
            Breach(
                AMOUNT,
                str(rule.max_amount.quantize(FEN)),
                str(charge.amount.quantize(FEN)),
                (charge.amount - rule.max_amount).quantize(FEN),
            )
        )
    if rule.require_supervised_account and not charge.supervised:
        found.append(Breach(OFF_PLATFORM, "", "", charge.amount.quantize(FEN)))
    return found
