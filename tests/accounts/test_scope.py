"""The scope module: regions, sections, sectors, and out-of-scope looking like missing."""

import pytest
from django.urls import reverse

from accounts.roles import PERMISSIONS_BY_ROLE
from accounts.scope import Scope, get_in_scope_or_404, scope_for
from accounts.services import grant_add
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


# -- what the rest of the project asks instead of reading grants ---------------------------


def test_a_region_scope_sees_what_a_person_holding_that_grant_sees(cast, places):
    province = Scope.for_region("province_staff", "140000")
    city = Scope.for_region("city_staff", "140100")
    assert names(institution_list(scope=province)) == names(
        institution_list(scope=scope_for(cast.province))
    )
    assert names(institution_list(scope=city)) == names(
        institution_list(scope=scope_for(cast.taiyuan))
    )
    # The city's education grant sits on the city node: it writes the city's summary.
    assert city.writes_summary("140100") and not city.summary_section_departments("140100")
    fire = Scope.for_region("department_user", "140100", department="fire")
    assert fire.summary_section_departments("140100") == {"fire"}


def test_a_scope_without_any_grant_is_empty(cast):
    assert scope_for(cast.outsider).is_empty
    assert Scope.for_user(None).is_empty
    assert not scope_for(cast.auditor).is_empty
    cast.xiaodian.is_active = False
    assert Scope.for_user(cast.xiaodian).is_empty


def test_held_by_reads_another_users_grants_even_while_they_cannot_sign_in(cast):
    cast.xiaodian.is_active = False
    held = Scope.held_by(cast.xiaodian)
    assert held.covers_region("inspections.change", "140105")
    assert not held.assigned


def test_first_within_is_the_oldest_grant_with_the_permission_inside_the_region(regions):
    user = UserFactory(grant=("auditor", "140000"))
    grant_add(user=user, role="county_officer", region_code="140213", department="fire")
    grant_add(user=user, role="county_officer", region_code="140105", department="sports")
    held = Scope.held_by(user)
    # The auditor's grant covers 太原市 too, but holds no inspections.change.
    taiyuan = held.first_within("inspections.change", "1401")
    assert (taiyuan.region_code, taiyuan.department) == ("140105", "sports")
    # Province-wide: the older of the two county grants.
    assert held.first_within("inspections.change", "14").region_code == "140213"
    assert held.first_within("inspections.change", "1402") is not None
    assert held.first_within("inspections.change", "1403") is None


def test_provinces_are_those_the_permission_is_held_in(cast):
    assert scope_for(cast.xiaodian).provinces("dashboard.view") == {"140000"}
    assert scope_for(cast.xiaodian).provinces("campaign.manage") == frozenset()
    assert scope_for(cast.admin).provinces("campaign.manage") == {"140000"}
    assert scope_for(cast.outsider).provinces("dashboard.view") == frozenset()


def test_only_the_auditor_holds_the_complaints_audit(cast):
    for who in ("xiaodian", "pingcheng", "taiyuan", "province", "admin", "outsider"):
        assert not scope_for(getattr(cast, who)).can("complaints.audit"), who
    auditor = scope_for(cast.auditor)
    assert auditor.can("complaints.audit") and not auditor.can("complaints.view")
    assert [r for r, perms in PERMISSIONS_BY_ROLE.items() if "complaints.audit" in perms] == [
        "auditor"
    ]


def test_the_grant_rows_are_private_to_the_scope(cast):
    assert not hasattr(scope_for(cast.province), "grants")


def test_holds_at_is_a_grant_on_that_very_node_not_above_or_below_it(cast):
    province = scope_for(cast.province)
    assert province.holds_at("summary.review", "140000")
    assert not province.holds_at("summary.review", "140100")
    assert not scope_for(cast.taiyuan).holds_at("sampling.draw", "140000")
    assert scope_for(cast.taiyuan).holds_at("sampling.draw", "140100")
    assert not scope_for(cast.xiaodian).holds_at("sampling.draw", "140105")


