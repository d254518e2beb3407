"""Demo inspector pools, so a demo user can draw with teams straight away."""

from accounts.models import User
from accounts.scope import Scope
from campaign.models import Campaign
from core.models import Region
from sampling.models import PoolMember
from sampling.services import pool_add, sampling_round

# round region → (the drawer, the inspectors registered for it). Every team is joint:
# education, the institution's supervising department and fire rescue, so each pool holds
# education, fire and the three sector departments (sports, the demo's most common trade:
# two people).
DEMO_POOLS = {
    "140100": (
        "city_taiyuan",
        ["county_xiaodian", "county_yingze", "county_xinghualing", "fire_yingze",
         "fire_wanbailin", "dept_fire", "sports_taiyuan", "sports_jinyuan", "culture_taiyuan",
         "science_taiyuan"],
    ),
    "140000": (
        "province",
        ["city_taiyuan", "city_datong", "dept_fire", "fire_datong", "dept_sports",
         "culture_province", "science_province"],
    ),
}  # fmt: skip


def sampling_demo_pools(*, province_code: str = "140000") -> int:
    """Register the demo inspectors in the 太原市 and province rounds; safe to run again."""
    campaign = Campaign.objects.filter(province_id=province_code, is_active=True).first()
    if campaign is None:
        return 0
    added = 0
    for region_code, (drawer, members) in DEMO_POOLS.items():
        actor = User.objects.filter(username=drawer).first()
        if actor is None:
            continue
        round_ = sampling_round(campaign=campaign, region=Region.objects.get(code=region_code))
        for user in User.objects.filter(username__in=members):
            if not PoolMember.objects.filter(round=round_, user=user).exists():
                pool_add(round_=round_, user=user, actor=actor, scope=Scope.for_user(actor))
                added += 1
    return added
