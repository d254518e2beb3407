"""Ledgers exported in the background: the same rows as the download, scoped at run time,
claimed once, kept 7 days, served to their owner only."""

import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent, RoleGrant
from accounts.scope import scope_for
from clock.tasks import purge_uploads
from config.celery import app
from reporting.ledgers import ledgers_for
from tabular import download as download_module
from tabular.export import ListExporter
from tabular.export_runs import (
    export_run_claim,
    export_run_create,
    export_run_execute,
    export_runs_purge,
)
from tabular.models import ExportRun
from tests.factories import UserFactory
from tests.reporting import test_ledgers

# The 台账 tests' data: two submitted inspections (小店区, 平城区) and publicity activities.
both = test_ledgers.both
activities = test_ledgers.activities

TIME = re.compile(r"（导出时间：[^）]*）")


def workbook_rows(data: bytes) -> list[tuple]:
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    # The title names the minute of export: the same ledger a minute later differs there only.
    return [tuple(TIME.sub("", c) if isinstance(c, str) else c for c in r) for r in rows]


def run_file(run: ExportRun) -> bytes:
    with run.file.open("rb") as handle:
        return handle.read()


def started(user, ledger, query="", **kwargs):
    """A run created and executed in this process (the worker test runs it in Celery)."""
    run = export_run_create(actor=user, ledger=ledger, query=query)
    return export_run_execute(run_id=run.pk, **kwargs)


# -- service ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_ledger_run_in_the_background_equals_its_download(client, cast, both, activities):
    client.force_login(cast.taiyuan)
    ledgers = ledgers_for(scope_for(cast.taiyuan))
    assert {ledger.key for ledger in ledgers} >= {"inspections", "rectification", "publicity"}
    for ledger in ledgers:
        query = "region=140105&format=xlsx"
        run = started(cast.taiyuan, ledger.key, query)
        assert run.status == "done", (ledger.key, run.message)
        direct = client.get(f"{reverse(ledger.url_name)}?{query}")
        assert direct.status_code == 200, ledger.key
        assert workbook_rows(run_file(run)) == workbook_rows(direct.content), ledger.key
        assert run.file_name.startswith(ledger.basename) and run.file_name.endswith(".xlsx")
    rows = workbook_rows(run_file(ExportRun.objects.get(ledger="inspections")))
    assert rows[0][0].startswith("小店区")
    assert rows[2][0] == "小店区博雅舞蹈培训学校"


@pytest.mark.django_db(transaction=True)
def test_a_csv_run_and_its_audit_event(cast, both):
    run = started(cast.taiyuan, "inspections", "format=csv&result=rectify")
    text = run_file(run).decode("utf-8-sig")
    assert "小店区博雅舞蹈培训学校" in text and run.file_name.endswith(".csv")
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).latest("pk")
    assert event.actor == cast.taiyuan
    assert event.detail["ledger"] == "inspections" and event.detail["run"] == run.pk
    assert event.detail["filters"] == {"format": "csv", "result": "rectify"}
    assert event.detail["rows"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_scope_is_taken_when_the_run_starts_never_when_it_was_asked(cast, both):
    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query="region=140100")
    # Meanwhile the city grant is narrowed to 小店区 ... the run never sees more than that.
    RoleGrant.objects.filter(user=cast.taiyuan).update(region_id="140213")
    run = export_run_execute(run_id=run.pk)
    rows = workbook_rows(run_file(run))
    assert rows[0][0].startswith("平城区")  # the asked-for 太原市 is no longer in scope
    assert [r[0] for r in rows[2:]] == ["平城区启明美术培训学校"]


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_owner_lost_the_permission_fails_cleanly(cast, both):
    run = export_run_create(actor=cast.taiyuan, ledger="staff", query="")
    RoleGrant.objects.filter(user=cast.taiyuan).delete()
    run = export_run_execute(run_id=run.pk)
    assert run.status == "failed" and not run.file
    assert run.message == "您已不再拥有导出该台账的权限，导出未进行"
    assert run.finished_at is not None
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).exists()


@pytest.mark.django_db(transaction=True)
def test_progress_is_reported_every_n_rows_and_the_run_ends_at_its_count(cast, places):
    seen = []

    class Numbers(ListExporter):
        headers = ["n"]

        def rows(self):
            yield from ([i] for i in range(7))

    Numbers().write_xlsx(io.BytesIO(), progress=seen.append, every=3)
    assert seen == [3, 6, 7]
    run = started(cast.taiyuan, "institutions", "", every=1)
    assert (run.rows_written, run.rows_total, run.percent) == (2, 2, 100)


