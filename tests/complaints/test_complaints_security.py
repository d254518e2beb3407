"""Complaints review fixes: triage of minor cases, client IPs behind the proxy, upload
limits, active PDFs, the import's uploaded sheet, logged minor-case reads, keyed digests."""

import hashlib
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from pikepdf import Dictionary, Name, String

from accounts.audit import client_ip
from accounts.models import AuditEvent
from accounts.scope import Scope
from complaints import attachments, ratelimit, selectors, services
from complaints.forms import PublicComplaintForm
from complaints.models import Case
from tabular.models import ImportRun
from tests import pdfs
from tests.complaints.test_complaints import PDF, TEXT, officer_case, public_case, refer
from tests.complaints.test_complaints_pages import HEADER, csv_upload, form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FORM = "complaints_public:form"
PROXY = "10.9.8.7"
# Addresses of this module only (the rate-limit counters live in a shared cache).
CLIENTS = ["198.51.100.21", "198.51.100.22", "203.0.113.41", PROXY, "2001:db8:5:6::1"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    for ip in CLIENTS:
        ratelimit.reset(ip)
    yield
    for ip in CLIENTS:
        ratelimit.reset(ip)


@pytest.fixture
def colleague(regions):
    return UserFactory(username="colleague", grant=("county_officer", "140105"))


def triage(case, user, **kwargs):
    values = {"category": case.category, "assignees": [user], **kwargs}
    return services.case_triage(case=case, actor=user, scope=Scope.for_user(user), **values)


# -- 1. triage of a minor-offence case -------------------------------------------------


def test_an_officer_without_sight_of_a_minor_case_cannot_reclassify_it(cast, colleague):
    case = officer_case(colleague, category="minor_offence")
    with pytest.raises(ValidationError, match="能查看其详情的人员"):
        triage(case, cast.xiaodian, category="other", assignees=[colleague])
    case.refresh_from_db()
    assert case.category == "minor_offence" and list(case.assignees.all()) == [colleague]
    assert not AuditEvent.objects.filter(kind="other").exists()
    # The city too: assigning is triage, opening the details is not.
    with pytest.raises(ValidationError):
        triage(case, cast.taiyuan, category="safety_hazard", assignees=[colleague])


def test_assigning_a_minor_case_is_allowed_but_audited_and_in_its_history(cast, colleague):
    case = officer_case(colleague, category="minor_offence")
    triage(case, cast.xiaodian, assignees=[colleague, cast.xiaodian], note="增派人员")
    event = AuditEvent.objects.get(kind="other", object_id=str(case.pk))
    assert event.actor == cast.xiaodian and event.detail == {
        "change": "assignees", "before": ["colleague"], "after": ["colleague", "xiaodian"],
    }  # fmt: skip
    reasons = [h.history_change_reason for h in case.history.all()]
    assert "增派人员" in reasons
    assert any(r and r.startswith("承办人：") and str(cast.xiaodian) in r for r in reasons)
    # Now an assignee, the officer sees the details and, once the case went to the police
    # (tests/complaints/test_complaints_no_referral.py: not before), may reclassify it; also audited.
    refer(case, cast.xiaodian)
    triage(Case.objects.get(pk=case.pk), cast.xiaodian, category="safety_hazard",
           assignees=[colleague, cast.xiaodian])  # fmt: skip
    change = AuditEvent.objects.get(kind="other", detail__change="category")
    assert change.detail == {"change": "category", "before": "minor_offence",
                             "after": "safety_hazard"}  # fmt: skip
    # Same assignees again: no assignee event.
    assert AuditEvent.objects.filter(kind="other", detail__change="assignees").count() == 1


def test_every_category_change_is_audited(cast):
    case, _code = public_case()
    triage(case, cast.xiaodian, category="fees")
    events = AuditEvent.objects.filter(kind="other", object_id=str(case.pk))
    assert {e.detail["change"] for e in events} == {"category", "assignees"}
    assert events.get(detail__change="category").detail["before"] == "safety_hazard"


def test_the_triage_page_refuses_to_reclassify_a_hidden_minor_case(client, cast, colleague):
    case = officer_case(colleague, category="minor_offence")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    triage_form = page.split('data-testid="triage-form"')[1].split("</form>")[0]
    assert 'value="minor_offence"' in triage_form and 'value="other"' not in triage_form
    response = client.post(reverse("complaints:triage", args=[case.pk]),
                           {"category": "other", "assignees": [cast.xiaodian.pk]})  # fmt: skip
    assert response.status_code == 400 and "能查看其详情的人员" in response.content.decode()
    case.refresh_from_db()
    assert case.category == "minor_offence" and list(case.assignees.all()) == [colleague]
    assert TEXT not in response.content.decode()


# -- 2. the client's address behind the proxy ------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    assert client_ip(request_from("203.0.113.41", "198.51.100.21")) == "203.0.113.41"
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from(PROXY, "198.51.100.21")) == PROXY


