"""One person, two institutions: staff records are unique per institution, never per province.

Refusing a number registered anywhere told any county officer whether a person works
anywhere in the province; the refusal now applies only at the same institution, and the
link between a person's records shows only to vetting officers, inside their scope.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.scope import Scope
from personnel import services
from personnel.models import StaffMember
from tests.factories import InstitutionFactory, UserFactory
from tests.factories_personnel import StaffFactory, id_number, scanning
from tests.personnel.test_personnel_import import HEADER, run_staff, write, xlsx

pytestmark = pytest.mark.django_db

NUMBER = id_number(born=dt.date(1997, 4, 2), female=False)
TWICE = "该身份证号已在该机构登记"


@pytest.fixture
def scanned(client):
    yield from scanning(client)


@pytest.fixture
def vetting(regions):
    """小店区's vetting officer (granted beside county_officer, as in production)."""
    user = UserFactory(username="vetting", grant=("vetting_officer", "140105"))
    from accounts.models import RoleGrant

    RoleGrant.objects.create(user=user, role="county_officer", region_id="140105",
                             department="education")  # fmt: skip
    return user


def form(institution, number=NUMBER, **extra):
    return {"institution": institution.pk, "name": "周一", "id_number": number,
            "post": "teacher", **extra}  # fmt: skip


def create(user, institution, number=NUMBER):
    return services.staff_create(actor=user, scope=Scope.for_user(user), id_number=number,
                                 institution=institution, name="周一", post="teacher")  # fmt: skip


# -- registering: the form and the service -----------------------------------------------


def test_a_person_working_in_another_county_is_registered_and_nothing_of_it_is_said(
    scanned, cast, places
):
    StaffFactory(institution=places.pingcheng, number=NUMBER, name="周一")
    scanned.force_login(cast.xiaodian)
    response = scanned.post(reverse("personnel:create"), form(places.xiaodian))
    assert response.status_code == 302
    mine = StaffMember.objects.get(institution=places.xiaodian)
    assert response.url == reverse("personnel:detail", args=[mine.pk])
    page = scanned.get(response.url).content.decode()
    for word in ("平城", places.pingcheng.name, "已登记", "其他机构"):
        assert word not in page, word
    assert StaffMember.objects.filter(id_hash=mine.id_hash).count() == 2


def test_the_same_number_twice_at_one_institution_is_refused_on_the_form(scanned, cast, places):
    StaffFactory(institution=places.xiaodian, number=NUMBER)
    scanned.force_login(cast.xiaodian)
    response = scanned.post(reverse("personnel:create"), form(places.xiaodian))
    body = response.content.decode()
    # The staff form is shown again with its errors (200, as for every staff form error).
    assert response.status_code == 200 and TWICE in body and NUMBER not in body
    assert StaffMember.objects.count() == 1


def test_the_service_refuses_the_same_number_twice_at_one_institution(cast, places):
    create(cast.xiaodian, places.xiaodian)
    with pytest.raises(ValidationError) as caught:
        create(cast.xiaodian, places.xiaodian)
    assert TWICE in str(caught.value) and StaffMember.objects.count() == 1
    # Another institution in the same county takes the same person.
    create(cast.xiaodian, InstitutionFactory(name="小店区第二培训学校"))
    assert StaffMember.objects.count() == 2


def test_an_edit_may_not_give_a_record_the_number_of_a_colleague_at_the_same_institution(
    cast, places
):
    StaffFactory(institution=places.xiaodian, number=NUMBER)
    other = StaffFactory(institution=places.xiaodian)
    elsewhere = InstitutionFactory(name="小店区第二培训学校")
    moving = StaffFactory(institution=elsewhere, number=NUMBER)
    theirs = id_number(born=dt.date(1999, 5, 6))
    StaffFactory(institution=places.pingcheng, number=theirs)
    args = {"actor": cast.xiaodian, "scope": Scope.for_user(cast.xiaodian), "name": "周一"}
    with pytest.raises(ValidationError, match=TWICE):
        services.staff_update(staff=other, id_number=NUMBER, institution=places.xiaodian, **args)
    # Moving a record to an institution where the person is already registered: refused too.
    with pytest.raises(ValidationError, match=TWICE):
        services.staff_update(staff=moving, institution=places.xiaodian, **args)
    moving.refresh_from_db()
    assert moving.institution == elsewhere
    # A number registered only at another county's institution is no obstacle.
    services.staff_update(staff=other, id_number=theirs, institution=places.xiaodian, **args)
    assert StaffMember.objects.filter(id_hash=other.id_hash).count() == 2


