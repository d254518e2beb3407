"""Demo data for the city work summaries: a draft for 太原市, begun by its city staff, so
the page, the live figures and the Word download have something to show. Re-runnable."""

from __future__ import annotations

from accounts.models import User
from accounts.scope import scope_for
from campaign.models import Campaign
from institutions.models import Region

from .models import CitySummary
from .services_summary import summary_save

DEMO_TEXTS = {
    "organisation": (
        "市教育局会同科技、文旅、体育、公安、消防救援等部门成立专项行动工作专班，"
        "制定实施方案，明确县级全面排查、市级随机抽查的时间节点和责任分工。"
    ),
    "experiences": "小店区推行“一机构一档案”，排查、整改、复查销号全程留痕。",
    "problems": "",
    "next_steps": "",
}


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
    return True
