"""Every URL pattern × the standing cast. A pattern missing from EXPECT fails the suite,
so no later page or API view can be added without saying who may reach it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def _roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


def _pingcheng_site(places):
    """A training site of the 平城区 institution, for the site pages."""
    from institutions.models import Site

    site, _ = Site.objects.get_or_create(
        institution=places.pingcheng, name="主校区", defaults={"address": "平城区测试路1号"}
    )
    return site


def _pingcheng_import_run(places):
    """An import run uploaded by the 平城区 officer: only its uploader may open it."""
    from accounts.models import User
    from tabular.models import ImportRun

    uploader = User.objects.get(username="pingcheng")
    run, _ = ImportRun.objects.get_or_create(
        created_by=uploader, kind="institutions",
        defaults={"file_name": "a.csv", "file": "imports/a.csv", "file_sha256": "0" * 64,
                  "status": "checked"},
    )  # fmt: skip
    return {"pk": run.pk}


def _campaign(places):
    from campaign.services import campaign_seed_2023

    return {"pk": campaign_seed_2023(province_code="140000")[0].pk}


def _checklist(places):
    from campaign.services import campaign_seed_2023

    return {"pk": campaign_seed_2023(province_code="140000")[0].checklists.get().pk}


# Expected status of a GET per cast member. For scoped detail pages the object lies in
# 平城区: only its own county officer and province-level users may see it.
PAGE = _roles(200, anonymous=302, auditor=403, outsider=403)
PAGE_PINGCHENG = _roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
# Register writes: county officers and admins only (institutions.change); city and province
# staff read the register but do not keep it.
CHANGE = _roles(403, anonymous=302, xiaodian=200, pingcheng=200, admin=200)
CHANGE_PINGCHENG = _roles(403, anonymous=302, xiaodian=404, pingcheng=200, admin=200)
# An import run is its uploader's own; others with the import right get 404.
OWN_RUN = _roles(403, anonymous=302, xiaodian=404, pingcheng=200, admin=404)
API = _roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = _roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT = {
    "home": (None, _roles(200, anonymous=302, auditor=302, outsider=403)),
    "login": (None, _roles(302, anonymous=200)),
    "logout": (None, _roles(405)),
    "set_language": (None, _roles(302)),
    "audit_log": (None, _roles(403, anonymous=302, auditor=200)),
    "notifications": (None, PAGE),
    "notifications_read_all": (None, _roles(405, anonymous=302, auditor=403, outsider=403)),
    "notification_read": (
        lambda p: {"pk": 999999},
        _roles(405, anonymous=302, auditor=403, outsider=403),
    ),
    "institutions:list": (None, PAGE),
    "institutions:detail": (lambda p: {"pk": p.pingcheng.pk}, PAGE_PINGCHENG),
    "institutions:create": (None, CHANGE),
    "institutions:edit": (lambda p: {"pk": p.pingcheng.pk}, CHANGE_PINGCHENG),
    "institutions:site_create": (lambda p: {"pk": p.pingcheng.pk}, CHANGE_PINGCHENG),
    "institutions:site_edit": (lambda p: {"pk": _pingcheng_site(p).pk}, CHANGE_PINGCHENG),
    "institutions:site_delete": (lambda p: {"pk": _pingcheng_site(p).pk}, CHANGE_PINGCHENG),
    "institutions:export": (None, PAGE),
    "institutions:import": (None, CHANGE),
    "institutions:import_template": (None, CHANGE),
    "institutions:import_run": (_pingcheng_import_run, OWN_RUN),
    "institutions:import_run_errors": (_pingcheng_import_run, OWN_RUN),
    "institutions:import_run_confirm": (
        _pingcheng_import_run,
        _roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405),
    ),
    "campaign:list": (None, PAGE),
    "campaign:detail": (_campaign, PAGE),
    "campaign:edit": (_campaign, _roles(403, anonymous=302, admin=200)),
    "campaign:fee_rules": (_campaign, _roles(403, anonymous=302, admin=200)),
    "campaign:publicity": (None, PAGE),
    "campaign:publicity_create": (
        None,
        _roles(200, anonymous=302, admin=403, auditor=403, outsider=403),
    ),
    "api:campaign-list": (None, API),
    "api:campaign-detail": (_campaign, API),
    "api:checklist-list": (None, API),
    "api:checklist-detail": (_checklist, API),
    "api:region-list": (None, API),
    "api:region-detail": (lambda p: {"code": "140213"}, API_PINGCHENG),
    "api:institution-list": (None, API),
    "api:institution-detail": (lambda p: {"pk": p.pingcheng.pk}, API_PINGCHENG),
    "api_schema": (None, _roles(200, anonymous=401, auditor=403, outsider=403)),
}


# Pages of later features keep their expectations beside their tests and join the walk here.
from tests.walk.url_walk_accounts import EXPECT as _ACCOUNT_EXPECT  # noqa: E402
from tests.walk.url_walk_api import EXPECT as _API_EXPECT  # noqa: E402
from tests.walk.url_walk_complaints import EXPECT as _COMPLAINTS_EXPECT  # noqa: E402
from tests.walk.url_walk_enforcement import EXPECT as _ENFORCEMENT_EXPECT  # noqa: E402
from tests.walk.url_walk_exports import EXPECT as _EXPORTS_EXPECT  # noqa: E402
from tests.walk.url_walk_fees import EXPECT as _FEES_EXPECT  # noqa: E402
from tests.walk.url_walk_inspection_form import EXPECT as _FORM_EXPECT  # noqa: E402
from tests.walk.url_walk_ledgers import EXPECT as _LEDGERS_EXPECT  # noqa: E402
from tests.walk.url_walk_onboarding import EXPECT as _ONBOARDING_EXPECT  # noqa: E402
from tests.walk.url_walk_ops import EXPECT as _OPS_EXPECT  # noqa: E402
from tests.walk.url_walk_problems import EXPECT as _PROBLEM_EXPECT  # noqa: E402
from tests.walk.url_walk_progress import EXPECT as _DASHBOARDS_EXPECT  # noqa: E402
from tests.walk.url_walk_reporting import EXPECT as _REPORTING_EXPECT  # noqa: E402
from tests.walk.url_walk_sampling import EXPECT as _SAMPLING_EXPECT  # noqa: E402
from tests.walk.url_walk_summary import EXPECT as _SUMMARY_EXPECT  # noqa: E402
from tests.walk.url_walk_vetting import EXPECT as _VETTING_EXPECT  # noqa: E402

EXPECT |= _FORM_EXPECT | _PROBLEM_EXPECT | _SAMPLING_EXPECT | _VETTING_EXPECT
EXPECT |= _FEES_EXPECT | _COMPLAINTS_EXPECT | _DASHBOARDS_EXPECT
EXPECT |= _REPORTING_EXPECT
EXPECT |= _LEDGERS_EXPECT
EXPECT |= _EXPORTS_EXPECT
EXPECT |= _API_EXPECT
EXPECT |= _OPS_EXPECT
EXPECT |= _SUMMARY_EXPECT
EXPECT |= _ENFORCEMENT_EXPECT
EXPECT |= _ONBOARDING_EXPECT
EXPECT |= _ACCOUNT_EXPECT

from tests.walk.url_walk_onboarding_import import EXPECT as _ACCOUNT_IMPORT_EXPECT  # noqa: E402

EXPECT |= _ACCOUNT_IMPORT_EXPECT

# The expected answer to each write method a pattern's view accepts (test_write_walk.py),
# where the GET's does not say it: "ok" may write (anything but 403, 404 and 5xx), "login"
# is the redirect to the login page. City and province staff read the register but do not
# keep it (institutions.change).
OK, LOGIN = "ok", "login"
REGISTER_WRITE = _roles(403, anonymous=401, xiaodian=OK, pingcheng=OK, admin=OK)
WRITE_EXPECT: dict = {
    "logout": _roles(LOGIN),
    "set_language": _roles(OK),
    "notifications_read_all": _roles(OK, anonymous=LOGIN, auditor=403, outsider=403),
    "notification_read": _roles(404, anonymous=LOGIN, auditor=403, outsider=403),
    "institutions:import_run_confirm": _roles(
        403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, admin=404
    ),
    "api:institution-list": REGISTER_WRITE,
    "api:institution-detail": REGISTER_WRITE | {"xiaodian": 404},
}

from tests.walk.url_walk_api import WRITE_EXPECT as _API_WRITES  # noqa: E402
from tests.walk.url_walk_complaints import WRITE_EXPECT as _COMPLAINTS_WRITES  # noqa: E402
from tests.walk.url_walk_exports import WRITE_EXPECT as _EXPORTS_WRITES  # noqa: E402
from tests.walk.url_walk_fees import WRITE_EXPECT as _FEES_WRITES  # noqa: E402
from tests.walk.url_walk_inspection_form import WRITE_EXPECT as _INSPECTION_FORM_WRITES  # noqa: E402
from tests.walk.url_walk_onboarding import WRITE_EXPECT as _ONBOARDING_WRITES  # noqa: E402
from tests.walk.url_walk_problems import WRITE_EXPECT as _PROBLEMS_WRITES  # noqa: E402
from tests.walk.url_walk_reporting import WRITE_EXPECT as _REPORTING_WRITES  # noqa: E402
from tests.walk.url_walk_sampling import WRITE_EXPECT as _SAMPLING_WRITES  # noqa: E402
from tests.walk.url_walk_summary import WRITE_EXPECT as _SUMMARY_WRITES  # noqa: E402
from tests.walk.url_walk_vetting import WRITE_EXPECT as _VETTING_WRITES  # noqa: E402

WRITE_EXPECT |= _API_WRITES | _COMPLAINTS_WRITES | _EXPORTS_WRITES | _FEES_WRITES
WRITE_EXPECT |= _INSPECTION_FORM_WRITES | _PROBLEMS_WRITES | _REPORTING_WRITES
WRITE_EXPECT |= _SAMPLING_WRITES | _SUMMARY_WRITES | _VETTING_WRITES
WRITE_EXPECT |= _ONBOARDING_WRITES

from tests.walk.url_walk_onboarding_import import (  # noqa: E402
    WRITE_EXPECT as _ACCOUNT_IMPORT_WRITES,
)

WRITE_EXPECT |= _ACCOUNT_IMPORT_WRITES

from tests.walk.url_walk_portal import EXPECT as _PORTAL_EXPECT  # noqa: E402
from tests.walk.url_walk_portal import INSTITUTION, INSTITUTION_WRITES  # noqa: E402
from tests.walk.url_walk_portal import WRITE_EXPECT as _PORTAL_WRITES  # noqa: E402

EXPECT |= _PORTAL_EXPECT
WRITE_EXPECT |= _PORTAL_WRITES

# An institution's own account (机构端, issue #21) joins the cast last. It reaches no officials'
# page: each pattern expects of it what it expects of the outsider (signed in, no official's
# role), unless url_walk_portal.INSTITUTION says otherwise. The dicts are copied, since one
# expectation dict serves many patterns.
CAST = [*CAST, "institution"]
EXPECT = {
    name: (kwargs, {**expected, "institution": INSTITUTION.get(name, expected["outsider"])})
    for name, (kwargs, expected) in EXPECT.items()
}
WRITE_EXPECT = {
    name: {**expected, "institution": INSTITUTION_WRITES.get(name, expected["outsider"])}
    for name, expected in WRITE_EXPECT.items()
}


def _pattern_names(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _pattern_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else f"<unnamed {entry.pattern}>"


def test_every_url_pattern_is_in_the_walk():
    names = set(_pattern_names(get_resolver().url_patterns))
    assert names - EXPECT.keys() == set(), "add these URL patterns to EXPECT"
    assert EXPECT.keys() - names == set(), "EXPECT names patterns that no longer exist"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_url_answers_each_cast_member_as_expected(name, client, cast, places):
    make_kwargs, expected = EXPECT[name]
    url = reverse(name, kwargs=make_kwargs(places) if make_kwargs else None)
    got = {}
    for member in CAST:
        client.logout()
        if member != "anonymous":
            client.force_login(getattr(cast, member))
        got[member] = client.get(url).status_code
    assert got == expected


# Pages and API lists that answer 200 must still list only what is in scope: the 平城区
# institution never appears for the 小店区 officer or 太原市 staff.
LISTS = ["institutions:list", "api:institution-list", "api:region-list", "home"]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("member", ["xiaodian", "taiyuan"])
def test_lists_never_show_pingcheng_to_taiyuan_users(name, member, client, cast, places):
    client.force_login(getattr(cast, member))
    body = client.get(reverse(name)).content.decode()
    assert "平城" not in body and places.pingcheng.credit_code not in body
    assert places.xiaodian.name in body or name in ("home", "api:region-list")
