"""Deadline day: county officers inspect and submit with photos while city and province
staff browse dashboards. Run through `python manage.py load_test` (bounded users and time,
127.0.0.1 only), which seeds the plan and starts gunicorn as production does.

Locust imports this file on its own, outside Django: it reads the plan from the path in
LOAD_PLAN and uses only `ops.load.flow` (no ORM).
"""

import itertools
import json
import os
import random
import threading
import time

from locust import HttpUser, between, task

from ops.load.flow import ScenarioError, browse, inspect, login, photo_bytes, resume

with open(os.environ["LOAD_PLAN"], encoding="utf-8") as handle:
    PLAN = json.load(handle)
PHOTO = photo_bytes()
# "20,40": seconds between an officer's section saves (Locust's gevent makes the sleep
# cooperative); empty: the compressed scenario, everything in one save.
_THINK = [float(x) for x in os.environ.get("LOAD_THINK", "").split(",") if x]
_lock = threading.Lock()
_officers = iter(PLAN["officers"])
_browsers = itertools.cycle(PLAN["browsers"])


class CountyOfficer(HttpUser):
    weight = int(os.environ.get("LOAD_OFFICER_WEIGHT", "10"))
    # An officer walks through an institution: minutes in life, seconds here, so the
    # server sees deadline day compressed.
    wait_time = between(1, 3)

    def on_start(self):
        with _lock:
            self.me = next(_officers, None)
        if self.me is None:
            self.stop()
            return
        self.todo = list(self.me["institutions"])
        resume(self.client, self.me["session"])

    @task
    def inspect_next(self):
        if not self.todo:
            self.stop()
            return
        try:
            inspect(
                self.client, self.todo.pop(0), deadline=PLAN["deadline"], photo=PHOTO,
                think=(lambda: time.sleep(random.uniform(*_THINK))) if _THINK else None,
            )  # fmt: skip
        except ScenarioError as exc:
            self.environment.events.request.fire(
                request_type="SCENARIO", name="inspection", response_time=0,
                response_length=0, exception=exc, context={},
            )  # fmt: skip


class Reviewer(HttpUser):
    weight = int(os.environ.get("LOAD_REVIEWER_WEIGHT", "1"))
    wait_time = between(2, 5)

    def on_start(self):
        with _lock:
            username = next(_browsers)
        login(self.client, username, PLAN["password"])
        self.step = 0

    @task
    def look(self):
        self.step += 1
        browse(self.client, self.step)


class Ceiling(HttpUser):
    """Only in the ceiling run (named on Locust's command line): a trivial endpoint on the
    same server, so the scenario's throughput has a ceiling to be read against."""

    wait_time = between(0, 0)

    @task
    def ping(self):
        self.client.get(os.environ.get("LOAD_TRIVIAL_PATH", "/healthz"), name="trivial")
