"""How an answer to a checklist item is read and judged, the same way wherever it is given:
the officers' inspection (`inspections`) and the institution's own self-inspection
(`selfcheck`). The phone form judges as it types (static/js/inspection_form.js); the server
judges again on every save, submit and correction."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ChecklistItem


def parse_number(item: ChecklistItem, raw) -> Decimal | None:
    """A measured value as the answer column holds it (two decimals, under ten digits, not
    negative). Exponent notation (1e-7, which the browser's number box accepts) is read too.

    The value typed is never echoed back: it may hold control characters or run to pages.
    """
    if raw in ("", None):
        return None
    wrong = ValidationError(
        {item.code: _("%(code)s 的数值不正确，请填写数字（最多两位小数，小于 100 亿）")
         % {"code": item.code}}
    )  # fmt: skip
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise wrong
    text = str(raw).strip()
    if len(text) > 40:
        raise wrong
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise wrong from None
    if not number.is_finite() or abs(number) >= 10**10:
        raise wrong
    # Every measured item is a count or an area: −3 people per room is no answer (and would
    # pass "不超过 6 人"). Judged before rounding, as the form's min="0" box judges it.
    if number < 0:
        raise ValidationError({item.code: _("%(code)s 的数值不能为负数") % {"code": item.code}})
    # Half up, as the phone form rounds before judging (static/js/inspection_form.js).
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def judged_value(item: ChecklistItem, number: Decimal | None, picked: str) -> str:
    """The answer's result. A measured item with a limit is judged by its number alone,
    whatever the officer picked: 1.0 m² against "不少于 3" is non-compliant even if
    合规 was tapped. Without a number it is not answered yet."""
    if not item.has_limit:
        return picked
    broken = item.breaks_limit(number)
    if broken is None:
        return ""
    return "non_compliant" if broken else "compliant"


def judged(item: ChecklistItem) -> bool:
    """Items whose answer can be a problem: yes/no items and measured items with a limit."""
    return item.answer_type == item.AnswerType.COMPLIANCE or item.has_limit