def test_the_database_holds_one_record_per_person_and_institution(places):
    StaffFactory(institution=places.xiaodian, number=NUMBER)
    StaffFactory(institution=places.pingcheng, number=NUMBER)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffFactory(institution=places.xiaodian, number=NUMBER)


# -- the import ----------------------------------------------------------------------------


def row(institution, number=NUMBER, name="周一"):
    return [name, number, institution.credit_code, "教师", "2023-09-01", "", "", "是"]


def test_the_import_registers_a_person_working_in_another_county_and_says_nothing_of_it(
    cast, places
):
    theirs = StaffFactory(institution=places.pingcheng, number=NUMBER, name="周一")
    run = run_staff(cast.xiaodian, xlsx([HEADER, row(places.xiaodian)]))
    assert (run.created_count, run.updated_count, run.error_count) == (1, 0, 0), run.report
    assert places.pingcheng.name not in str(run.report) and "平城" not in str(run.report)
    write(run)
    assert StaffMember.objects.get(institution=places.xiaodian).name == "周一"
    theirs.refresh_from_db()
    assert theirs.institution == places.pingcheng and theirs.employed_from is None


def test_the_import_refuses_the_same_number_twice_at_one_institution(cast, places):
    second = InstitutionFactory(name="小店区第二培训学校")
    rows = [row(places.xiaodian), row(second), row(places.xiaodian, name="周一一")]
    run = run_staff(cast.xiaodian, xlsx([HEADER, *rows]))
    errors = run.report["errors"]
    assert [(e["row"], e["reason"]) for e in errors] == [(4, "与第 2 行重复")]
    assert not StaffMember.objects.exists()
    # Without the repeated row, one person is registered at both institutions; a second
    # upload of the same rows updates them, it never adds a third.
    write(run_staff(cast.xiaodian, xlsx([HEADER, *rows[:2]])))
    assert StaffMember.objects.count() == 2
    again = run_staff(cast.xiaodian, xlsx([HEADER, row(places.xiaodian, name="周一一")]))
    assert (again.created_count, again.updated_count) == (0, 1)
    write(again)
    assert StaffMember.objects.get(institution=places.xiaodian).name == "周一一"


# -- the API ------------------------------------------------------------------------------


def test_the_api_shows_each_county_its_own_record_of_a_person_and_nothing_more(
    scanned, cast, places
):
    mine = StaffFactory(institution=places.xiaodian, number=NUMBER)
    theirs = StaffFactory(institution=places.pingcheng, number=NUMBER)
    scanned.force_login(cast.xiaodian)
    rows = scanned.get(reverse("api:staff-list")).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    detail = scanned.get(reverse("api:staff-detail", args=[mine.pk])).content.decode()
    assert places.pingcheng.name not in detail
    assert f'"institution_id":{places.pingcheng.pk},' not in detail
    assert scanned.get(reverse("api:staff-detail", args=[theirs.pk])).status_code == 404


# -- the link between a person's records -------------------------------------------------------


def test_a_vetting_officer_sees_the_persons_other_records_in_their_scope_only(
    scanned, cast, places, vetting
):
    second = InstitutionFactory(name="小店区第二培训学校")
    mine = StaffFactory(institution=places.xiaodian, number=NUMBER)
    also = StaffFactory(institution=second, number=NUMBER)
    StaffFactory(institution=places.pingcheng, number=NUMBER)
    unrelated = StaffFactory(institution=second)
    detail = reverse("personnel:detail", args=[mine.pk])

    scanned.force_login(vetting)
    page = scanned.get(detail).content.decode()
    assert 'data-testid="also-registered"' in page
    assert second.name in page and reverse("personnel:detail", args=[also.pk]) in page
    # Out of their scope: not shown, not even as a count.
    assert places.pingcheng.name not in page and "平城" not in page
    assert reverse("personnel:detail", args=[unrelated.pk]) not in page

    # The county officer of the same county does not see the link.
    scanned.force_login(cast.xiaodian)
    page = scanned.get(detail).content.decode()
    assert 'data-testid="also-registered"' not in page and second.name not in page


def test_no_link_shows_when_the_other_records_all_lie_outside_the_scope(scanned, places, vetting):
    mine = StaffFactory(institution=places.xiaodian, number=NUMBER)
    StaffFactory(institution=places.pingcheng, number=NUMBER)
    scanned.force_login(vetting)
    page = scanned.get(reverse("personnel:detail", args=[mine.pk])).content.decode()
    assert 'data-testid="also-registered"' not in page and "平城" not in page