@pytest.mark.django_db(transaction=True)
def test_a_run_claimed_twice_runs_once(cast, both):
    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
    assert export_run_claim(run_id=run.pk) is True
    assert export_run_claim(run_id=run.pk) is False  # the redelivered task finds it taken
    ExportRun.objects.filter(pk=run.pk).update(status="queued")
    done = export_run_execute(run_id=run.pk)
    name = done.file.name
    assert export_run_execute(run_id=run.pk) is None
    done.refresh_from_db()
    assert done.file.name == name
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_left_running_by_a_dead_worker_is_taken_again(cast, both):
    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query="")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ExportRun.objects.filter(pk=run.pk).update(status="running", claimed_at=long_ago)
    assert export_run_execute(run_id=run.pk).status == "done"


@pytest.mark.django_db(transaction=True)
def test_the_purge_removes_file_and_row_after_seven_days(cast, both):
    old = started(cast.taiyuan, "inspections")
    fresh = started(cast.taiyuan, "publicity")
    assert old.expires_at - old.finished_at == dt.timedelta(days=7)
    path = Path(old.file.path)
    assert path.exists()
    ExportRun.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    purge_uploads.apply().get()  # the clock's hourly purge task
    assert not path.exists()
    assert list(ExportRun.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert Path(fresh.file.path).exists()
    assert export_runs_purge(now=fresh.expires_at) == 1
    assert not ExportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_rectification_ledger_lists_tasks_with_their_progress(client, cast, both):
    client.force_login(cast.province)
    response = client.get(reverse("ledgers:rectification"))
    rows = workbook_rows(response.content)
    assert "整改台账" in rows[0][0]
    assert rows[1][:3] == ("机构名称", "统一社会信用代码", "所在县区")
    by_name = {r[0]: r for r in rows[2:]}
    assert set(by_name) == {"小店区博雅舞蹈培训学校", "平城区启明美术培训学校"}
    assert all(r[10] == "整改中" for r in rows[2:])
    assert sum(r[7] for r in rows[2:]) == 3  # the problems of both inspections
    response = client.get(reverse("ledgers:rectification"), {"status": "closed"})
    assert workbook_rows(response.content)[2:] == []


# -- scope and ownership ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_only_the_owner_sees_and_downloads_a_run(client, cast, both):
    run = started(cast.taiyuan, "inspections")
    url = reverse("ledgers:export_download", args=[run.pk])
    before = ExportRun.objects.filter(pk=run.pk).values().get()
    for other in (cast.xiaodian, cast.province, cast.admin):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert f"run-{run.pk}" not in client.get(reverse("ledgers:export_runs")).content.decode()
    assert ExportRun.objects.filter(pk=run.pk).values().get() == before
    client.force_login(cast.taiyuan)
    response = client.get(url)
    assert response.status_code == 200
    assert workbook_rows(b"".join(response.streaming_content))[2][0] == "小店区博雅舞蹈培训学校"
    assert "attachment" in response["Content-Disposition"]


def test_a_finished_run_whose_file_is_gone_is_a_plain_404(client, cast, both):
    run = started(cast.taiyuan, "inspections")
    run.file.storage.delete(run.file.name)
    client.force_login(cast.taiyuan)
    assert client.get(reverse("ledgers:export_download", args=[run.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_role_without_the_ledgers_permission_gets_403_and_nothing_is_created(client, cast):
    fire = UserFactory(username="fire", grant=("department_user", "140100", "fire"))
    client.force_login(fire)
    new = reverse("ledgers:export_new")
    assert client.get(new, {"ledger": "staff"}).status_code == 403
    assert client.post(new, {"ledger": "staff", "query": ""}).status_code == 403
    with pytest.raises(PermissionDenied):
        export_run_create(actor=fire, ledger="fees", query="")
    client.force_login(cast.auditor)
    assert client.post(new, {"ledger": "inspections", "query": ""}).status_code == 403
    assert not ExportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_finished_file_is_refused_once_the_permission_is_gone(client, cast, both):
    run = started(cast.taiyuan, "inspections")
    RoleGrant.objects.filter(user=cast.taiyuan).update(role="auditor")
    client.force_login(cast.taiyuan)
    assert client.get(reverse("ledgers:export_download", args=[run.pk])).status_code == 403


# -- bad input --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("ledger", "query", "message"),
    [
        ("nonsense", "", "没有这个台账"),
        ("inspections", "from=2023-02-30", "日期“2023-02-30”格式不正确"),
        ("inspections", "to=昨天", "格式不正确"),
        ("inspections", "region=140213", "未找到该地区或不在您的管辖范围内"),
        ("inspections", "region=999999", "未找到该地区或不在您的管辖范围内"),
        ("inspections", "result=maybe", "检查结论选择不正确"),
        ("institutions", "sector=x", "行业选择不正确"),
        ("inspections", "format=pdf", "导出格式只能是 xlsx 或 csv"),
        ("sampling", "draw=999999", "未找到该抽样记录或不在您的管辖范围内"),
        ("sampling", "", "请选择要导出的记录"),
    ],
)
def test_bad_input_is_explained_in_chinese_and_nothing_is_created(
    client, cast, regions, ledger, query, message
):
    with pytest.raises(ValidationError) as refused:
        export_run_create(actor=cast.xiaodian, ledger=ledger, query=query)
    assert any(message in m for m in refused.value.messages)
    client.force_login(cast.xiaodian)
    response = client.post(reverse("ledgers:export_new"), {"ledger": ledger, "query": query})
    assert response.status_code == 400
    assert message in response.content.decode()
    page = client.get(f"{reverse('ledgers:export_new')}?ledger={ledger}&{query}")
    assert page.status_code == 400 and message in page.content.decode()
    assert not ExportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_download_above_the_limit_is_sent_to_the_background(client, cast, both, monkeypatch):
    monkeypatch.setattr(download_module, "INLINE_ROWS", 0)
    client.force_login(cast.taiyuan)
    response = client.get(reverse("ledgers:inspections"), {"region": "140105", "format": "xlsx"})
    assert response.status_code == 302
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200 and "本次台账共 1 行" in html
    assert 'name="query" value="region=140105&amp;format=xlsx"' in html
    assert not ExportRun.objects.exists()  # nothing starts before the user says so


# -- the hub and 我的导出 ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_hub_starts_a_run_and_my_exports_polls_until_done(client, cast, both):
    client.force_login(cast.taiyuan)
    hub = client.get(reverse("ledgers:index")).content.decode()
    assert 'data-testid="background-inspections"' in hub
    query = {"format": "xlsx", "region": "140105", "sector": "", "ledger": "inspections"}
    page = client.get(reverse("ledgers:export_new"), query)
    assert page.status_code == 200 and "format=xlsx&amp;region=140105" in page.content.decode()
    response = client.post(
        reverse("ledgers:export_new"),
        {"ledger": "inspections", "query": "format=xlsx&region=140105"},
    )
    run = ExportRun.objects.get()
    assert response.url == f"{reverse('ledgers:export_runs')}#run-{run.pk}"
    assert (run.created_by, run.ledger, run.query) == (
        cast.taiyuan,
        "inspections",
        "format=xlsx&region=140105",
    )
    partial = client.get(reverse("ledgers:export_runs"), headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html and 'hx-trigger="every 2s"' in html and "排队中" in html
    export_run_execute(run_id=run.pk)
    html = client.get(reverse("ledgers:export_runs")).content.decode()
    assert "hx-trigger" not in html and f'data-testid="download-run-{run.pk}"' in html
    assert "保留至" in html


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_shows_its_reason(client, cast, both):
    run = export_run_create(actor=cast.taiyuan, ledger="staff", query="")
    RoleGrant.objects.filter(user=cast.taiyuan).update(role="department_user", department="fire")
    export_run_execute(run_id=run.pk)
    client.force_login(cast.taiyuan)
    html = client.get(reverse("ledgers:export_runs")).content.decode()
    assert "导出失败" in html and "您已不再拥有导出该台账的权限" in html


# -- a real worker ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_export(client, cast, both):
    client.force_login(cast.taiyuan)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        client.post(reverse("ledgers:export_new"), {"ledger": "problems", "query": "region=140105"})
        run = ExportRun.objects.get()
        deadline = timezone.now() + dt.timedelta(seconds=60)
        while timezone.now() < deadline:
            run.refresh_from_db()
            if not run.is_busy:
                break
            time.sleep(0.2)
    assert run.status == "done", run.message
    rows = workbook_rows(run_file(run))
    assert "问题清单" in rows[0][0] and len(rows[2:]) == 2
