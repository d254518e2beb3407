"""批量开通机构账号: one account per operating institution of a county that has none, the
one-time passwords downloaded once as a sheet."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent, RoleGrant, User
from accounts.scope import scope_for
from core.models import Region
from institutions import account_batches
from institutions.models import AccountBatch, Institution, InstitutionAccount
from institutions.tasks import account_batch_task
from tests.factories import InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db


def county(code="140105"):
    return Region.objects.get(code=code)


def sheet_rows(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.values)
    start = next(i for i, row in enumerate(rows) if row and row[0] == "机构名称")
    return rows[start + 1 :]


def test_a_small_county_is_opened_at_once_and_the_sheet_is_taken_once(cast, places):
    closed = InstitutionFactory(county_id="140105", status=Institution.Status.CLOSED)
    batch = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    assert (batch.status, batch.opened, batch.skipped) == ("done", 1, 0)
    account = InstitutionAccount.objects.get()
    assert account.institution == places.xiaodian and account.user.must_change_password
    assert not InstitutionAccount.objects.filter(institution=closed).exists()
    rows = sheet_rows(account_batches.batch_sheet_take(batch=batch, actor=cast.xiaodian))
    (name, code, username, password), *_rest = rows
    assert (name, code, username) == (
        places.xiaodian.name,
        places.xiaodian.credit_code,
        account.user.username,
    )
    assert User.objects.get(username=username).check_password(password)
    assert password[0] not in "=+-@'"
    with pytest.raises(ValidationError, match="只能下载一次"):
        account_batches.batch_sheet_take(batch=batch, actor=cast.xiaodian)
    assert AuditEvent.objects.filter(detail__change="institution_accounts_batch_sheet").exists()
    # Everything open now: a second batch has nothing to do.
    with pytest.raises(ValidationError, match="都已开通账号"):
        account_batches.account_batch_request(
            county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
        )


def test_a_large_county_goes_to_the_worker_which_seals_as_it_goes(cast, places):
    InstitutionFactory.create_batch(account_batches.INLINE_AT_MOST + 2, county_id="140105")
    batch = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    assert batch.status == "queued" and not InstitutionAccount.objects.exists()
    with pytest.raises(ValidationError, match="已有正在开通的批次"):
        account_batches.account_batch_request(
            county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
        )
    account_batch_task.apply(args=[batch.pk])
    account_batch_task.apply(args=[batch.pk])  # a redelivery finds it claimed
    batch.refresh_from_db()
    assert (batch.status, batch.opened) == ("done", account_batches.INLINE_AT_MOST + 3)
    assert InstitutionAccount.objects.count() == batch.opened
    assert len(sheet_rows(account_batches.batch_sheet_take(batch=batch, actor=cast.xiaodian))) == (
        batch.opened
    )


def test_a_grant_withdrawn_before_the_worker_runs_opens_nothing(cast, places):
    InstitutionFactory.create_batch(account_batches.INLINE_AT_MOST + 1, county_id="140105")
    batch = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    RoleGrant.objects.filter(user=cast.xiaodian).delete()
    account_batch_task.apply(args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.opened) == ("failed", 0)
    assert batch.error == "发起人已不再负责小店区的机构账号，未开通任何账号"
    assert not InstitutionAccount.objects.exists()


def test_an_untaken_sheet_is_wiped_after_a_day(cast, places):
    batch = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    assert account_batches.batch_sheets_purge(now=timezone.now()) == 0
    later = timezone.now() + account_batches.KEEP
    assert account_batches.batch_sheets_purge(now=later) == 1
    batch.refresh_from_db()
    assert batch.sheet == "" and batch.sheet_until is None


# -- the pages: scope, roles and bad input ---------------------------------------------


def test_the_officer_opens_a_county_from_the_register_and_downloads_once(client, cast, places):
    client.force_login(cast.xiaodian)
    listing = client.get(reverse("institutions:list")).content.decode()
    assert reverse("institutions:account_batches") in listing
    page = client.get(reverse("institutions:account_batches"))
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert [c.code for c in page.context["counties"]] == ["140105"]
    done = client.post(reverse("institutions:account_batches"), {"county": "140105"})
    assert done.status_code == 302
    batch = AccountBatch.objects.get()
    url = reverse("institutions:account_batch_sheet", args=[batch.pk])
    assert client.get(url).status_code == 405
    sheet = client.post(url)
    assert sheet.status_code == 200 and "no-store" in sheet["Cache-Control"]
    assert (
        len(sheet_rows(b"".join(sheet.streaming_content) if sheet.streaming else sheet.content))
        == 1
    )
    again = client.post(url, follow=True)
    assert "只能下载一次" in again.content.decode()


def test_another_county_is_404_and_nothing_is_opened(client, cast, places):
    client.force_login(cast.xiaodian)
    for code in ("140213", "999999", "1" * 500, "14010５"):
        response = client.post(reverse("institutions:account_batches"), {"county": code})
        assert response.status_code == 404, code
    assert not AccountBatch.objects.exists() and not InstitutionAccount.objects.exists()
    assert (
        client.post(reverse("institutions:account_batches"), {"county": "1401\x0005"}).status_code
        == 400
    )


def test_someone_elses_sheet_is_404_and_stays(client, cast, places):
    batch = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope_for(cast.xiaodian)
    )
    other = UserFactory(username="xiaodian2", grant=("county_officer", "140105"))
    client.force_login(other)
    assert (
        client.post(reverse("institutions:account_batch_sheet", args=[batch.pk])).status_code == 404
    )
    client.force_login(cast.admin)
    assert (
        client.post(reverse("institutions:account_batch_sheet", args=[batch.pk])).status_code == 404
    )
    batch.refresh_from_db()
    assert batch.sheet


@pytest.mark.parametrize("member", ["taiyuan", "province", "auditor", "outsider"])
def test_roles_without_the_duty_are_refused(client, cast, places, member):
    client.force_login(getattr(cast, member))
    assert client.get(reverse("institutions:account_batches")).status_code == 403
    assert (
        client.post(reverse("institutions:account_batches"), {"county": "140105"}).status_code
        == 403
    )
    assert not AccountBatch.objects.exists()


def test_a_fire_county_officer_is_refused(client, cast, places):
    fire = UserFactory(username="fire_cty", grant=("county_officer", "140105"))
    RoleGrant.objects.filter(user=fire).update(department="fire")
    client.force_login(fire)
    assert client.get(reverse("institutions:account_batches")).status_code == 403
    assert (
        client.post(reverse("institutions:account_batches"), {"county": "140105"}).status_code
        == 403
    )
    assert not AccountBatch.objects.exists()


def test_a_province_admin_opens_any_county_of_the_province(client, cast, places):
    client.force_login(cast.admin)
    response = client.post(reverse("institutions:account_batches"), {"county": "140213"})
    assert response.status_code == 302
    assert InstitutionAccount.objects.get().institution == places.pingcheng


# -- found by review ----------------------------------------------------------------------


def test_an_interrupted_batch_does_not_block_the_county_and_its_passwords_stay(cast, places):
    import datetime as dt

    InstitutionFactory.create_batch(account_batches.INLINE_AT_MOST + 1, county_id="140105")
    scope = scope_for(cast.xiaodian)
    first = account_batches.account_batch_request(county=county(), actor=cast.xiaodian, scope=scope)
    # Its worker opened some, sealed them, then died: the batch stays RUNNING, silent.
    account_batches.account_batch_run(batch_id=first.pk)
    AccountBatch.objects.filter(pk=first.pk).update(
        status=AccountBatch.Status.RUNNING,
        touched_at=timezone.now() - account_batches.STALE - dt.timedelta(minutes=1),
    )
    first.refresh_from_db()
    assert len(sheet_rows(account_batches.batch_sheet_take(batch=first, actor=cast.xiaodian)))
    InstitutionFactory(county_id="140105")
    second = account_batches.account_batch_request(
        county=county(), actor=cast.xiaodian, scope=scope
    )
    first.refresh_from_db()
    assert first.status == "failed" and "中断" in first.error
    assert (second.status, second.opened) == ("done", 1)


def test_a_switched_off_or_meanwhile_opened_account_is_left_alone(cast, places):
    from institutions.accounts import institution_account_open, institution_account_set_active

    scope = scope_for(cast.xiaodian)
    account, _password = institution_account_open(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope
    )
    institution_account_set_active(account=account, active=False, actor=cast.xiaodian, scope=scope)
    assert not account_batches.candidates("140105").filter(pk=places.xiaodian.pk).exists()
    with pytest.raises(ValidationError, match="都已开通账号"):
        account_batches.account_batch_request(county=county(), actor=cast.xiaodian, scope=scope)
