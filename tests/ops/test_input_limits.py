"""Input no person sends is a 400 in Chinese, never a 500: a NUL byte in a filter, a lone
surrogate, NaN, JSON nested a thousand deep. The audit log stores what it can, and the
logs keep neither ID numbers typed with separators nor the values of a failing request."""

import logging

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.audit import audit_log
from accounts.models import AuditEvent
from core.logs import scrub
from inspections.models import Amendment, Answer
from ops.middleware import RequestLogMiddleware
from tests.inspections import test_inspection_amendments, test_inspection_form
from tests.inspections.test_inspection_amendments import snapshot
from tests.inspections.test_inspection_form import jpeg, save, upload
from tests.inspections.test_problems import seed_campaign
from tests.ops import test_ops_logs
from tests.ops.test_ops_logs import lines

pytestmark = pytest.mark.django_db

campaign = test_inspection_form.campaign
inspection = test_inspection_form.inspection
officer_client = test_inspection_form.officer_client
record = test_inspection_amendments.record
log_text = test_ops_logs.log_text

NAME = "张三明"

LISTS_AND_EXPORTS = [
    "/institutions/?q={}",
    "/institutions/export/?q={}",
    "/institutions/export/?status={}",
    "/staff/?q={}",
    "/staff/export/?region={}",
    "/fees/?region={}",
    "/fees/violations/?q={}",
    "/fees/violations/export/?status={}",
    "/complaints/?q={}",
    "/complaints/export/?q={}",
    "/inspections/problems/export/?q={}",
    "/ledgers/rectification/?q={}",
    "/progress/?region={}",
    "/api/v1/institutions/?q={}",
    "/api/v1/staff/?q={}",
]


@pytest.mark.parametrize("url", LISTS_AND_EXPORTS)
@pytest.mark.parametrize("value", ["%E5%BC%A0%00", "a%0Bb"], ids=["nul", "vertical-tab"])
def test_a_control_character_in_a_filter_is_a_400_in_chinese(client, cast, places, url, value):
    seed_campaign()
    client.force_login(cast.province)
    response = client.get(url.format(value))
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "控制字符" in response.json()["detail"]
    else:
        assert "控制字符" in response.content.decode() and "U+00" in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).exists()


def test_a_nul_in_a_form_value_is_a_400_and_in_a_path_a_404(officer_client, inspection):
    response = officer_client.post(reverse("institutions:create"), {"name": "a\x00"})
    assert response.status_code == 400 and "空字符（U+0000）" in response.content.decode()
    assert upload(officer_client, inspection, "1.0\x00", jpeg()).status_code == 404


def test_the_audit_log_never_stores_a_nul_or_a_lone_surrogate(cast):
    event = audit_log(
        kind=AuditEvent.Kind.EXPORT,
        actor=cast.province,
        reason="原因\x00",
        detail={"filters": {"q": "a\x00b", "k\ud800": ["\ud800"]}, "rows": 3},
    )
    event.refresh_from_db()
    assert event.reason == "原因\ufffd"
    assert event.detail == {"filters": {"q": "a\ufffdb", "k\ufffd": ["\ufffd"]}, "rows": 3}


# -- the inspection form's autosave and corrections -------------------------------------


def _deep(depth: int) -> str:
    return '{"a": [' * depth + "1" + "]}" * depth


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"answers": {"1.01": {"value": "compliant", "note": "a\\u0000b"}}', "空字符"),
        ('"answers": {"1.01": {"value": "compliant", "note": "\\ud800"}}', "U+D800"),
        ('"answers": {"1.01": {"value": "compliant", "note": "a\\u000bb"}}', "垂直制表符"),
        ('"answers": {}, "latitude": "NaN", "longitude": 112.5', "位置"),
        ('"answers": {}, "latitude": NaN', "NaN"),
        ('"answers": {}, "longitude": 1e999', "NaN"),
        ('"answers": {"1.01": {"value": "compliant", "number": Infinity}}', "NaN"),
        (f'"answers": {{"1.01": {_deep(1000)}}}', "嵌套"),
    ],
    ids=["nul", "surrogate", "vertical-tab", "nan-text", "nan", "overflow", "infinity", "deep"],
)
def test_autosave_refuses_what_cannot_be_stored_and_leaves_the_draft(
    officer_client, inspection, body, message
):
    before = (inspection.version, list(Answer.objects.values_list("item_id", "value", "note")))
    response = officer_client.post(
        reverse("inspections:save", args=[inspection.pk]),
        data=f'{{"version": {inspection.version}, {body}}}',
        content_type="application/json",
    )
    assert response.status_code == 400 and message in response.json()["error"]
    inspection.refresh_from_db()
    after = (inspection.version, list(Answer.objects.values_list("item_id", "value", "note")))
    assert after == before


