"""Users and institutions for the load scenario, and the plan file Locust reads.

County officers get institutions of their own county to inspect (each inspected at most
once per run, so every submission is a fresh record); city and province staff browse.
All share one password whose hash is computed once: 200 PBKDF2 hashes would add a minute
to seeding and measure nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Department, Role
from accounts.services import grant_add
from campaign.models import Campaign
from campaign.selectors import checklist_items_for
from campaign.services import campaign_seed_2023
from core.models import Region
from institutions.models import Institution
from institutions.services import regions_load
from ops.demo.institutions import institution_demo_create

PROVINCE = "140000"
PREFIX = "load_"


def _campaign() -> Campaign:
    campaign = (
        Campaign.objects.filter(province_id=PROVINCE, is_active=True).order_by("-starts_on").first()
    )
    if campaign is None:
        campaign, _created = campaign_seed_2023(
            province_code=PROVINCE, year=timezone.localdate().year
        )
    return campaign


def _user(username: str, role: str, region: str, password_hash: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"password": password_hash, "full_name": username}
    )
    if created:
        grant_add(user=user, role=role, region_code=region, department=Department.EDUCATION)
    return user


def _session(user: User) -> str:
    """A signed-in session, as a phone has from the morning's login: deadline day is about
    inspections and dashboards, not 200 PBKDF2 logins at once (the login page has its own
    row in the figures through the reviewers, who sign in)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@transaction.atomic
def load_plan_create(
    *, officers: int, password: str, per_officer: int = 12, institutions: int = 3000
) -> dict:
    """Make (or reuse) the scenario's users and institutions; return the plan Locust reads."""
    if not Region.objects.filter(code=PROVINCE).exists():
        regions_load(province_code=PROVINCE)
    campaign = _campaign()
    template = campaign.checklists.get(is_active=True)
    institution_demo_create(total=max(institutions, officers * per_officer), seed=51)
    probe = User(username="probe")
    probe.set_password(password)
    password_hash = probe.password
    User.objects.filter(username__startswith=PREFIX).update(password=password_hash)

    by_county: dict[str, list[Institution]] = defaultdict(list)
    for institution in Institution.objects.filter(
        county__code__startswith=PROVINCE[:2], status=Institution.Status.OPERATING
    ).order_by("county_id", "pk"):
        by_county[institution.county_id].append(institution)
    counties = sorted(by_county)
    # Officers per county in turn, so every county with institutions has one before any
    # has two; each takes its own slice of the county's institutions.
    seats: dict[str, int] = defaultdict(int)
    county_of: list[str] = []
    for county in itertools.islice(itertools.cycle(counties), officers):
        county_of.append(county)
        seats[county] += 1

    items_cache: dict[tuple, list[dict]] = {}

    def items_for(institution: Institution) -> list[dict]:
        key = (institution.is_risky, institution.category)
        if key not in items_cache:
            rows = checklist_items_for(
                template=template, institution=institution, scope=None, all_sections=True
            )
            items_cache[key] = [
                {"code": i.code, "type": i.answer_type, "photo": i.photo_required}
                for i in rows.order_by("order", "pk")
            ]
        return items_cache[key]

    plan_officers = []
    taken: dict[str, int] = defaultdict(int)
    for number, county in enumerate(county_of, start=1):
        user = _user(f"{PREFIX}county_{number:03d}", Role.COUNTY_OFFICER, county, password_hash)
        share = len(by_county[county]) // seats[county]
        start = taken[county] * share
        taken[county] += 1
        mine = by_county[county][start : start + share]
        plan_officers.append(
            {
                "username": user.username,
                "session": _session(user),
                "institutions": [{"id": i.pk, "items": items_for(i)} for i in mine[:per_officer]],
            }
        )
    cities = sorted({county[:4] + "00" for county in counties})
    browsers = [
        _user(f"{PREFIX}city_{city}", Role.CITY_STAFF, city, password_hash).username
        for city in cities
    ]
    browsers.append(
        _user(f"{PREFIX}province", Role.PROVINCE_STAFF, PROVINCE, password_hash).username
    )
    return {
        "password": password,
        "deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "officers": plan_officers,
        "browsers": browsers,
    }
