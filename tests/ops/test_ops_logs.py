"""Structured logs: a JSON line per request with its id, the user's id, the path and the
status, and never an ID number, a phone number, a query string or a user name."""

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.logs import JsonFormatter, scrub
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
ID_NUMBER = "14010519900307123X"


@pytest.fixture
def log_text():
    """What the configured console handler writes, caught from its own stream."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream.getvalue
    handler.setStream(previous)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_login_and_a_search_leave_no_personal_data_in_the_log(client, cast, log_text):
    user = cast.xiaodian
    response = client.post("/accounts/login/", {"username": "xiaodian", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/institutions/?q={PHONE}&owner_id={ID_NUMBER}&name=张三")
    assert page.status_code == 200
    assert client.get(f"/staff/by-number/{ID_NUMBER}/").status_code == 404
    logging.getLogger("inspections").warning("lookup for %s failed", f"/x/?phone={PHONE}")
    # runserver's request lines go through the same filter.
    logging.getLogger("django.server").info('"%s" %s', f"GET /fees/?mobile={PHONE} HTTP/1.1", 200)

    text = log_text()
    for secret in (PHONE, ID_NUMBER, "owner_id=", "q=", "张三", "mobile=", "xiaodian", PASSWORD):
        assert secret not in text, secret
    records = lines(text)
    search = next(r for r in records if r.get("path") == "/institutions/")
    assert search["status"] == 200 and search["user_id"] == user.pk
    assert search["method"] == "GET" and isinstance(search["duration_ms"], float)
    assert search["request_id"] == page["X-Request-ID"] and len(search["request_id"]) == 32
    login = next(r for r in records if r.get("path") == "/accounts/login/")
    assert login["status"] == 302 and login["user_id"] == user.pk
    # Records made during a request carry its id (Django's own "Not Found" warning).
    not_found = next(r for r in records if r["logger"] == "django.request")
    assert "[身份证号已隐去]" in not_found["message"]
    assert (
        not_found["request_id"] == next(r for r in records if r.get("status") == 404)["request_id"]
    )


def test_a_request_id_from_the_load_balancer_is_kept_and_junk_is_replaced(client, log_text):
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-4f2a9c1e")["X-Request-ID"] == (
        "lb-4f2a9c1e"
    )
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32
    assert "<script>" not in log_text()


def test_a_traceback_is_scrubbed_too(log_text):
    try:
        raise ValueError(f"bad row for {ID_NUMBER}, phone {PHONE}")
    except ValueError:
        logging.getLogger("institutions").exception("import failed")
    (record,) = lines(log_text())
    assert record["level"] == "ERROR" and "ValueError" in record["exception"]
    assert ID_NUMBER not in record["exception"] and PHONE not in record["exception"]


@given(
    before=st.text(alphabet="abc ，。/=:", max_size=10),
    after=st.text(alphabet="abc ，。/=:", max_size=10),
    body=st.from_regex(r"\A[1-9][0-9]{16}[0-9X]\Z"),
    phone=st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
)
def test_scrub_removes_every_id_number_and_mobile_number(before, after, body, phone):
    cleaned = scrub(f"{before}{body}{after}{phone}{before}")
    assert body not in cleaned and phone not in cleaned


def test_scrub_keeps_ordinary_numbers_and_paths():
    assert scrub("/inspections/1234/ took 35 ms, 2023-11-20") == (
        "/inspections/1234/ took 35 ms, 2023-11-20"
    )
    assert scrub("GET /fees/?page=2 HTTP/1.1") == "GET /fees/?[查询参数已隐去] HTTP/1.1"
