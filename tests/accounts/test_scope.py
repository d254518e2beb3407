"""The scope module: regions, sections, sectors, and out-of-scope looking like missing."""

import pytest
from django.urls import reverse

from accounts.scope import Scope, get_in_scope_or_404, scope_for
from institutions.models import Institution
from institutions.selectors import institution_list, region_list
from tests.conftest import same_page
from tests.factories import InstitutionFactory, UserFactory


def names(qs):
    return sorted(i.name for i in qs)


def test_county_officer_sees_only_own_county(cast, places):
    assert names(institution_list(scope=scope_for(cast.xiaodian))) == [places.xiaodian.name]


def test_city_staff_see_every_county_of_their_city(cast, places):
    got = names(institution_list(scope=scope_for(cast.taiyuan)))
    assert got == sorted([places.xiaodian.name, places.yingze.name])


def test_province_staff_see_the_whole_province(cast, places):
    assert len(institution_list(scope=scope_for(cast.province))) == 3


def test_outsider_and_auditor_see_no_institutions(cast, places):
    assert not institution_list(scope=scope_for(cast.outsider)).exists()
    assert not institution_list(scope=scope_for(cast.auditor)).exists()


def test_sector_department_sees_only_its_sector(regions, places):
    science = UserFactory(grant=("department_user", "140000", "science"))
    fire = UserFactory(grant=("department_user", "140100", "fire"))
    assert names(institution_list(scope=scope_for(science))) == [places.yingze.name]
    # Fire rescue checks every trade, but only inside its own city.
    assert names(institution_list(scope=scope_for(fire))) == sorted(
        [places.xiaodian.name, places.yingze.name]
    )


def test_sections_follow_the_department(regions):
    police = UserFactory(grant=("department_user", "140000", "public_security"))
    fire = UserFactory(grant=("department_user", "140000", "fire"))
    officer = UserFactory(grant=("county_officer", "140105"))
    assert scope_for(police).sections("inspections.view") == {"三", "四"}
    assert scope_for(fire).sections("inspections.view") == {"二"}
    assert scope_for(officer).sections("inspections.view") == set("一二三四五六")


def test_public_security_may_reveal_id_numbers_but_sports_may_not(regions):
    police = UserFactory(grant=("department_user", "140000", "public_security"))
    sports = UserFactory(grant=("department_user", "140000", "sports"))
    assert scope_for(police).can("staff.reveal")
    assert not scope_for(sports).can("staff.reveal")


def test_two_grants_add_up(regions, places):
    both = UserFactory(grant=("county_officer", "140105"))
    both.grants.create(role="county_officer", region_id="140213")
    assert names(institution_list(scope=scope_for(both))) == sorted(
        [places.xiaodian.name, places.pingcheng.name]
    )


def test_unknown_permission_string_fails_loudly(cast):
    with pytest.raises(ValueError, match="Unknown permission"):
        scope_for(cast.province).can("institution.veiw")


def test_anonymous_scope_is_empty(places):
    scope = Scope.for_user(None)
    assert not scope.can("institutions.view")
    everything = Institution.objects.filter(scope.q("institutions.view", region="county__code"))
    assert list(everything) == []


def test_regions_are_the_subtree_plus_ancestors(cast):
    codes = set(region_list(scope=scope_for(cast.xiaodian)).values_list("code", flat=True))
    assert codes == {"140000", "140100", "140105"}
    taiyuan = set(region_list(scope=scope_for(cast.taiyuan)).values_list("code", flat=True))
    assert "140213" not in taiyuan and "140181" in taiyuan and "140000" in taiyuan


def test_get_in_scope_or_404_hides_existence(cast, places):
    from django.http import Http404

    qs = institution_list(scope=scope_for(cast.xiaodian))
    assert get_in_scope_or_404(qs, pk=places.xiaodian.pk) == places.xiaodian
    with pytest.raises(Http404):
        get_in_scope_or_404(qs, pk=places.pingcheng.pk)
    with pytest.raises(Http404):
        get_in_scope_or_404(qs, pk="not-a-number")


def test_out_of_scope_page_is_the_same_404_as_a_missing_one(client, cast, places):
    client.force_login(cast.xiaodian)
    out_of_scope = client.get(reverse("institutions:detail", args=[places.pingcheng.pk]))
    missing = client.get(reverse("institutions:detail", args=[999999]))
    assert out_of_scope.status_code == missing.status_code == 404
    # The requested path is echoed (language switch); nothing else may differ.
    assert same_page(out_of_scope.content, missing.content, f"/{places.pingcheng.pk}/", "/999999/")
    assert "平城区" not in out_of_scope.content.decode()


def test_out_of_scope_api_is_the_same_404_as_a_missing_one(client, cast, places):
    client.force_login(cast.xiaodian)
    out_of_scope = client.get(f"/api/v1/institutions/{places.pingcheng.pk}/")
    missing = client.get("/api/v1/institutions/999999/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json() == {"detail": "未找到。"}


def test_list_queries_do_not_grow_with_the_page(client, cast, places):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.province)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("institutions:list")).status_code == 200
        counts.append(len(captured))
        InstitutionFactory.create_batch(30, county_id="140213")
    assert counts[0] == counts[1]
    assert Institution.objects.count() == 63
