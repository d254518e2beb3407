"""The clock's task in a real Celery worker process over the real Redis broker (REDIS_URL).

The worker listens on a queue of its own, so it never takes another test's tasks (nor
another test's worker this one's). It reads the test database through its own connection.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction

from accounts.models import Notification
from clock.models import JobRun
from clock.tasks import enqueue_campaign_jobs
from tests.clock.test_clock import at, inspected, screened
from tests.factories import InstitutionFactory
from tests.inspections.test_problems import seed_campaign

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


@pytest.fixture
def worker(tmp_path):
    assert settings.REDIS_URL, "REDIS_URL must name the Redis this test runs against"
    queue = f"clock-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log.read_text()[-5000:])  # pytest shows it only when the test fails


@pytest.mark.django_db(transaction=True)
def test_a_run_enqueued_after_commit_notifies_once_in_a_real_worker(cast, places, worker):
    campaign_id = seed_campaign().pk
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
        screened(cast.pingcheng, places.pingcheng)
    InstitutionFactory(county_id="140105")  # not yet screened: 小店区 is reminded

    # Enqueued inside a transaction that rolls back: never sent.
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_campaign_jobs(campaign_id, now="2023-12-01T09:00", queue=worker)
        raise RuntimeError
    # The same run enqueued twice (two beats, or a redelivery) after the commit.
    with transaction.atomic():
        enqueue_campaign_jobs(campaign_id, now="2023-11-27T09:00", queue=worker)
        enqueue_campaign_jobs(campaign_id, now="2023-11-27T09:00", queue=worker)
        assert JobRun.objects.count() == 0  # nothing leaves before the commit

    wait_for(lambda: JobRun.objects.count() == 2)
    runs = sorted(
        JobRun.objects.values_list("reminders", "overdue", "escalations", "quota_flags"),
        reverse=True,
    )
    assert runs == [(1, 0, 3, 0), (0, 0, 0, 0)]
    assert set(JobRun.objects.values_list("moment", flat=True)) == {at(11, 27)}
    mine = Notification.objects.filter(kind__in=["reminder", "overdue", "escalation"])
    assert sorted(mine.values_list("user__username", "kind")) == [
        ("province", "escalation"),
        ("xiaodian", "escalation"),
        ("xiaodian", "escalation"),
        ("xiaodian", "reminder"),
    ]