def test_region_codes_are_the_nodes_the_permission_is_held_on(regions):
    user = UserFactory(grant=("city_staff", "140100"))
    grant_add(user=user, role="county_officer", region_code="140213")
    held = Scope.held_by(user)
    assert held.region_codes("dashboard.view") == {"140100", "140213"}
    assert held.region_codes("sampling.draw") == {"140100"}
    assert held.region_codes("summary.review") == frozenset()


def test_region_prefixes_are_the_code_prefixes_of_the_users_regions(cast):
    assert scope_for(cast.province).region_prefixes("complaints.view") == {"14"}
    assert scope_for(cast.taiyuan).region_prefixes("complaints.change") == {"1401"}
    assert scope_for(cast.xiaodian).region_prefixes("complaints.change") == {"140105"}
    assert scope_for(cast.province).region_prefixes("complaints.change") == frozenset()


def test_levels_covering_are_those_of_the_grants_whose_region_holds_the_code(regions):
    user = UserFactory(grant=("city_staff", "140100"))
    grant_add(user=user, role="county_officer", region_code="140105")
    grant_add(user=user, role="county_officer", region_code="140213")
    held = Scope.held_by(user)
    assert held.levels_covering("inspections.change", "140105") == {"city", "county"}
    assert held.levels_covering("inspections.change", "140106") == {"city"}
    assert held.levels_covering("inspections.change", "140213") == {"county"}
    assert held.levels_covering("inspections.change", "140302") == frozenset()
    # Only grants holding the permission: a county officer draws no sample.
    assert held.levels_covering("sampling.draw", "140105") == {"city"}


def test_covers_every_sector_only_through_a_grant_without_a_sector_limit(regions):
    city = Scope.for_region("city_staff", "140100")
    assert city.covers_every_sector("inspections.view", "140105")
    assert city.covers_every_sector("inspections.view", "1401")
    # A region above the grant, or the whole scope (""), is not covered by it.
    assert not city.covers_every_sector("inspections.view", "14")
    assert not city.covers_every_sector("inspections.view", "")
    science = Scope.for_region("department_user", "140000", department="science")
    assert science.covers_region("inspections.view", "140105")
    assert not science.covers_every_sector("inspections.view", "140105")
    fire = Scope.for_region("department_user", "140000", department="fire")
    assert fire.covers_every_sector("inspections.view", "1401")


def test_covers_region_may_count_only_some_departments_levels_or_a_sections_owners(regions):
    user = UserFactory(grant=("county_officer", "140105"))
    grant_add(user=user, role="city_staff", region_code="140200", department="public_security")
    held = Scope.held_by(user)
    assert held.covers_region("complaints.view", "140105", departments={"education"})
    assert not held.covers_region("complaints.view", "140213", departments={"education"})
    assert held.covers_region("complaints.view", "140213", departments={"public_security"})
    assert not held.covers_region("complaints.view", "140105", departments={"public_security"})
    assert held.covers_region("complaints.change", "140213", levels={"city", "province"})
    assert not held.covers_region("complaints.change", "140105", levels={"city", "province"})
    # Public security owns sections 三 and 四, not 二 (fire safety); education owns them all.
    assert held.covers_region("staff.view", "140213", section="三")
    assert not held.covers_region("staff.view", "140213", section="二")
    assert held.covers_region("staff.view", "140105", section="二")


def test_q_may_count_only_some_departments_or_a_sections_owners(regions, places):
    user = UserFactory(grant=("county_officer", "140105", "sports"))
    grant_add(user=user, role="county_officer", region_code="140213", department="fire")
    held = Scope.held_by(user)

    def inside(**kwargs):
        rows = Institution.objects.filter(
            held.q("institutions.view", region="county__code", **kwargs)
        )
        return names(rows)

    assert inside() == sorted([places.xiaodian.name, places.pingcheng.name])
    assert inside(departments={"fire"}) == [places.pingcheng.name]
    assert inside(departments={"sports"}) == [places.xiaodian.name]
    assert inside(section="二") == [places.pingcheng.name]
    assert inside(departments={"education"}) == []
    assert inside(section="三") == []
