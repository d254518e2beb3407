"""Redis down while a large import or a background export is asked for: the request still
answers, the run is kept, and the periodic resume sweep sends its task again once Redis is
back; a worker then does the work once (tabular/resume.py)."""

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from institutions.models import Institution
from tabular import resume, runs
from tabular.models import ExportRun, ImportRun
from tabular.tasks import resume_runs_task
from tests.institutions.test_import import HEADER, code, xlsx
from tests.ops.test_faults_redis import broker_and_cache_on, throwaway_redis, wait_for  # noqa: F401


def rows(n):
    return [[f"小店区第{i}培训学校", code(), "学科类", "", "小店区", i] for i in range(1, n + 1)]


def status(model, pk):
    return model.objects.get(pk=pk).status


def age(model, pk, minutes=10):
    """Pretend the run was asked for a while ago (created, or confirmed for a write)."""
    earlier = timezone.now() - dt.timedelta(minutes=minutes)
    model.objects.filter(pk=pk).update(created_at=earlier)
    if model is ImportRun:
        ImportRun.objects.filter(pk=pk, claimed_at__isnull=False).update(claimed_at=earlier)


@pytest.mark.django_db(transaction=True)
def test_an_import_and_an_export_asked_for_while_redis_is_down_finish_after_it_returns(
    client,
    cast,
    places,
    monkeypatch,
    broker_and_cache_on,  # noqa: F811 - fixture
):
    redis = broker_and_cache_on
    monkeypatch.setattr(runs, "INLINE_LIMIT_BYTES", 0)  # every file goes to a worker
    client.force_login(cast.xiaodian)
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    redis.stop()

    response = client.post(
        reverse("institutions:import"),
        {"file": SimpleUploadedFile("大表.xlsx", xlsx([HEADER, *rows(40)]))},
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and run.status == "pending"
    client.force_login(cast.taiyuan)
    response = client.post(reverse("ledgers:export_new"), {"ledger": "institutions"})
    export = ExportRun.objects.get()
    assert response.status_code == 302 and export.status == "queued"

    # Nothing is re-sent before the runs have waited a while, nor while Redis is down.
    assert resume.runs_resume() == {"checks": 0, "writes": 0, "exports": 0}
    age(ImportRun, run.pk)
    age(ExportRun, export.pk)
    assert resume.runs_resume() == {"checks": 0, "writes": 0, "exports": 0}

    redis.start()
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        resume_runs_task.delay()
        wait_for(lambda: status(ImportRun, run.pk) == "checked", what="the check")
        wait_for(lambda: status(ExportRun, export.pk) == "done", what="the export")
        # Confirmed while Redis is down again would be the same story; here the confirm's
        # own task goes through, and a resume sent meanwhile changes nothing.
        client.force_login(cast.xiaodian)
        client.post(reverse("institutions:import_run_confirm", args=[run.pk]))
        wait_for(lambda: status(ImportRun, run.pk) == "done", what="the write")
        age(ImportRun, run.pk)
        assert resume.runs_resume() == {"checks": 0, "writes": 0, "exports": 0}
    assert Institution.objects.filter(county_id="140105").count() == 1 + 40


@pytest.mark.django_db(transaction=True)
def test_a_write_whose_task_was_lost_is_written_once_after_the_resume(
    client,
    cast,
    places,
    monkeypatch,
    broker_and_cache_on,  # noqa: F811 - fixture
):
    redis = broker_and_cache_on
    monkeypatch.setattr(runs, "INLINE_LIMIT_BYTES", 0)
    client.force_login(cast.xiaodian)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        client.post(
            reverse("institutions:import"),
            {"file": SimpleUploadedFile("大表.xlsx", xlsx([HEADER, *rows(30)]))},
        )
        run = ImportRun.objects.get()
        wait_for(lambda: status(ImportRun, run.pk) == "checked", what="the check")
    redis.stop()
    response = client.post(reverse("institutions:import_run_confirm", args=[run.pk]))
    assert response.status_code == 302 and status(ImportRun, run.pk) == "writing"
    redis.start()
    age(ImportRun, run.pk)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert resume.runs_resume()["writes"] == 1
        wait_for(lambda: status(ImportRun, run.pk) == "done", what="the write")
    # The lost task turning up after all finds the run written and does nothing.
    assert runs.import_run_write(run_id=run.pk) is None
    assert resume.runs_resume() == {"checks": 0, "writes": 0, "exports": 0}
    assert Institution.objects.filter(county_id="140105").count() == 1 + 30


@pytest.mark.django_db
def test_a_run_still_waiting_in_a_busy_queue_is_not_sent_again_at_every_sweep(
    cast, places, monkeypatch
):
    import time

    from tabular.export_runs import export_run_create

    monkeypatch.setattr(resume, "RESEND_EVERY", dt.timedelta(seconds=1))
    export = export_run_create(actor=cast.taiyuan, ledger="institutions", query="")
    age(ExportRun, export.pk)
    try:
        assert resume.runs_resume()["exports"] == 1
        # The next sweep finds the workers have not reached it yet: no second copy queued…
        assert resume.runs_resume()["exports"] == 0
        # …but once RESEND_EVERY has passed it is sent again, in case that copy was lost.
        time.sleep(1.2)
        monkeypatch.setattr(resume, "RESEND_EVERY", dt.timedelta(minutes=15))
        assert resume.runs_resume()["exports"] == 1
        assert resume.runs_resume()["exports"] == 0
        # A database recreated under the same name numbers its runs from 1 again: a run
        # with this id but another creation time is a different run, and is sent at once.
        ExportRun.objects.filter(pk=export.pk).update(
            created_at=F("created_at") - dt.timedelta(seconds=1)
        )
        assert resume.runs_resume()["exports"] == 1
    finally:
        app.control.purge()
