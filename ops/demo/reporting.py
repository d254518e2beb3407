"""Demo data for the city work summaries: a draft for 太原市, begun by its city staff, with
the parts of its fire and public security departments, so the page, the live figures and
the Word download have something to show. Re-runnable."""

from __future__ import annotations

from accounts.models import User
from accounts.scope import scope_for
from campaign.models import Campaign
from core.models import Region
from reporting.models import CitySummary
from reporting.services_summary import section_save, summary_save

DEMO_TEXTS = {
    "organisation": (
        "市教育局会同科技、文旅、体育、公安、消防救援等部门成立专项行动工作专班，"
        "制定实施方案，明确县级全面排查、市级随机抽查的时间节点和责任分工。"
    ),
    "experiences": "小店区推行“一机构一档案”，排查、整改、复查销号全程留痕。",
    "problems": "",
    "next_steps": "",
}


# (username, department, text): the 太原市 departments' own parts of the summary.
DEMO_SECTIONS = [
    ("dept_fire", "fire", (
        "市消防救援支队对照《校外培训机构消防安全管理九项规定》，会同教育部门对全市校外培训机构"
        "开展联合抽查，重点检查疏散通道、消防设施器材和电气线路。\n"
        "对发现的堵塞安全出口、灭火器过期等问题当场下达整改通知，逐一复查销号。"
    )),
    ("dept_police_taiyuan", "public_security", (
        "市公安局配合教育部门完成校外培训从业人员犯罪记录查询，对查询结果及时反馈；"
        "畅通涉校外培训违法犯罪线索移送渠道，对教育部门移送的线索逐一核查处置。"
    )),
]  # fmt: skip


def summary_demo_create(*, campaign: Campaign, username: str = "city_taiyuan") -> bool:
    """A draft summary of 太原市 by its demo city staff; False when there is one already."""
    city = Region.objects.filter(code="140100").first()
    writer = User.objects.filter(username=username).first()
    if city is None or writer is None:
        return False
    if CitySummary.objects.filter(campaign=campaign, city=city).exists():
        return False
    summary_save(
        campaign=campaign, city=city, actor=writer, scope=scope_for(writer),
        narratives=DEMO_TEXTS, version=0,
    )  # fmt: skip
    for username, department, text in DEMO_SECTIONS:
        author = User.objects.filter(username=username).first()
        if author is not None:
            section_save(
                campaign=campaign, city=city, department=department, actor=author,
                scope=scope_for(author), text=text, version=0,
            )  # fmt: skip
    return True
