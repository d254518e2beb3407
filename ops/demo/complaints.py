"""Demo complaints: two suspected offences against minors in 小店区, one referred to the
police and one closed after the city approved the reason not to refer (complaints/no_referral.py).
Written through the services, so the history, audit and notifications are the real ones."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.scope import Scope
from complaints import no_referral, services
from complaints.models import Case, Category, Channel

REFERRED = "DEMO-MINOR-REFERRED"
NOT_REFERRED = "DEMO-MINOR-NOT-REFERRED"


def _case(officer: User, ref: str, description: str, days_ago: int) -> Case:
    case, _code = services.case_create(
        actor=officer, scope=Scope.for_user(officer), channel=Channel.HOTLINE,
        category=Category.MINOR_OFFENCE, county_code="140105", description=description,
        institution_name="小店区某艺术培训中心", reporter_name="刘女士",
        reporter_phone="13912345678",
        received_at=timezone.now() - dt.timedelta(days=days_ago),
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(external_ref=ref)
    return case


@transaction.atomic
def complaint_demo_create() -> int:
    """The two demo cases, once; returns how many were added."""
    officer = User.objects.filter(username="county_xiaodian").first()
    reviewer = User.objects.filter(username="city_taiyuan").first()
    if officer is None or reviewer is None:
        return 0
    added = 0
    if not Case.objects.filter(external_ref=REFERRED).exists():
        case = _case(officer, REFERRED,
                     "家长反映：孩子在培训班下课后被一名男教师单独留下，有不当身体接触，孩子回家后情绪异常。",
                     days_ago=2)  # fmt: skip
        services.referral_create(
            case=case, actor=officer, scope=Scope.for_user(officer),
            police_unit="太原市公安局小店分局", materials="12345 热线转办单一份、家长陈述记录一份",
        )  # fmt: skip
        added += 1
    if not Case.objects.filter(external_ref=NOT_REFERRED).exists():
        case = _case(officer, NOT_REFERRED,
                     "来电反映：培训机构老师上课时大声训斥学生并罚站，怀疑存在体罚虐待。",
                     days_ago=5)  # fmt: skip
        proposed = no_referral.no_referral_propose(
            case=case, actor=officer, scope=Scope.for_user(officer),
            reason="经调取课堂监控并询问在场学生和家长，教师仅口头提醒纪律，无体罚或侵害行为，"
            "不涉嫌违法犯罪；已约谈机构负责人，要求规范教学管理。",
        )  # fmt: skip
        no_referral.no_referral_review(
            case=case, actor=reviewer, scope=Scope.for_user(reviewer), approve=True,
            proposed_at=proposed.no_referral_proposed_at,
            note="同意不移送，请县级教育局一个月后回访。",
        )  # fmt: skip
        services.case_close(
            case=case, actor=officer, scope=Scope.for_user(officer),
            result="经核查不涉嫌违法犯罪，市级审核同意不移送公安；已约谈机构并回复反映人。",
        )  # fmt: skip
        added += 1
    return added
