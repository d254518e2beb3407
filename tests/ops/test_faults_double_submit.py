"""A double click or two tabs: the same write twice at the same instant on the real
PostgreSQL, each on its own connection. Exactly one effect, and the loser gets a clear answer.
"""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from accounts.scope import scope_for
from complaints import captcha
from complaints.models import Case
from inspections import services
from inspections.models import Finding, Inspection, RectificationTask
from institutions.models import Institution
from tabular.models import ImportRun
from tests.inspections.test_inspections import answer_all, photograph, start
from tests.inspections.test_problems import finding, inspected, seed_campaign
from tests.institutions.test_import import HEADER, check, code, xlsx


def race(*calls):
    """Run the calls in threads released together; return (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = [None] * len(calls)

    def work(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # noqa: BLE001 — the caller asserts on it
            errors[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results, errors


def messages(error) -> str:
    return "；".join(getattr(error, "messages", [str(error)]))


@pytest.mark.django_db(transaction=True)
def test_an_inspection_submitted_twice_at_once_is_submitted_once(cast, places):
    seed_campaign()
    officer = cast.xiaodian
    User.objects.filter(pk=officer.pk).update(email="officer@example.cn")
    draft = start(officer, places.xiaodian)
    answer_all(officer, draft, non_compliant=["2.22"])
    photograph(officer, draft, "2.22")
    draft.refresh_from_db()

    def submit():
        # Each tab holds its own copy of the record, loaded before either click.
        copy = Inspection.objects.get(pk=draft.pk)
        return services.inspection_submit(
            inspection=copy, actor=officer, scope=scope_for(officer), version=draft.version,
            result="rectify", rectify_deadline=timezone.localdate() + dt.timedelta(days=10),
        )  # fmt: skip

    results, errors = race(submit, submit)
    assert sum(r is not None for r in results) == 1
    loser = next(e for e in errors if e is not None)
    assert isinstance(loser, ValidationError)
    assert "已经提交过了" in messages(loser) or "已被修改或提交" in messages(loser)
    assert Inspection.objects.get(pk=draft.pk).status == "submitted"
    assert RectificationTask.objects.filter(inspection=draft).count() == 1
    assert Finding.objects.filter(task__inspection=draft).count() == 1
    notified = Notification.objects.filter(key=f"major-hazard:{draft.pk}")
    assert sorted(notified.values_list("user__username", flat=True)) == ["taiyuan", "xiaodian"]


@pytest.fixture
def problem(cast, places):
    seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01",))
    return finding(places.xiaodian, "1.01")


@pytest.mark.django_db(transaction=True)
def test_a_problem_verified_twice_at_once_is_closed_once(cast, problem):
    officer = cast.xiaodian
    services.finding_report(finding=problem, actor=officer, scope=scope_for(officer), note="已整改")

    def verify():
        copy = Finding.objects.get(pk=problem.pk)
        return services.finding_verify(
            finding=copy, actor=officer, scope=scope_for(officer), passed=True, note="复查合格"
        )

    results, errors = race(verify, verify)
    assert sum(r is not None for r in results) == 1
    assert "已复查销号" in messages(next(e for e in errors if e is not None))
    problem.refresh_from_db()
    assert problem.status == "closed"
    closings = problem.history.filter(status="closed").count()
    assert closings == 1


@pytest.mark.django_db(transaction=True)
def test_a_pass_and_a_send_back_at_once_leave_one_consistent_outcome(cast, problem):
    """Two officers in two tabs: one closes the problem, the other sends it back. The second
    to arrive is refused, so the problem is never both closed and reopened."""
    officer = cast.xiaodian
    services.finding_report(finding=problem, actor=officer, scope=scope_for(officer), note="已整改")
    later = timezone.localdate() + dt.timedelta(days=20)

    def verify(passed):
        def call():
            copy = Finding.objects.get(pk=problem.pk)
            return services.finding_verify(
                finding=copy, actor=officer, scope=scope_for(officer), passed=passed,
                deadline=None if passed else later,
            )  # fmt: skip

        return call

    results, errors = race(verify(True), verify(False))
    problem.refresh_from_db()
    task = RectificationTask.objects.get(pk=problem.task_id)
    # Either order is fine; an interleaving of the two is not.
    if errors == [None, None]:  # sent back, then closed
        assert (problem.status, problem.reopened_count) == ("closed", 1)
    else:  # closed, then the send-back refused
        assert errors[0] is None and "已复查销号" in messages(errors[1])
        assert (problem.status, problem.reopened_count) == ("closed", 0)
    assert task.closed_at is not None
    assert problem.history.filter(status="closed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_problem_reported_twice_at_once_is_reported_once(cast, problem):
    officer = cast.xiaodian

    def report():
        copy = Finding.objects.get(pk=problem.pk)
        return services.finding_report(
            finding=copy, actor=officer, scope=scope_for(officer), note="已整改，附照片"
        )

    results, errors = race(report, report)
    assert all(e is None or isinstance(e, ValidationError) for e in errors)
    problem.refresh_from_db()
    assert (problem.status, problem.report_note) == ("reported", "已整改，附照片")
    # One report in the record's trace, not two.
    assert problem.history.filter(status="reported").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_import_confirmed_twice_at_once_writes_once(cast):
    admin = cast.admin
    rows = [[f"小店区第{i}培训学校", code(), "学科类", "", "小店区", i] for i in range(1, 21)]
    run = check(admin, xlsx([HEADER, *rows]))
    assert run.status == "checked"
    client_a, client_b = Client(), Client()
    client_a.force_login(admin)
    client_b.force_login(admin)
    url = reverse("institutions:import_run_confirm", args=[run.pk])
    results, errors = race(lambda: client_a.post(url), lambda: client_b.post(url))
    assert errors == [None, None]
    assert [r.status_code for r in results] == [302, 302]
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("done", 20)
    assert Institution.objects.count() == 20
    assert ImportRun.objects.filter(status="done").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_public_form_sent_twice_at_once_files_one_complaint(client, regions):
    """Double click on 提交: both posts carry the same session and the same captcha answer."""
    client.get(reverse("complaints_public:form"))
    session = client.session
    answer = session[captcha.SESSION_KEY]["answer"]
    cookie = client.cookies["sessionid"].value
    form = {
        "category": "safety_hazard", "county": "140105", "institution_name": "小店区博雅舞蹈培训学校",
        "description": "教室安全出口被杂物堵塞，多次反映未整改。", "captcha": answer,
    }  # fmt: skip

    def post(ip):
        other = Client(REMOTE_ADDR=ip)
        other.cookies["sessionid"] = cookie
        return other.post(reverse("complaints_public:form"), form)

    results, errors = race(lambda: post("10.0.0.1"), lambda: post("10.0.0.2"))
    assert errors == [None, None]
    assert Case.objects.count() == 1
    # The loser either claimed too late (409) or came after the winner saved the session and
    # found its question used up (400, asked to solve a new one).
    codes = sorted(r.status_code for r in results)
    assert codes in ([302, 409], [302, 400])
    refused = next(r for r in results if r.status_code != 302).content.decode()
    assert "这份投诉已经提交" in refused or "验证码不正确" in refused
