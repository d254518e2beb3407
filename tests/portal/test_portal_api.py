"""/api/v1/org/…: an institution's own account reads its own problems, staff and fee records;
another institution's row is 404, every official 403."""

import pytest
from django.urls import reverse

from tests.factories.personnel import StaffFactory
from tests.inspections.test_problems import inspected
from tests.selfcheck.test_selfcheck import account_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(regions):
    from tests.inspections.test_problems import seed_campaign

    return seed_campaign()


@pytest.fixture
def own(cast, places, campaign):
    return account_of(cast.xiaodian, places.xiaodian)


def test_the_institution_reads_only_its_own_rows(client, cast, places, own):
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    inspected(cast.pingcheng, places.pingcheng, codes=("2.22",))
    mine = StaffFactory(institution=places.xiaodian, name="赵老师")
    theirs = StaffFactory(institution=places.pingcheng, name="李老师")
    client.force_login(own)
    problems = client.get(reverse("api:org-problem-list")).json()["results"]
    assert [p["code"] for p in problems] == ["1.01"] and problems[0]["requirement"]
    staff = client.get(reverse("api:org-staff-list")).json()["results"]
    assert [s["name"] for s in staff] == ["赵老师"]
    assert staff[0]["id_number"] == mine.id_masked and "*" in staff[0]["id_number"]
    assert client.get(reverse("api:org-staff-detail", args=[theirs.pk])).status_code == 404
    from inspections.models import Finding

    other = Finding.objects.get(task__institution=places.pingcheng)
    assert client.get(reverse("api:org-problem-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("api:org-fee-record-list")).json()["results"] == []


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "admin", "outsider"])
def test_officials_get_403(client, cast, own, member):
    client.force_login(getattr(cast, member))
    for name in ("api:org-problem-list", "api:org-staff-list", "api:org-fee-record-list"):
        assert client.get(reverse(name)).status_code == 403, name


def test_it_writes_nothing_through_the_api(client, own):
    client.force_login(own)
    response = client.post(reverse("api:org-staff-list"), {}, content_type="application/json")
    assert response.status_code == 405
