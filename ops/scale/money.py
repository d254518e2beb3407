"""Fee records with the violations the campaign's rule table finds in them, complaints."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.utils import timezone

from campaign.models import FeeRule
from complaints.models import Category, Channel
from complaints.rules import DEFAULT_RULES
from complaints.services import contact_seal, tracking_digest
from fees import rules

from .base import Run, copy_rows, indexes_deferred, next_ids
from .registry import person_name

_COURSES = ["数学提高班", "英语口语", "少儿美术", "街舞基础", "钢琴一对一", "跆拳道", "编程入门",
            "游泳速成", "书法", "围棋", "篮球训练营", "机器人"]  # fmt: skip


def fees(run: Run, made: list, plans: dict, users: dict) -> None:
    """About 17 charges an operating institution; most within the rules, a few over the
    period, hours or amount limit or paid outside the supervised account, each breach a
    violation found by the same rules.evaluate the importer uses."""
    rng, plan = run.rng, run.plan
    today = timezone.localdate()
    start = dt.date(plan.year, 3, 1)
    span = max(1, (today - start).days)
    table = {
        (province, rule.category): rule
        for province, p in plans.items()
        for rule in FeeRule.objects.filter(campaign=p["campaign"])
    }
    operating = [i for i in made if i[5] != "closed"] or made
    n = plan.fee_records
    ids = next_ids("fees_feerecord", n)
    violations = []
    now = timezone.now()
    # Each province's campaign sets its own days to rectify (fees/evaluation.RuleTable).
    deadlines = {
        province: today + dt.timedelta(days=p["campaign"].fee_rectify_days)
        for province, p in plans.items()
    }

    def rows():
        for pk in ids:
            pk_inst, county, category, *_rest = rng.choice(operating)
            charged = start + dt.timedelta(days=rng.randrange(span))
            roll = rng.random()
            months = rng.choice([1, 1, 2, 3, 3]) if roll > 0.03 else rng.choice([4, 6, 12])
            hours = rng.choice([12, 24, 36, 48, 60]) if roll > 0.02 else rng.choice([72, 96])
            amount = (
                Decimal(rng.randrange(300, 4800))
                if roll > 0.015
                else Decimal(rng.randrange(5001, 20000))
            )
            period_to = rules.last_allowed_day(charged, months)
            supervised = rng.random() > 0.02
            contract = f"HT{pk:010d}"
            rule = table.get((county[:2], category))
            checked = None
            if rule is not None:
                checked = now
                charge = rules.Charge(amount=amount, class_hours=hours, period_from=charged,
                                      period_to=period_to, supervised=supervised)  # fmt: skip
                for breach in rules.evaluate(rule, charge):
                    violations.append((pk, pk_inst, breach, county))
            yield (
                pk_inst, contract, person_name(rng), rng.choice(_COURSES), amount, hours, charged,
                period_to, charged, supervised, f"c|{contract}|{charged.isoformat()}", "import",
                checked, users[f"scale-county-{county}"], now,
            )  # fmt: skip

    with run.step("fee records"), indexes_deferred("fees_feerecord"):
        run.counts["fee records"] = copy_rows(
            "fees_feerecord",
            ["id", "institution_id", "contract_number", "student", "course", "amount", "class_hours",
             "period_from", "period_to", "charged_on", "supervised", "natural_key", "source",
             "checked_at", "created_by_id", "created_at"],
            ((pk, *row) for pk, row in zip(ids, rows(), strict=True)),
        )  # fmt: skip

    def violation_rows():
        for record, institution, breach, county in violations:
            status = rng.choices(["open", "reported", "closed"], [5, 2, 3])[0]
            closed = status == "closed"
            yield (
                record, institution, breach.rule, breach.limit, breach.actual, breach.excess, status,
                deadlines[county[:2]], now, now if status != "open" else None,
                "已退费" if status != "open" else "", now if closed else None,
                users[f"scale-county-{county}"] if closed else None,
                "refunded" if closed else "", "退费到位" if closed else "", 0,
            )  # fmt: skip

    with run.step("fee violations"):
        run.counts["fee violations"] = copy_rows(
            "fees_feeviolation",
            ["record_id", "institution_id", "rule", "limit", "actual", "excess", "status", "deadline", "found_at",
             "reported_at", "report_note", "closed_at", "closed_by_id", "closure", "close_note",
             "reopened_count"],
            violation_rows(),
        )  # fmt: skip


def complaints(run: Run, made: list, plans: dict, users: dict) -> None:
    """Complaints and tips over the year, most about a registered institution, in every
    state; contacts sealed with complaints' own encryption, tracking codes kept hashed."""
    rng, plan = run.rng, run.plan
    now = timezone.now()
    start = timezone.make_aware(dt.datetime(plan.year, 1, 1, 9))
    span = max(1, int((now - start).total_seconds()))
    categories = [c for c in Category.values]
    weights = [3 if c == Category.FEES else 2 if c == Category.SAFETY else 1 for c in categories]
    channels = [c for c in Channel.values]
    n = plan.complaints
    ids = next_ids("complaints_case", n)
    # A few distinct sealed contacts, reused: Fernet costs ~10 µs, and the contact's content
    # matters to no page (only its masked copy is listed).
    seals = [contact_seal(person_name(rng), f"13{rng.randrange(10**9):09d}") for _ in range(64)]

    def rows():
        for pk in ids:
            pk_inst, county, *_rest = rng.choice(made)
            category = rng.choices(categories, weights)[0]
            received = start + dt.timedelta(seconds=rng.randrange(span))
            deadline = received + dt.timedelta(hours=DEFAULT_RULES[category][0])
            # Older cases are settled; about half of the last six weeks' are still open.
            recent = (now - received).days < 42
            status = rng.choices(
                ["new", "assigned", "referred", "closed"], [1, 2, 1, 4] if recent else [0, 1, 0, 99]
            )[0]
            if category != Category.MINOR_OFFENCE and status == "referred":
                status = "assigned"
            closed = status == "closed"
            token, masked = rng.choice(seals) if rng.random() < 0.7 else ("", "")
            code = hashlib.sha256(f"{plan.seed}:{pk}".encode()).hexdigest()[:12].upper()
            officer = users[f"scale-county-{county}"]
            yield (
                pk, tracking_digest(code), f"TS{received.year}{pk:07d}", rng.choice(channels),
                category, county, pk_inst if rng.random() < 0.9 else None, "",
                "家长反映该机构存在问题，请核查处理。", token, masked, "", status, received,
                deadline, plans[county[:2]]["campaign"].pk, "已核查处理" if closed else "",
                received + dt.timedelta(days=rng.randrange(1, 10)) if closed else None,
                officer if closed else None, officer, received, "",
            )  # fmt: skip

    with run.step("complaints"):
        run.counts["complaints"] = copy_rows(
            "complaints_case",
            ["id", "tracking_digest", "number", "channel", "category", "county_id",
             "institution_id", "institution_name", "description", "contact_token",
             "contact_masked", "external_ref", "status", "received_at", "deadline",
             "campaign_id", "result", "closed_at", "closed_by_id", "created_by_id",
             "created_at", "no_referral_reason"],
            rows(),
        )  # fmt: skip
