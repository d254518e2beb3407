"""The demo's self-inspections (自查自评, issue #21), written through `selfcheck.services` by the
institutions' own accounts, in each state a newcomer should see:

- `jigou_zhenggai` (杏花岭区): submitted; two items it found itself, one fixed, one past the
  date it set; every item the officials found a problem with it had called 合规, so a major
  one shows on the boards as a self-assessment contradicted;
- `jigou_xiaohao` (迎泽区): submitted, all 合规, one answer corrected afterwards with a reason;
- `jigou_weijian` (小店区, not screened): still filling it in (a draft).

And, so the boards' self-inspection rates are not zero, a few more institutions of 小店区,
迎泽区 and 杏花岭区 get an account from their county officer and submit: one in 小店区 not yet
screened, whose answers `county_xiaodian` sees beside each item when starting its screening.
Idempotent: an institution that has begun its self-inspection is left as it is.
"""

from __future__ import annotations

import datetime as dt
import io

from django.db.models import Exists, OuterRef
from django.utils import timezone
from PIL import Image

from accounts.models import User
from accounts.scope import Scope
from campaign.models import Campaign
from inspections.models import Finding, Inspection
from institutions.accounts import institution_account_open
from institutions.models import Institution, InstitutionAccount
from selfcheck import services
from selfcheck.models import SelfAnswer, SelfInspection

# Items an institution typically finds itself (not among the officials' demo problems).
SELF_FOUND = {
    "1.09": "近两周未按要求消毒，消毒记录缺失",
    "1.10": "空调、电热水器未定期维护，无维护记录",
    "2.05": "租赁合同未写明双方消防安全责任",
}
OFFICERS = {"140105": "county_xiaodian", "140106": "county_yingze", "140107": "county_xinghualing"}
EXTRA_PER_COUNTY = 2


def _photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (480, 360), colour).save(out, "JPEG")
    return out.getvalue()


def _answers(record: SelfInspection, *, found: dict[str, str], skip_after: str = "") -> dict:
    """Every applicable item answered (a number inside every limit), `found` not met with its
    note; with `skip_after`, only the items up to that code (a draft half filled)."""
    answers = {}
    for item in services.applicable_items(record):
        if skip_after and item.code > skip_after:
            break
        if item.answer_type == item.AnswerType.COMPLIANCE:
            bad = item.code in found
            answers[item.code] = {
                "value": "non_compliant" if bad else "compliant",
                "note": found.get(item.code, ""),
            }
        elif item.answer_type == item.AnswerType.NUMBER:
            answers[item.code] = {"number": "5.5"}
    return answers


def _fill(user: User, *, found: dict[str, str], submit: bool, days_ago: int) -> SelfInspection:
    scope = Scope.for_user(user)
    record = services.self_inspection_start(scope=scope, actor=user)
    record = services.self_save_draft(
        self_inspection=record,
        actor=user,
        scope=scope,
        version=record.version,
        answers=_answers(record, found=found, skip_after="" if submit else "1.10"),
    )
    for n, code in enumerate(found):
        services.self_photo_add(
            self_inspection=record, code=code, actor=user, scope=scope,
            data=_photo(("firebrick", "darkorange", "steelblue")[n % 3]), filename=f"{code}.jpg",
        )  # fmt: skip
    if not submit:
        return record
    record.refresh_from_db()
    record = services.self_submit(
        self_inspection=record,
        actor=user,
        scope=scope,
        version=record.version,
        fix_by=timezone.localdate() + dt.timedelta(days=10) if found else None,
        summary="已组织全体员工对照九项规定逐项自查，发现的问题正在整改。"
        if found
        else "已对照九项规定逐项自查，未发现问题。",
    )
    # Submitted in the campaign's first days, before the county screened most institutions
    # (a self-assessment counts against the officials' findings made after it).
    start = timezone.make_aware(dt.datetime.combine(record.campaign.starts_on, dt.time(9)))
    when = min(start + dt.timedelta(hours=days_ago), timezone.now())
    SelfInspection.objects.filter(pk=record.pk).update(submitted_at=when)
    return record


