"""A Celery worker killed (SIGKILL) in the middle of the clock's run: the run is delivered
again and every reminder and escalation it sends appears once.

Real worker processes over a throwaway Redis (tests/ops/test_faults_redis.py). To kill the run at
a known point, the test holds a lock on the table of run logs: the worker sends its messages
(each committed on its own, with its claim), then waits on that lock to log the run; the test
sees it waiting in pg_stat_activity and kills it there, after real effects and before the end.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction

from accounts.models import Notification
from clock.models import JobRun
from clock.tasks import run_campaign
from tests.clock.test_clock import at, inspected, screened
from tests.clock.test_clock_worker import database_url
from tests.factories import InstitutionFactory
from tests.inspections.test_problems import seed_campaign
from tests.ops.test_faults_redis import ThrowawayRedis, celery_broker, wait_for

ROOT = Path(__file__).resolve().parents[2]
CLOCK_KINDS = ["reminder", "overdue", "escalation"]
# What the run as at 27 Nov sends (tests/clock/test_clock_worker.py): one reminder, three escalations.
EXPECTED = [
    ("province", "escalation"),
    ("xiaodian", "escalation"),
    ("xiaodian", "escalation"),
    ("xiaodian", "reminder"),
]


class Worker:
    """`celery worker` in its own process group, on its own queue."""

    def __init__(self, broker: str, queue: str, log: Path, *, pool: str, visibility: int = 3600,
                 env: dict | None = None):  # fmt: skip
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": broker,
               "CELERY_VISIBILITY_TIMEOUT": str(visibility), **(env or {})}  # fmt: skip
        self.log = log
        self.start_at = len(log.read_text()) if log.exists() else 0
        with log.open("a") as out:
            self.process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}",
                 "--concurrency=1", "-Q", queue, "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h",
                 "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--loglevel=INFO"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self) -> None:
        """Until it listens: a message sent to a queue nobody has declared yet is dropped."""
        wait_for(lambda: "ready." in self.log.read_text()[self.start_at :], seconds=60,
                 what="the worker starting")  # fmt: skip

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        lines = self.log.read_text().splitlines()
        print("\n".join(line for line in lines if line.startswith("{"))[-6000:])  # on failure


@pytest.fixture
def broker(tmp_path):
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        with celery_broker(server.url):
            yield server.url
    finally:
        server.stop()


@pytest.fixture
def timeline(cast, places):
    campaign_id = seed_campaign().pk
    with time_machine.travel(at(11, 20), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
        screened(cast.pingcheng, places.pingcheng)
    InstitutionFactory(county_id="140105")  # not yet screened: 小店区 is reminded
    return campaign_id


def _waiting_to_log_the_run() -> list[int]:
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views keep their first snapshot: take a new one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"clock_jobrun\"%%'"
        )
        return [row[0] for row in cursor.fetchall()]


def kill_while_logging_the_run(kill) -> None:
    """Hold the run log's table until the worker waits on it, then `kill` the worker and end
    its orphaned database session (a dead host's session is ended by TCP keepalive)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute('LOCK TABLE "clock_jobrun" IN EXCLUSIVE MODE')
        waiting: list[int] = []

        def worker_waits() -> bool:
            waiting[:] = _waiting_to_log_the_run()
            return bool(waiting)

        wait_for(worker_waits, seconds=60, what="the worker reaching the run log")
        # The messages are out already; only the log of the run is missing.
        sent = Notification.objects.filter(kind__in=CLOCK_KINDS)
        assert sorted(sent.values_list("user__username", "kind")) == EXPECTED
        kill()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", [waiting])


def assert_effects_once(campaign_id):
    sent = Notification.objects.filter(kind__in=CLOCK_KINDS)
    assert sorted(sent.values_list("user__username", "kind")) == EXPECTED
    # The delivery that finished found every message claimed: it logged a run of nothing new.
    runs = list(JobRun.objects.values_list("reminders", "overdue", "escalations", "quota_flags"))
    assert runs == [(0, 0, 0, 0)]


@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_run_is_replaced_and_the_run_redelivered(
    broker, timeline, tmp_path
):
    """Prefork: the pool process dies; its parent requeues the task (reject_on_worker_lost)."""
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    worker = Worker(broker, queue, tmp_path / "worker.log", pool="prefork")
    try:
        worker.wait_ready()
        run_campaign.apply_async(args=[timeline], kwargs={"now": "2023-11-27T09:00"}, queue=queue)

        def kill_the_pool_process():
            (child,) = worker.children()
            os.kill(child, signal.SIGKILL)

        kill_while_logging_the_run(kill_the_pool_process)
        wait_for(lambda: JobRun.objects.exists(), seconds=60, what="the redelivered run")
        assert "WorkerLostError" in worker.log.read_text()
    finally:
        worker.stop()
    assert_effects_once(timeline)


@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_run_leaves_the_run_to_the_next_worker(
    broker, timeline, tmp_path
):
    """The worker and its host gone at once: the task, never acknowledged (acks_late), goes
    back to the queue once the visibility timeout passes, and another worker runs it."""
    queue = f"faults-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    first = Worker(broker, queue, log, pool="solo", visibility=2)
    try:
        first.wait_ready()
        run_campaign.apply_async(args=[timeline], kwargs={"now": "2023-11-27T09:00"}, queue=queue)
        kill_while_logging_the_run(first.kill)
    finally:
        first.stop()
    time.sleep(2.5)  # past the visibility timeout: the next worker restores it when it starts
    second = Worker(broker, queue, log, pool="solo", visibility=2)
    try:
        wait_for(lambda: JobRun.objects.exists(), seconds=60, what="the restored run")
    finally:
        second.stop()
    assert_effects_once(timeline)
