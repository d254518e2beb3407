"""Uploaded PDFs, at every door that takes one (the public complaint form, the officer's
complaint form, the dismissal evidence): a PDF that can run something, carries a file, is
encrypted or cannot be read is refused in Chinese and nothing is stored; a plain one is kept.

One checker stands behind all three (tabular/pdf_check.py); the rarer cases
and the limits are asked of it directly.
"""

import time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pikepdf import Array, Dictionary, Name, String

from complaints import captcha, ratelimit
from tabular import pdf_check
from tests import pdfs
from tests.ops.test_faults_uploads import DOORS, counts, said, stored_files
from tests.personnel.test_personnel_checks import open_dismissal

PDF_DOORS = ["public_complaint", "officer_complaint", "dismissal_evidence"]
SCRIPT = "含有脚本或自动执行的动作"
FILES = "含有嵌入的文件"
ENCRYPTED = "已加密或设有密码"
BUSY = "服务器正忙，请稍后再上传"
OUT_OF_TIME = "检查用时已达上限"

HOSTILE = {
    "open_action_in_hex_object_stream": (pdfs.open_action_in_hex_object_stream, SCRIPT),
    "open_action_in_object_stream": (pdfs.open_action_in_object_stream, SCRIPT),
    "literal_obj_in_object_stream_dict": (pdfs.open_action_behind_literal_obj, SCRIPT),
    "additional_action_on_page": (pdfs.additional_action_on_page, SCRIPT),
    "launch_action": (pdfs.launch_action, SCRIPT),
    "embedded_file": (pdfs.embedded_file, FILES),
    "encrypted_with_password": (pdfs.encrypted, ENCRYPTED),
    "encrypted_without_password": (lambda: pdfs.encrypted(user=""), ENCRYPTED),
}


@pytest.fixture
def world(cast, places, settings, tmp_path):
    """What the doors of test_faults_uploads need: the cast, an open dismissal, media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    dismissal = open_dismissal(cast, places.xiaodian)
    return SimpleNamespace(cast=cast, dismissal=dismissal, media=settings.MEDIA_ROOT)


@pytest.mark.parametrize("hostile", list(HOSTILE))
@pytest.mark.parametrize("door", PDF_DOORS)
def test_a_hostile_pdf_is_refused_in_chinese_and_nothing_is_stored(client, world, door, hostile):
    post, _limit, _kind = DOORS[door]
    make, message = HOSTILE[hostile]
    before = counts()
    response = post(client, world, "证明.pdf", make())
    assert response.status_code == 400
    assert message in said(response), said(response)[-2000:]
    assert counts() == before
    assert stored_files(world.media) == []


@pytest.mark.parametrize("door", PDF_DOORS)
def test_a_plain_one_page_pdf_is_kept_as_it_was_sent(client, world, door):
    post, _limit, _kind = DOORS[door]
    data = pdfs.plain()
    response = post(client, world, "证明.pdf", data)
    assert response.status_code in (201, 302), said(response)[-2000:]
    (stored,) = stored_files(world.media)
    assert stored.read_bytes() == data


# -- the checker itself: the rarer names, text that only looks active, the limits ---------


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        pdf_check.check_pdf(data)
    return " ".join(caught.value.messages)


def form_with(**entries) -> bytes:
    return pdfs.with_catalog(AcroForm=Dictionary(Fields=Array([]), **entries))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: pdfs.link_with(Dictionary(S=Name.SubmitForm, F=String("https://x/"))), SCRIPT),
        (lambda: pdfs.link_with(Dictionary(S=Name.ImportData, F=String("a.fdf"))), SCRIPT),
        (lambda: pdfs.link_with(Dictionary(S=Name.GoToR, F=String("b.pdf"), D=Array([0]))), SCRIPT),
        (lambda: pdfs.link_with(Dictionary(S=Name.GoToE, D=Array([0]))), SCRIPT),
        (lambda: pdfs.with_catalog(Names=Dictionary(JavaScript=Dictionary(Names=Array([])))), SCRIPT),
        (lambda: pdfs.link_with(Dictionary(S=Name.URI, URI=String("x")), Name.FileAttachment), FILES),
        (lambda: pdfs.link_with(Dictionary(S=Name.URI, URI=String("x")), Name.RichMedia), FILES),
        (lambda: form_with(XFA=String("<xdp/>")), FILES),
        # A name spelt with #xx escapes is the same name: /J#61vaScript is /JavaScript.
        (lambda: pdfs.packed({1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
                              4: b"<< /S /J#61vaScript /J#53 (x) >>"} | pdfs.PAGE_OBJECTS,
                             filters=[b"FlateDecode"]), SCRIPT),  # fmt: skip
        (lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "已损坏"),
        (lambda: pdfs.plain()[:300] + b"\n%%EOF\n", "已损坏"),
    ],
    ids=["submit-form", "import-data", "goto-remote", "goto-embedded", "javascript-names",
         "file-attachment", "rich-media", "xfa", "escaped-names", "no-root", "cut-short"],
)  # fmt: skip
def test_the_checker_refuses_other_active_or_unreadable_pdfs(make, message):
    assert message in refusal(make())


def test_words_that_only_look_active_are_not_refused():
    """Strings and page text are not names: a letter may talk about JavaScript."""
    data = pdfs.with_catalog(
        Lang=String("/JavaScript /OpenAction (obj)"),
        PageLabels=Dictionary(Nums=Array([0, Dictionary(P=String("/Launch"))])),
    )
    pdf_check.check_pdf(data)


def test_a_pdf_with_more_objects_than_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(pdf_check, "MAX_OBJECTS", 5)
    assert "过于复杂" in refusal(pdfs.plain())


def test_an_object_stream_that_decodes_past_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr(pdf_check, "MAX_DECODED_BYTES", 1024 * 1024)
    filler = {5: b"(" + b"0" * (2 * 1024 * 1024) + b")"}
    bomb = pdfs.packed(
        {1: b"<< /Type /Catalog /Pages 2 0 R >>"} | pdfs.PAGE_OBJECTS | filler,
        filters=[b"FlateDecode"],
    )
    assert len(bomb) < 10_000
    assert "过于复杂" in refusal(bomb)


def test_an_lzw_bomb_in_the_cross_reference_stream_stops_at_the_memory_limit(monkeypatch):
    """qpdf decodes cross-reference streams while opening a file and has no LZW limit: the
    child process's own memory limit is what stops this one (about 1.3 GB once decoded)."""
    monkeypatch.setattr(pdf_check, "MAX_MEMORY_BYTES", 256 * 1024 * 1024)
    data = pdfs.lzw_bomb(180)
    head = b"%PDF-1.5\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
    head += b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n"
    bomb = head + (
        b"3 0 obj <</Type/XRef/Size 4/W[1 4 1]/Root 1 0 R/Filter/LZWDecode/Length %d>>stream\n"
        % len(data) + data + b"\nendstream endobj\nstartxref\n%d\n%%%%EOF\n" % len(head)
    )  # fmt: skip
    assert "过于复杂" in refusal(bomb)