def _account(institution: Institution, county: str) -> User | None:
    existing = InstitutionAccount.objects.filter(institution=institution).first()
    if existing is not None:
        return existing.user
    officer = User.objects.filter(username=OFFICERS[county]).first()
    if officer is None:
        return None
    account, _password = institution_account_open(
        institution=institution, actor=officer, scope=Scope.for_user(officer)
    )
    return account.user


def _extras(county: str) -> list[Institution]:
    """A county's institutions for the extra self-inspections: one with a major problem found
    (so a contradiction shows) and others; in 小店区 one not yet screened comes first."""
    begun = SelfInspection.objects.filter(institution=OuterRef("pk"))
    base = Institution.objects.filter(county_id=county, status=Institution.Status.OPERATING)
    base = base.exclude(Exists(begun)).exclude(
        Exists(InstitutionAccount.objects.filter(institution=OuterRef("pk")))
    )
    major = Finding.objects.filter(task__institution=OuterRef("pk"), severity="major")
    screened = Inspection.objects.filter(
        institution=OuterRef("pk"), status=Inspection.Status.SUBMITTED
    )
    wanted = [base.filter(Exists(major))]
    if county == "140105":
        wanted.insert(0, base.exclude(Exists(screened)))
    picked: list[Institution] = []
    for candidates in wanted:
        found = candidates.exclude(pk__in=[i.pk for i in picked]).order_by("pk").first()
        if found is not None:
            picked.append(found)
    rest = base.exclude(pk__in=[i.pk for i in picked]).order_by("-pk")
    picked += list(rest[: max(EXTRA_PER_COUNTY - len(picked), 0)])
    return picked[:EXTRA_PER_COUNTY]


def self_inspection_demo_create(*, campaign: Campaign) -> int:
    """Self-inspections in several states; returns how many were begun now."""
    made = 0
    plan = [
        ("jigou_zhenggai", {"1.09": SELF_FOUND["1.09"], "1.10": SELF_FOUND["1.10"]}, True, 20),
        ("jigou_xiaohao", {}, True, 25),
        ("jigou_weijian", {}, False, 0),
    ]
    for username, found, submit, days_ago in plan:
        user = User.objects.filter(username=username).first()
        if user is None or not hasattr(user, "institution_account"):
            continue
        if SelfInspection.objects.filter(institution=user.institution_account.institution).exists():
            continue
        record = _fill(user, found=found, submit=submit, days_ago=days_ago)
        made += 1
        scope = Scope.for_user(user)
        if username == "jigou_zhenggai":
            fixed, late = list(
                record.answers.filter(value=SelfAnswer.Value.NON_COMPLIANT).order_by("item__code")
            )
            services.self_fix_done(
                answer=fixed, actor=user, scope=scope, note="已制定每日消毒制度，专人负责并逐日登记"
            )
            # The other one's date has passed: the county sees it late on its list.
            SelfAnswer.objects.filter(pk=late.pk).update(
                fix_by=timezone.localdate() - dt.timedelta(days=3)
            )
        elif username == "jigou_xiaohao":
            services.self_amend(
                self_inspection=record, actor=user, scope=scope, code="2.05", value="na",
                reason="场所为自有房产，不涉及租赁合同，提交时误选合规",
            )  # fmt: skip
    for county in OFFICERS:
        # Idempotent: a county that has its extra self-inspections gets no more.
        have = (
            SelfInspection.objects.filter(institution__county_id=county)
            .exclude(institution__accounts__user__username__startswith="jigou_")
            .count()
        )
        for n, institution in enumerate(_extras(county)[: max(EXTRA_PER_COUNTY - have, 0)]):
            user = _account(institution, county)
            if user is None:
                continue
            found = {"2.05": SELF_FOUND["2.05"]} if n % 2 else {}
            _fill(user, found=found, submit=True, days_ago=5 + n * 3)
            made += 1
    return made