def test_forwarded_for_from_a_trusted_proxy_gives_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client wrote the left part itself; the proxy appended the address it saw.
    spoofed = "1.2.3.4, 198.51.100.21"
    assert client_ip(request_from(PROXY, spoofed)) == "198.51.100.21"
    assert client_ip(request_from(PROXY, "198.51.100.22, 10.0.0.3")) == "198.51.100.22"
    assert client_ip(request_from(PROXY, "")) == PROXY
    assert client_ip(request_from(PROXY, "[2001:db8::1]:443")) == "2001:db8::1"


def test_the_form_limit_counts_clients_behind_the_proxy_not_the_proxy(client, cast, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    behind = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.21"}
    for _ in range(5):
        client.get(reverse(FORM))
        assert client.post(reverse(FORM), form_data(client), **behind).status_code == 302
    client.get(reverse(FORM))
    assert client.post(reverse(FORM), form_data(client), **behind).status_code == 429
    other = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.22"}
    assert client.post(reverse(FORM), form_data(client), **other).status_code == 302
    # A peer that is not the proxy cannot pick a fresh address by writing the header.
    for n in range(20):
        spoofed = {"REMOTE_ADDR": "203.0.113.41", "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}
        client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"}, **spoofed)
    response = client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"},
                           REMOTE_ADDR="203.0.113.41", HTTP_X_FORWARDED_FOR="192.0.2.99")  # fmt: skip
    assert response.status_code == 429


def test_ipv6_clients_are_counted_by_their_64(client, cast):
    assert ratelimit.client_group("2001:db8:5:6::1") == ratelimit.client_group(
        "2001:db8:5:6:ffff:1:2:3"
    ) == "2001:db8:5:6::/64"  # fmt: skip
    assert ratelimit.client_group("2001:db8:5:7::1") != "2001:db8:5:6::/64"
    assert ratelimit.client_group("::ffff:198.51.100.21") == "198.51.100.21"
    for n in range(20):
        client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"},
                    REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}")  # fmt: skip
    response = client.post(reverse("complaints_public:status"), {"code": "ZZZZ-ZZZZ-ZZZZ"},
                           REMOTE_ADDR="2001:db8:5:6:abcd::9")  # fmt: skip
    assert response.status_code == 429


# -- 3. upload size before reading -----------------------------------------------------


class HugeUpload(SimpleUploadedFile):
    """Claims 50 MB; reading it fails the test (nothing may read before the size check)."""

    def __init__(self):
        super().__init__("大文件.pdf", b"%PDF-1.4\n", content_type="application/pdf")
        self.size = 50 * 1024 * 1024

    def read(self, *args, **kwargs):
        raise AssertionError("read before the size check")


def test_an_oversized_upload_is_refused_by_its_size_without_reading_it(cast):
    form = PublicComplaintForm(
        {"category": "fees", "county": "140105", "description": TEXT, "captcha": "1"},
        {"files": [HugeUpload()]},
    )
    assert not form.is_valid()
    assert "超过 10 MB" in " ".join(form.errors["files"])


