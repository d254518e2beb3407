"""Demo staff for 太原市's districts, so the boards' and the city summary's staff figures
(§三: 在全国平台上加快完善全体人员基本信息) show counties at different stages: some with
nearly every record complete on the national platform, some far behind, some unknown.

ID numbers are built valid by ops.scale (checksummed, from the county's code) and stored
encrypted like any other. Seeded; runs once.
"""

from __future__ import annotations

import random

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from institutions.models import Institution
from ops.scale.registry import id_number, person_name
from personnel.models import Post, StaffMember

# County → share of staff whose platform record is complete.
COMPLETE_SHARE = {
    "140105": 0.9, "140106": 1.0, "140107": 0.55, "140108": 0.3, "140109": 0.8, "140110": 0.65,
}  # fmt: skip
PER_COUNTY = 25  # institutions with staff per county
POSTS = [Post.TEACHER, Post.TEACHER, Post.TUTOR, Post.MANAGER, Post.ADMINISTRATIVE]


@transaction.atomic
def staff_demo_create(*, seed: int = 2023) -> int:
    """Three to five staff at up to PER_COUNTY operating institutions of each county."""
    if StaffMember.objects.exists():
        return 0
    rng = random.Random(seed)
    rows, k = [], 0
    for county, share in COMPLETE_SHARE.items():
        institutions = Institution.objects.filter(
            county_id=county, status=Institution.Status.OPERATING
        ).order_by("pk")[:PER_COUNTY]
        for institution in institutions:
            for _n in range(rng.randint(3, 5)):
                k += 1
                staff = StaffMember(
                    institution=institution, name=person_name(rng), post=rng.choice(POSTS),
                    # A few have not been looked up on the platform yet: unknown, not "no".
                    platform_complete=None if rng.random() < 0.05 else rng.random() < share,
                )  # fmt: skip
                staff.set_id_number(id_number(k, county))
                rows.append(staff)
    return len(bulk_create_with_history(rows, StaffMember, batch_size=500))
