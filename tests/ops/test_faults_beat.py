"""Two `celery beat` processes at once (a second one started by mistake, or during a
hand-over): both fire the clock, and each reminder, flag and escalation still appears once.

Real beat and worker processes over a throwaway Redis, reading the schedule from the test
database (django-celery-beat's DatabaseScheduler; the rows clock/schedule.py makes).
"""

import datetime as dt
import os
import subprocess
import sys
import uuid

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts import outbox
from accounts.models import Notification, User
from clock.models import JobRun, RegionOverdue
from clock.schedule import OUTBOX_SWEEP_NAME, SCHEDULE_NAME
from tests.clock.test_clock_worker import database_url
from tests.ops.test_faults_redis import wait_for
from tests.ops.test_faults_worker import ROOT, Worker, broker, timeline  # noqa: F401 — fixtures

FAST_TICK = "测试：每两秒运行专项行动定时任务"
FAST_SWEEP = "测试：每两秒补发通知邮件"


class Beat:
    def __init__(self, broker_url: str, workdir, log):
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": broker_url}
        name = uuid.uuid4().hex[:8]
        with log.open("a") as out:
            self.process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                 "--pidfile=", f"--schedule={workdir / name}"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def every_two_seconds(name: str, task: str) -> PeriodicTask:
    """The production jobs on a fast schedule, so two beats meet within seconds."""
    interval, _created = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.SECONDS
    )
    return PeriodicTask.objects.create(
        name=name, task=task, interval=interval, start_time=timezone.now() - dt.timedelta(hours=1)
    )


def sent_by(log) -> list[str]:
    text = log.read_text() if log.exists() else ""
    return [name for name in (FAST_TICK, FAST_SWEEP) if f"Sending due task {name}" in text]


@pytest.mark.django_db(transaction=True)
def test_two_beats_fire_the_same_jobs_and_every_effect_appears_once(
    broker,  # noqa: F811 — the fixture imported above
    timeline,  # noqa: F811 — the fixture imported above
    tmp_path,
):
    assert PeriodicTask.objects.filter(name__in=[SCHEDULE_NAME, OUTBOX_SWEEP_NAME]).count() == 2
    PeriodicTask.objects.update(enabled=False)  # the hourly and per-minute rows: too slow here
    every_two_seconds(FAST_TICK, "clock.tasks.tick")
    every_two_seconds(FAST_SWEEP, "accounts.tasks.sweep_outbox")
    # Three e-mails waiting in the outbox (written while Redis was down, say).
    officer = User.objects.get(username="xiaodian")
    # A row leaves for the user's address of the moment it is sent (accounts/outbox.py).
    User.objects.filter(pk=officer.pk).update(email="officer@example.cn")
    for n in range(3):
        Notification.objects.create(
            user=officer, kind="other", title=f"待发邮件 {n}", key=f"waiting-{n}",
            email_to="officer@example.cn",
        )  # fmt: skip
    mail_dir = tmp_path / "mail"
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    worker = Worker(
        broker, "celery", tmp_path / "worker.log", pool="solo",
        env={"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
             "EMAIL_FILE_PATH": str(mail_dir)},
    )  # fmt: skip
    beats = []
    try:
        worker.wait_ready()
        beats = [Beat(broker, tmp_path, log) for log in logs]
        # Both beats fire both jobs (each at least once), and the worker has run them.
        wait_for(
            lambda: all(sent_by(log) == [FAST_TICK, FAST_SWEEP] for log in logs),
            seconds=60, what="both beats firing both jobs",
        )  # fmt: skip
        wait_for(lambda: JobRun.objects.count() >= 2, seconds=30, what="two runs of the clock")
    finally:
        for beat in beats:
            beat.stop()
        worker.stop()
    # The clock: whatever number of runs, one did the work and the rest found it done.
    runs = list(JobRun.objects.values_list("reminders", "overdue", "escalations", "quota_flags"))
    assert len(runs) >= 2
    assert sum(1 for run in runs if any(run)) == 1
    busy = next(run for run in runs if any(run))
    assert RegionOverdue.objects.count() == busy[1] > 0
    assert Notification.objects.filter(kind="escalation").count() >= busy[2] > 0
    # The outbox: every waiting e-mail sent once, however many sweeps ran.
    messages = "".join(p.read_text() for p in mail_dir.glob("*.log"))
    assert not outbox.pending().exists()
    waiting = Notification.objects.filter(key__startswith="waiting-")
    assert set(waiting.values_list("email_attempts", flat=True)) == {1}
    assert messages.count("To: officer@example.cn") == 3
