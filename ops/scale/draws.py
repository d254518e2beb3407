"""Spot-check draws through sampling's own services: the frozen frame, the seed, the teams."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.scope import Scope
from core.models import Region
from inspections.models import Round
from sampling import services
from sampling.models import Draw, PoolMember

from .base import Run
from .registry import SECTOR_DEPARTMENTS


def draws(run: Run, geo: dict, plans: dict, users: dict, rounds_by: dict) -> None:
    """A confirmed province draw in every province, and a confirmed city draw in every city
    of the first province (the one the benchmarks read), each with a pool of the officers
    working under it."""
    first = run.plan.provinces[0][:2]
    targets = [(province.ljust(6, "0"), "province") for province in plans]
    if run.plan.city_draws:
        targets += [(code, "city") for code in geo["cities"] if code.startswith(first)]
    officers = [(code, dept) for code, _n in geo["counties"] for dept in ("county", "fire")]
    # Each city's sector officers: every team needs its institution's supervising department.
    officers += [(code, dept) for code in geo["cities"] for dept in SECTOR_DEPARTMENTS]
    made = 0
    for region_code, level in targets:
        boss = User.objects.get(
            pk=users[f"scale-{'province' if level == 'province' else 'city'}-{region_code}"]
        )
        prefix = Region.objects.get(code=region_code).prefix
        round_id = rounds_by[(level, region_code)]
        PoolMember.objects.bulk_create(
            PoolMember(round_id=round_id, user_id=users[f"scale-{kind}-{county}"],
                       department={"county": "education"}.get(kind, kind),
                       home_region_id=county, added_by=boss)
            for county, kind in officers
            if county.startswith(prefix)
        )  # fmt: skip
        scope = Scope.for_user(boss)
        round_ = Round.objects.get(pk=round_id)
        draw = services.draw_preview(
            round_=round_, actor=boss, scope=scope, seed=f"scale-{run.plan.seed}-{region_code}"
        )
        try:
            services.draw_confirm(draw=draw, actor=boss, scope=scope)
        except ValidationError as exc:  # too few inspectors for a team: the preview stays
            run.write(f"    draw {region_code} left as preview: {'; '.join(exc.messages)}")
        made += 1
    run.counts["draws"] = Draw.objects.count() if made else 0
