"""Every URL pattern × the standing cast. A pattern missing from EXPECT fails the suite,
so no later page or API view can be added without saying who may reach it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def _roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected status of a GET per cast member. For scoped detail pages the object lies in
# 平城区: only its own county officer and province-level users may see it.
PAGE = _roles(200, anonymous=302, auditor=403, outsider=403)
PAGE_PINGCHENG = _roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
API = _roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = _roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT = {
    "home": (None, _roles(200, anonymous=302, auditor=302, outsider=403)),
    "login": (None, _roles(302, anonymous=200)),
    "logout": (None, _roles(405)),
    "set_language": (None, _roles(302)),
    "audit_log": (None, _roles(403, anonymous=302, auditor=200)),
    "institutions:list": (None, PAGE),
    "institutions:detail": (lambda p: {"pk": p.pingcheng.pk}, PAGE_PINGCHENG),
    "api:region-list": (None, API),
    "api:region-detail": (lambda p: {"code": "140213"}, API_PINGCHENG),
    "api:institution-list": (None, API),
    "api:institution-detail": (lambda p: {"pk": p.pingcheng.pk}, API_PINGCHENG),
    "api_schema": (None, _roles(200, anonymous=401, auditor=403, outsider=403)),
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
