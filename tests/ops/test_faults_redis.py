"""Redis down: an inspection still submits and commits; its e-mails wait in the outbox and go
out once, through a real worker, when Redis is back.

The test never touches the machine's Redis: it starts a throwaway `redis-server` on a free
loopback port and points the in-process Celery app (and the cache) at it. The other fault
modules reuse `ThrowawayRedis` and `free_port`.
"""

import datetime as dt
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import outbox
from accounts.models import Notification, User
from accounts.notifications import notify
from accounts.tasks import sweep_outbox
from complaints import captcha
from complaints.models import Case
from config.celery import app
from inspections.models import Finding, Inspection
from tests.inspections.test_inspection_form import answer_everything, jpeg, upload
from tests.inspections.test_inspections import start
from tests.inspections.test_problems import seed_campaign

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds=20, what="the condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen in time")


class ThrowawayRedis:
    """A redis-server of our own on a free loopback port, nothing saved to disk."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 — the installed binary, our arguments
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, what="redis-server start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
        wait_for(lambda: not self.answers(), what="redis-server stop")


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_broker(url: str):
    """Point the in-process Celery app at another broker, and back afterwards."""
    before = app.conf.broker_url
    app.conf.broker_url = url
    app._after_fork()  # drop the connection and producer pools of the old broker
    try:
        yield
    finally:
        app.conf.broker_url = before
        app._after_fork()


@pytest.fixture
def broker_and_cache_on(throwaway_redis, settings):
    """Celery and the cache both on the throwaway Redis, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": throwaway_redis.url,
        }
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with celery_broker(throwaway_redis.url):
        yield throwaway_redis


def submit_with_a_major_hazard(client, officer, institution):
    """Fill every item through the services, photograph 2.22 (a major fire hazard) and submit
    through the page, as the phone does."""
    inspection = start(officer, institution)
    answer_everything(officer, inspection, non_compliant=["2.22"])
    client.force_login(officer)
    assert upload(client, inspection, "2.22", jpeg()).status_code == 201
    inspection.refresh_from_db()
    deadline = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        reverse("inspections:submit", args=[inspection.pk]),
        {"result": "rectify", "rectify_deadline": deadline.isoformat(),
         "summary": "安全出口锁闭", "version": inspection.version},
    )  # fmt: skip
    return inspection, response


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_submit_commits_and_its_emails_go_out_once_when_redis_returns(
    client, cast, places, broker_and_cache_on
):
    redis = broker_and_cache_on
    seed_campaign()
    User.objects.filter(username__in=["xiaodian", "taiyuan"]).update(email="officer@example.cn")
    officer = User.objects.get(username="xiaodian")
    # The app has talked to this Redis before it dies, as a running site has.
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    redis.stop()

    began = time.monotonic()
    inspection, response = submit_with_a_major_hazard(client, officer, places.xiaodian)
    print(f"submit with Redis down: {time.monotonic() - began:.2f} s")  # for the README
    assert response.status_code == 302
    assert response.url == reverse("inspections:detail", args=[inspection.pk])
    assert Inspection.objects.get(pk=inspection.pk).status == "submitted"
    assert Finding.objects.filter(task__inspection=inspection).count() == 1
    hazard = Notification.objects.filter(kind="major_hazard")
    assert sorted(hazard.values_list("user__username", flat=True)) == ["taiyuan", "xiaodian"]
    assert set(outbox.pending().values_list("pk", flat=True)) == set(
        hazard.values_list("pk", flat=True)
    )
    assert mail.outbox == []

    redis.start()
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sweep_outbox.delay()
        wait_for(lambda: not outbox.pending().exists(), what="the sweep")
        wait_for(lambda: len(mail.outbox) == 2, what="two e-mails")
        # A second sweep finds nothing left to send. A fresh notification, enqueued on
        # commit now that Redis answers, runs after it on the same (solo) worker: when its
        # e-mail is out, the sweep before it has finished.
        sweep_outbox.delay()
        notify(users=[officer], kind="other", title="Redis 已恢复", key="after-redis")
        wait_for(lambda: len(mail.outbox) == 3, what="the third e-mail")
    hazard_mail = [m for m in mail.outbox if m.subject.startswith("重大隐患")]
    assert sorted(m.to[0] for m in hazard_mail) == ["officer@example.cn"] * 2
    assert {m.subject for m in hazard_mail} == {f"重大隐患：{places.xiaodian.name}（小店区）"}
    assert all("2.22" in m.body for m in hazard_mail)
    assert set(hazard.values_list("email_attempts", flat=True)) == {1}
    assert not hazard.filter(email_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_racing_the_commit_task_sends_each_email_once(cast, places):
    """The request's task and the periodic sweep running at once: the claim lets one send."""
    User.objects.filter(username="xiaodian").update(email="officer@example.cn")
    officer = User.objects.get(username="xiaodian")
    rows = notify(users=[officer], kind="other", title="测试", body="正文", key="race")
    pk = Notification.objects.get(key="race").pk
    assert [r.email_to for r in rows] == ["officer@example.cn"]
    results = race(lambda: outbox.deliver([pk]), lambda: outbox.deliver())
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1
    assert outbox.deliver() == 0 and len(mail.outbox) == 1


def race(*calls):
    """Run the calls in threads released at the same instant; return their results."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def work(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db
def test_an_email_that_fails_stays_pending_and_is_retried_later(cast, settings, monkeypatch):
    User.objects.filter(username="xiaodian").update(email="officer@example.cn")
    notify(users=[User.objects.get(username="xiaodian")], kind="other", title="测试", key="k1")
    row = Notification.objects.get(key="k1")

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert outbox.deliver() == 0
    row.refresh_from_db()
    assert row.email_sent_at is None and row.email_attempts == 1
    assert not outbox.pending().exists()  # waits out its back-off
    monkeypatch.undo()
    Notification.objects.filter(pk=row.pk).update(email_claimed_until=timezone.now())
    assert outbox.deliver() == 1 and len(mail.outbox) == 1
    assert outbox.deliver() == 0


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_public_can_still_file_a_complaint(
    client, regions, broker_and_cache_on
):
    client.get(reverse("complaints_public:form"))  # the session (in the database) has the question
    answer = client.session[captcha.SESSION_KEY]["answer"]
    broker_and_cache_on.stop()
    response = client.post(
        reverse("complaints_public:form"),
        {"category": "safety_hazard", "county": "140105", "institution_name": "某培训学校",
         "description": "教室安全出口被杂物堵塞。", "captcha": answer},
    )  # fmt: skip
    assert response.status_code == 302
    assert Case.objects.count() == 1
