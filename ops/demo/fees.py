"""Demo fee records for `seed_demo`: a term of charges at 太原市 institutions, as county
officers import them from the national platform, checked against the campaign's rule table
(fees/evaluation.py) — most within the limits, some over a limit or outside the supervised
account — and a few refunds by county officers that close their violations. Deterministic; nothing is
added when any fee record exists."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.scope import Scope
from fees import rules
from fees.evaluation import evaluate_records
from fees.models import FeeRecord, FeeViolation
from fees.services import natural_key, refund_record
from institutions.models import Institution
from tabular.bulk import insert_with_history

_COURSES = ["少儿舞蹈", "美术基础", "编程启蒙", "篮球训练", "钢琴", "书法", "围棋", "游泳"]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


@transaction.atomic
def fee_demo_create(*, importer, refunders, institutions: int = 300) -> int:
    """Charges of up to `institutions` operating 太原市 institutions, imported by `importer`;
    each of `refunders` (county officers) records refunds on two charges over the amount
    limit in their county. Returns how many charges."""
    if FeeRecord.objects.exists():
        return 0
    rng = random.Random(2023)
    today = timezone.localdate()
    term = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    places = Institution.objects.filter(
        county__code__startswith="1401", status=Institution.Status.OPERATING
    ).order_by("id")[:institutions]
    records = []
    for place in places:
        for n in range(rng.randint(1, 4)):
            charged = min(term + dt.timedelta(days=rng.randrange(75)), today)
            roll = rng.random()
            months = rng.choice([1, 2, 3, 3]) if roll > 0.06 else rng.choice([6, 12])
            amount = Decimal(
                rng.randrange(600, 4800) if roll > 0.08 else rng.randrange(5200, 12000)
            )
            values = {
                "contract_number": f"HT{place.pk:06d}{n}",
                "student": rng.choice(_SURNAMES) + "同学",
                "course": rng.choice(_COURSES),
                "amount": amount,
                "period_from": charged,
                "period_to": rules.last_allowed_day(charged, months),
                "charged_on": charged,
            }
            records.append(
                FeeRecord(
                    institution=place,
                    class_hours=rng.choice([24, 36, 48, 60]),
                    supervised=rng.random() > 0.04,
                    natural_key=natural_key(**values),
                    source=FeeRecord.Source.IMPORT,
                    created_by=importer,
                    **values,
                )  # fmt: skip
            )
    insert_with_history(records, FeeRecord, user=importer, reason="演示数据：全国平台收费明细导入")
    evaluate_records(records, actor=importer, fresh=True)
    for refunder in refunders:
        scope = Scope.for_user(refunder)
        over = scope.institutions(
            FeeViolation.objects.filter(rule=FeeViolation.Rule.AMOUNT), "fees.change",
            path="institution",
        ).select_related("record").order_by("id")[:2]  # fmt: skip
        for violation in over:
            refund_record(
                record=violation.record, actor=refunder, scope=scope, amount=violation.excess,
                refunded_on=today, payee=f"{violation.record.student}家长",
                note="演示：超额部分已退还",
            )  # fmt: skip
    return len(records)
