"""Realistic demo institutions: valid credit codes, both categories, risky trades.

Deterministic (seeded), so `seed_demo` run twice creates nothing the second time.
"""

from __future__ import annotations

import random
import string

from simple_history.utils import bulk_create_with_history
from stdnum.cn import uscc

from accounts.roles import Sector
from core.models import Region
from institutions.models import Institution

_ORG_ALPHABET = string.digits + string.ascii_uppercase
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# (trade words, sector, risky?) for non-subject training; subject training is separate.
_TRADES = [
    (["跆拳道", "武术", "散打"], Sector.SPORTS, True),
    (["游泳"], Sector.SPORTS, True),
    (["篮球", "足球", "轮滑", "体适能"], Sector.SPORTS, True),
    (["户外拓展", "攀岩"], Sector.SPORTS, True),
    (["舞蹈", "街舞", "芭蕾"], Sector.CULTURE_ART, True),
    (["美术", "书法", "钢琴", "声乐", "围棋"], Sector.CULTURE_ART, False),
    (["编程", "机器人", "科创"], Sector.SCIENCE, False),
    (["口才", "研学"], Sector.OTHER, False),
]
_SUBJECT_WORDS = ["学科", "英语", "数学", "语文", "文化课"]
_BRANDS = [
    "博雅",
    "启明",
    "新星",
    "育才",
    "智慧",
    "晨光",
    "金桥",
    "阳光",
    "育英",
    "明德",
    "致远",
    "天骄",
    "睿思",
    "华翰",
    "卓越",
    "小树苗",
    "优学",
    "童趣",
    "星火",
    "蓝天",
]
_SUFFIX = {
    "subject": ["培训学校", "教育培训中心"],
    Sector.SPORTS: ["俱乐部", "培训中心", "体育培训学校"],
    Sector.CULTURE_ART: ["艺术培训学校", "艺术中心", "培训学校"],
    Sector.SCIENCE: ["科技培训学校", "培训中心"],
    Sector.OTHER: ["培训学校", "培训中心"],
}


def _org_code(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, county_code: str) -> str:
    """A valid unified social credit code for a private school (52) or a company (91)."""
    head = rng.choice(["52", "91"]) + county_code + _org_code(rng)
    return head + uscc.calc_check_digit(head)


def institution_demo_create(
    *, total: int = 3000, seed: int = 2023, province_code: str = "140000"
) -> int:
    """Create about `total` institutions over the province's counties. Returns how many were new."""
    rng = random.Random(seed)
    counties = list(Region.objects.filter(level="county", code__startswith=province_code[:2]))
    # Urban districts hold more institutions than rural counties, as in real registers.
    weights = [6 if c.name.endswith("区") else 2 if c.name.endswith("市") else 1 for c in counties]
    existing = set(Institution.objects.values_list("credit_code", flat=True))
    rows = []
    for _ in range(total):
        county = rng.choices(counties, weights)[0]
        brand = rng.choice(_BRANDS)
        code = credit_code(rng, county.code)
        if rng.random() < 0.18:
            word, sector, risky, category = rng.choice(_SUBJECT_WORDS), "", False, "subject"
        else:
            words, sector, risky = rng.choice(_TRADES)
            word, category = rng.choice(words), "non_subject"
        place = county.name.rstrip("区县市") if len(county.name) > 2 else county.name
        name = f"{place}{brand}{word}{rng.choice(_SUFFIX[sector or category])}"
        if code in existing:
            continue
        existing.add(code)
        rows.append(
            Institution(
                name=name,
                credit_code=code,
                county=county,
                category=category,
                sector=sector,
                is_risky=risky,
            )
        )
    bulk_create_with_history(rows, Institution, batch_size=1000)
    return len(rows)
