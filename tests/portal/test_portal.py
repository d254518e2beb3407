"""机构端: an institution's own account sees its own institution and nothing else."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.scope import scope_for
from institutions.accounts import institution_account_open
from tests.inspections.test_problems import inspected, seed_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(cast, places):
    account, _password = institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    # As after the first sign-in's password change.
    account.user.must_change_password = False
    account.user.save(update_fields=["must_change_password"])
    return account.user


def test_the_institution_lands_on_its_own_page_with_its_problems(client, cast, places, own):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    inspected(cast.pingcheng, places.pingcheng, codes=("2.22",))
    client.force_login(own)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("portal:home")
    page = client.get(reverse("portal:home")).content.decode()
    assert places.xiaodian.name in page and places.xiaodian.credit_code in page
    assert page.count('data-testid="own-problem"') == 1 and "1.01" in page
    assert places.pingcheng.name not in page and "2.22" not in page


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "admin", "outsider"])
def test_officials_have_no_institution_side(client, cast, member):
    client.force_login(getattr(cast, member))
    assert client.get(reverse("portal:home")).status_code == 403


@pytest.mark.parametrize(
    "name",
    ["institutions:list", "inspections:problems", "personnel:list", "fees:records",
     "complaints:list", "ledgers:index", "api:institution-list", "audit_log"],
)  # fmt: skip
def test_the_institution_opens_no_officials_page(client, places, own, name):
    client.force_login(own)
    assert client.get(reverse(name)).status_code == 403


def test_an_account_without_its_institution_link_acts_for_nobody(client, places, own):
    own.institution_account.delete()
    client.force_login(own)
    assert client.get(reverse("portal:home")).status_code == 403


def test_the_institution_holds_no_api_token(client, own):
    from api import services
    from api.models import ApiToken

    with pytest.raises(PermissionDenied):
        services.token_create(actor=own, name="机构同步")
    client.force_login(own)
    assert client.get(reverse("api_tokens")).status_code == 403
    assert client.post(reverse("api_tokens"), {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_an_institution_account_takes_no_officials_grant(cast, own):
    from accounts.services import grant_add

    with pytest.raises(ValidationError, match="不能再添加其他授权"):
        grant_add(user=own, role="county_officer", region_code="140105", actor=cast.admin)
    assert list(own.grants.values_list("role", flat=True)) == ["institution"]


def test_the_institution_grant_is_never_taken_away(cast, own):
    from accounts.services import grant_remove

    with pytest.raises(ValidationError, match="不能移除"):
        grant_remove(grant=own.grants.get(), actor=cast.admin)
    assert list(own.grants.values_list("role", flat=True)) == ["institution"]


def test_a_switched_off_institution_is_signed_out_of_its_side(client, cast, places, own):
    from institutions.accounts import institution_account_set_active

    client.force_login(own)
    assert client.get(reverse("portal:home")).status_code == 200
    institution_account_set_active(
        account=own.institution_account, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        active=False,
    )  # fmt: skip
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_admin_switches_an_institution_account_on_only_on_its_page(cast, places, own):
    from accounts.services import user_set_active

    user_set_active(user=own, actor=cast.admin, active=False)  # off: from anywhere
    with pytest.raises(ValidationError, match="机构的页面上启用"):
        user_set_active(user=own, actor=cast.admin, active=True)
    own.refresh_from_db()
    assert not own.is_active