# -- what one request, and all requests together, may cost --------------------------------


def free_slots() -> int:
    taken = 0
    while pdf_check.SLOTS.acquire(blocking=False):
        taken += 1
    for _ in range(taken):
        pdf_check.SLOTS.release()
    return taken


@pytest.fixture
def every_slot_taken(settings):
    """Other requests' probes hold every slot of this process while the test posts."""
    settings.PDF_CHECK_WAIT_SECONDS = 1
    taken = 0
    while pdf_check.SLOTS.acquire(blocking=False):
        taken += 1
    assert taken == settings.PDF_CHECK_SLOTS
    yield
    for _ in range(taken):
        pdf_check.SLOTS.release()


@pytest.mark.parametrize("door", PDF_DOORS)
def test_a_pdf_is_refused_as_busy_when_every_probe_slot_is_taken(
    client, world, every_slot_taken, door
):
    post, _limit, _kind = DOORS[door]
    before = counts()
    started = time.monotonic()
    response = post(client, world, "证明.pdf", pdfs.plain())
    assert response.status_code == 400
    assert BUSY in said(response), said(response)[-2000:]
    assert time.monotonic() - started < 5
    assert counts() == before
    assert stored_files(world.media) == []


def test_a_probe_gives_its_slot_back_whatever_it_answers(settings):
    pdf_check.check_pdf(pdfs.plain())
    refusal(pdfs.launch_action())
    assert free_slots() == settings.PDF_CHECK_SLOTS


def test_a_spent_deadline_refuses_without_starting_a_probe():
    started = time.monotonic()
    assert OUT_OF_TIME in refusal_by(pdfs.plain(), deadline=started - 1)
    assert time.monotonic() - started < 0.05


def refusal_by(data: bytes, *, deadline: float) -> str:
    with pytest.raises(ValidationError) as caught:
        pdf_check.check_pdf(data, deadline=deadline)
    return " ".join(caught.value.messages)


def post_public_complaint_with(client, files: list[tuple[str, bytes]]):
    ratelimit.reset("127.0.0.1")
    client.get(reverse("complaints_public:form"))
    answer = client.session[captcha.SESSION_KEY]["answer"]
    return client.post(
        reverse("complaints_public:form"),
        {"category": "safety_hazard", "county": "140105", "institution_name": "某培训学校",
         "description": "教室安全出口被杂物堵塞。", "captcha": answer,
         "files": [SimpleUploadedFile(n, d, "application/pdf") for n, d in files]},
    )  # fmt: skip


def test_five_pdfs_share_one_deadline_and_the_rest_are_refused_once_it_is_spent(
    client, world, settings
):
    """Each probe starts a fresh interpreter and imports pikepdf (well over 0.1 s), so five
    cannot fit in 0.25 s: the ones left when the time is spent are refused, nothing kept."""
    settings.PDF_CHECK_REQUEST_SECONDS = 0.25
    before = counts()
    started = time.monotonic()
    response = post_public_complaint_with(
        client, [(f"证明{i}.pdf", pdfs.plain()) for i in range(5)]
    )
    assert response.status_code == 400
    assert OUT_OF_TIME in said(response), said(response)[-2000:]
    assert time.monotonic() - started < 3
    assert counts() == before
    assert stored_files(world.media) == []


@pytest.mark.parametrize("door", ["officer_complaint", "dismissal_evidence"])
def test_the_other_doors_keep_to_the_configured_deadline(client, world, settings, door):
    settings.PDF_CHECK_REQUEST_SECONDS = 0
    post, _limit, _kind = DOORS[door]
    before = counts()
    response = post(client, world, "证明.pdf", pdfs.plain())
    assert response.status_code == 400
    assert OUT_OF_TIME in said(response), said(response)[-2000:]
    assert counts() == before
    assert stored_files(world.media) == []
