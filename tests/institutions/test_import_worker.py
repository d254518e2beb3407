"""A large import runs in a real Celery worker over the real Redis broker (REDIS_URL)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.celery import app
from institutions.models import Institution
from tabular import runs
from tabular.models import ImportRun
from tests.institutions.test_import import HEADER, code, xlsx


def wait_for(run_id, status, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = ImportRun.objects.get(pk=run_id)
        if run.status == status:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} stayed {run.status!r}, expected {status!r}")


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_checked_and_written_by_the_worker(client, cast, monkeypatch):
    monkeypatch.setattr(runs, "INLINE_LIMIT_BYTES", 0)  # every file counts as large here
    rows = [[f"小店区第{i}培训学校", code(), "学科类", "", "小店区", i] for i in range(1, 301)]
    client.force_login(cast.xiaodian)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(
            reverse("institutions:import"),
            {"file": SimpleUploadedFile("大表.xlsx", xlsx([HEADER, *rows]))},
        )
        run_id = ImportRun.objects.get().pk
        assert response.url == reverse("institutions:import_run", args=[run_id])
        # The page polls while the worker checks (htmx partial).
        run = wait_for(run_id, "checked")
        assert (run.total_rows, run.created_count, run.error_count) == (300, 300, 0)
        partial = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
        assert "确认导入" in partial and "<html" not in partial
        client.post(reverse("institutions:import_run_confirm", args=[run_id]))
        wait_for(run_id, "done")
    assert Institution.objects.count() == 300