def test_autosave_refuses_a_form_body_as_not_json(officer_client, inspection):
    # The early check reads a multipart body's stream, which then cannot be read again.
    url = reverse("inspections:save", args=[inspection.pk])
    response = officer_client.post(url, {"version": str(inspection.version), "answers": "x"})
    assert response.status_code == 400 and "格式不正确" in response.json()["error"]


def test_autosave_still_keeps_a_note_over_several_lines(officer_client, inspection):
    response = save(officer_client, inspection, {"1.01": {"value": "non_compliant",
                                                          "note": "一、面积不足\n二、\t无消防通道"}})  # fmt: skip
    assert response.status_code == 200
    assert Answer.objects.get(item__code="1.01").note == "一、面积不足\n二、\t无消防通道"


def test_an_amendment_with_a_nul_is_refused_and_writes_nothing(client, cast, record):
    client.force_login(cast.xiaodian)
    before = snapshot(record)
    url = reverse("inspections:amend", args=[record.pk])
    for data in (
        {"item": "1.01", "note": "教室\x00面积", "reason": "复核"},
        {"summary": "整改\x0b完毕", "reason": "补充"},
        {"result": "suspend", "reason": "停业\x00"},
    ):
        response = client.post(url, data)
        assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert snapshot(record) == before and not Amendment.objects.exists()


def test_the_api_refuses_json_nested_too_deep_or_with_nan(client, cast, places):
    client.force_login(cast.xiaodian)
    url = reverse("api:institution-detail", args=[places.xiaodian.pk])
    for body, message in ((_deep(1000), "嵌套"), ('{"capacity": NaN}', "NaN")):
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == 400 and message in response.json()["detail"]


def test_the_api_refuses_a_nul_in_a_form_encoded_patch(client, cast, places):
    # Django parses only a POST's form body, so the early check never sees a PATCH's.
    client.force_login(cast.xiaodian)
    url = reverse("api:institution-detail", args=[places.xiaodian.pk])
    response = client.patch(url, "address=%E9%95%BF%00", "application/x-www-form-urlencoded")
    assert response.status_code == 400 and "空字符（U+0000）" in response.json()["detail"]
    places.xiaodian.refresh_from_db()
    assert "长" not in places.xiaodian.address


# -- logs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "140105 19900101 123X",
        "140105-1990-0101-123x",
        "1401 0519 9001 0112 3X",
        "140105－19900101－123X",
        "140105　19900101　1234",
    ],  # fmt: skip
)
def test_the_log_scrubber_catches_id_numbers_typed_with_separators(written):
    cleaned = scrub(f"查询 {written} 失败")
    assert cleaned == "查询 [身份证号已隐去] 失败"


def test_the_log_scrubber_keeps_dates_times_and_short_numbers():
    text = "2023-11-20 10:15:30 rows 1200 3400 took 35 ms, /inspections/1234/"
    assert scrub(text) == text


def test_a_failing_requests_log_lines_carry_no_raw_query_value(log_text):
    def view(request):
        logging.getLogger("fees").warning("no fee rule for %s", request.GET["rule"])
        raise ValueError(f"unknown region {request.GET['region']!r} for {request.GET['q']}")

    request = RequestFactory().get("/fees/", {"q": NAME, "region": "14x'01", "rule": "夜间课"})
    response = RequestLogMiddleware(convert_exception_to_response(view))(request)
    assert response.status_code == 500
    text = log_text()
    for value in (NAME, "14x", "夜间课"):
        assert value not in text, value
    records = lines(text)
    failure = next(r for r in records if r["level"] == "ERROR")
    assert "ValueError: unknown region" in failure["exception"]
    assert next(r for r in records if r.get("status") == 500)["path"] == "/fees/"


def test_a_short_query_value_does_not_garble_the_codes_own_log_text(log_text):
    # Only what a log call was given (its arguments, the exception's message) is searched
    # for the request's values: "fee" must not eat into the code's own words.
    def view(request):
        logging.getLogger("fees").warning("no fee rule for %s", request.GET["q"])
        return HttpResponse("ok")

    request = RequestFactory().get("/fees/", {"q": "fee"})
    assert RequestLogMiddleware(view)(request).status_code == 200
    records = lines(log_text())
    assert [r["message"] for r in records] == ["no fee rule for [输入值已隐去]", "request"]


def test_a_refused_request_logs_no_raw_value_either(client, cast, log_text):
    client.force_login(cast.province)
    assert client.get(f"/complaints/?q={NAME}%00").status_code == 400
    text = log_text()
    assert NAME not in text and "/complaints/" in text


def test_a_failing_background_export_logs_no_raw_filter_value(cast, log_text, monkeypatch):
    from reporting.ledgers import Ledger
    from tabular.export_runs import export_run_create, export_run_execute

    def build(self, *, params, **kwargs):
        raise ValueError(f"no rows for {params['q']!r}")

    monkeypatch.setattr(Ledger, "build", build)
    run = export_run_create(actor=cast.taiyuan, ledger="inspections", query=f"q={NAME}")
    export_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    text = log_text()
    assert "ValueError: no rows for" in text and NAME not in text