def test_an_upload_is_read_only_up_to_one_byte_over_the_limit():
    upload = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (attachments.MAX_BYTES + 500))
    upload.size = 10  # a lying size: the read still stops
    name, data = attachments.read_upload(upload)
    assert name == "a.pdf" and len(data) == attachments.MAX_BYTES + 1
    with pytest.raises(ValidationError, match="超过 10 MB"):
        attachments.check_file(name, data)


# -- 4. active PDFs and how attachments are served -------------------------------------


JS = Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: pdfs.with_catalog(OpenAction=JS), "含有脚本"),
        (lambda: pdfs.link_with(JS), "含有脚本"),
        (pdfs.launch_action, "含有脚本"),
        (pdfs.embedded_file, "含有嵌入的文件"),
        (pdfs.open_action_in_object_stream, "含有脚本"),  # hidden in a compressed object stream
        (pdfs.open_action_in_hex_object_stream, "含有脚本"),  # ... or one under ASCIIHexDecode
    ],
    ids=["open-action", "javascript", "launch", "embedded-file", "object-stream", "hex-stream"],
)
def test_a_pdf_with_scripts_actions_or_embedded_files_is_refused(cast, make, message):
    with pytest.raises(ValidationError) as caught:
        public_case(files=[("收据.pdf", make())])
    assert "“收据.pdf”" in caught.value.messages[0] and message in caught.value.messages[0]
    assert not Case.objects.exists()


def test_a_plain_pdf_with_a_compressed_page_is_kept(cast):
    case, _code = public_case(files=[("收据.pdf", pdfs.plain())])
    assert case.attachments.get().kind == "pdf"


def test_attachments_are_served_as_sandboxed_downloads(client, cast):
    case = officer_case(cast.xiaodian, files=[("收据.pdf", PDF)])
    client.force_login(cast.xiaodian)
    response = client.get(reverse("complaints:attachment", args=[case.attachments.get().pk]))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


# -- 5. the uploaded sheet is deleted --------------------------------------------------


GOOD = HEADER + (
    "GD101,12345 热线转办,收费、退费,140105,,某培训中心,家长反映机构拒绝退还剩余学费。,"
    "2023-11-20,周女士,13811112222\n"
)


def test_a_sheet_with_errors_is_deleted_at_once(client, cast):
    client.force_login(cast.xiaodian)
    bad = GOOD + "GD102,电话,不知道,140105,,,家长反映机构拒绝退费。,2023-11-20,,\n"
    client.post(reverse("complaints:import"), {"file": csv_upload(bad)})
    run = ImportRun.objects.get(kind="complaints")
    assert run.error_count and not run.file


def test_a_clean_sheet_is_kept_until_written_then_deleted(client, cast):
    client.force_login(cast.xiaodian)
    client.post(reverse("complaints:import"), {"file": csv_upload(GOOD)})
    run = ImportRun.objects.get(kind="complaints")
    stored = run.file.name
    assert run.status == "checked" and stored and default_storage.exists(stored)
    client.post(reverse("complaints:import_run_confirm", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "done" and not run.file and not default_storage.exists(stored)
    assert Case.objects.get().external_ref == "GD101"


def test_a_dry_run_can_delete_its_sheet(cast):
    from complaints import imports

    run = imports.run_create(actor=cast.xiaodian, file_name="投诉.csv", data=GOOD.encode())
    run = imports.run_check(run_id=run.pk)
    stored = run.file.name
    assert default_storage.exists(stored)
    imports.purge_upload_now(run)
    run.refresh_from_db()
    assert not run.file and not default_storage.exists(stored)


# -- 6. every read of a minor case's details is logged ----------------------------------


def reads(case):
    return AuditEvent.objects.filter(kind="reveal", object_id=str(case.pk))


def test_the_api_logs_minor_case_reads(client, cast, colleague):
    minor = officer_case(colleague, category="minor_offence")
    plain = officer_case(colleague)
    client.force_login(colleague)
    assert len(client.get(reverse("api:complaint-list")).json()["results"]) == 2
    assert reads(minor).count() == 1 and not reads(plain).exists()
    assert client.get(reverse("api:complaint-detail", args=[minor.pk])).status_code == 200
    assert reads(minor).count() == 2
    assert reads(minor).first().detail["via"] == "api"


def test_a_page_shown_again_after_a_refused_action_logs_the_read(client, cast, colleague):
    minor = officer_case(colleague, category="minor_offence")
    client.force_login(colleague)
    response = client.post(reverse("complaints:close", args=[minor.pk]), {"result": ""})
    assert response.status_code == 400 and TEXT in response.content.decode()
    assert reads(minor).count() == 1
    assert "no-store" in response["Cache-Control"]


def test_revealing_a_contact_needs_a_typed_reason_and_is_not_cached(client, cast, colleague):
    minor = officer_case(colleague, category="minor_offence", reporter_phone="13700004444")
    client.force_login(colleague)
    url = reverse("complaints:reveal_contact", args=[minor.pk])
    refused = client.post(url, {"reason": "   "})
    body = refused.content.decode()
    assert refused.status_code == 400 and "请填写查看完整联系方式的理由" in body
    assert "13700004444" not in body
    assert not reads(minor).filter(reason__startswith="查看投诉人联系方式").exists()
    shown = client.post(url, {"reason": "回访核实"})
    assert shown.status_code == 200 and "13700004444" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    contact = reads(minor).get(reason__startswith="查看投诉人联系方式")
    assert contact.reason == "查看投诉人联系方式：回访核实" and contact.actor == colleague
    # Both renderings showed the details: each logged as a read.
    assert reads(minor).filter(detail__via="page").count() == 2


def test_the_ledger_logs_each_minor_case_it_details(client, cast, colleague):
    minor = officer_case(colleague, category="minor_offence")
    officer_case(colleague)
    client.force_login(colleague)
    assert client.get(reverse("complaints:export")).status_code == 200
    assert reads(minor).get().detail["via"] == "export"
    # Someone who does not see the details: the ledger hides them and logs no read.
    client.force_login(cast.xiaodian)
    client.get(reverse("complaints:export"))
    assert reads(minor).count() == 1


def test_a_download_sent_to_the_background_is_no_read_until_the_file_is_written(
    client, colleague, monkeypatch
):
    from tabular import download

    minor = officer_case(colleague, category="minor_offence")
    monkeypatch.setattr(download, "INLINE_ROWS", 0)  # every download goes to a run
    client.force_login(colleague)
    response = client.get(reverse("complaints:export"))
    assert response.status_code == 302 and "export" in response["Location"]
    assert not reads(minor).exists()  # the run will write the file, and log the read once


def test_the_list_shows_no_minor_case_details(client, cast, colleague, places):
    officer_case(colleague, category="minor_offence", institution=places.xiaodian)
    client.force_login(colleague)
    body = client.get(reverse("complaints:list")).content.decode()
    assert places.xiaodian.name not in body and "查看将记录" in body


# -- 7. keyed tracking digests ---------------------------------------------------------


def test_the_tracking_digest_is_keyed(cast, settings):
    case, code = public_case()
    plain = hashlib.sha256(services.normalize_code(code).encode()).hexdigest()
    assert case.tracking_digest != plain
    assert selectors.status_for_code(code) == "待分办"
    # Another key gives another digest; the old key still answers as a fallback.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-key"
    assert services.tracking_digest(code) != case.tracking_digest
    assert selectors.status_for_code(code) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert selectors.status_for_code(code) == "待分办"


def test_the_migration_rekeys_plain_digests(cast):
    from django.apps import apps

    case, code = public_case()
    plain = hashlib.sha256(services.normalize_code(code).encode()).hexdigest()
    Case.objects.filter(pk=case.pk).update(tracking_digest=plain)
    assert selectors.status_for_code(code) is None
    migration = importlib.import_module("complaints.migrations.0004_rekey_tracking_digests")
    migration.rekey(apps, None)
    assert selectors.status_for_code(code) == "待分办"
