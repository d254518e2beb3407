"""Hostile uploads at every door that takes a file: each refused with a clear Chinese message,
nothing stored (no row, no file under MEDIA_ROOT); a photo that is kept loses its EXIF/GPS.

The doors: the inspection photo, the public complaint form and the officer's complaint form
(attachments), the dismissal evidence, and the five spreadsheet imports (institutions,
staff, check results, fees, complaints).
"""

import io
import struct
import zipfile
import zlib
from functools import cache
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from complaints import captcha, ratelimit
from complaints.models import Attachment, Case
from inspections.models import Evidence
from personnel.models import Dismissal
from tabular.models import ImportRun
from tests.inspections.test_inspection_form import jpeg
from tests.inspections.test_inspections import start
from tests.inspections.test_problems import seed_campaign
from tests.personnel.test_personnel_checks import open_dismissal, police

GPS_IFD = 0x8825


# -- the payloads ------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def giant_png() -> bytes:
    """A complete, valid 20,000 × 20,000 PNG (1-bit grey, 76 KB): 400 megapixels once decoded."""
    side = 20_000
    rows = (b"\x00" + b"\xff" * (side // 8)) * side
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@cache
def zip_bomb() -> bytes:
    """An .xlsx-shaped zip: 200 KB on disk, 200 MB of sheet once inflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"0" * (1 << 20)
            for _ in range(200):
                sheet.write(block)
    return buffer.getvalue()


PAYLOADS = {
    "giant_image": ("巨图.png", giant_png),
    "svg_as_jpg": ("照片.jpg", lambda: SVG),
    "html_as_jpg": ("照片.jpg", lambda: HTML),
    "zip_bomb_as_xlsx": ("名录.xlsx", zip_bomb),
    "too_large": (None, None),  # per door: one byte over its own limit
}


# -- the doors ---------------------------------------------------------------------------
# Each posts (name, data) as its page does and returns the response; `rows` counts what a
# refusal must leave untouched.


def post_photo(client, world, name, data):
    client.force_login(world.cast.xiaodian)
    return client.post(
        reverse("inspections:photo_upload", args=[world.inspection.pk, "1.01"]),
        {"photo": SimpleUploadedFile(name, data, "image/jpeg")},
    )


def post_public_complaint(client, world, name, data):
    ratelimit.reset("127.0.0.1")
    client.get(reverse("complaints_public:form"))
    answer = client.session[captcha.SESSION_KEY]["answer"]
    return client.post(
        reverse("complaints_public:form"),
        {"category": "safety_hazard", "county": "140105", "institution_name": "某培训学校",
         "description": "教室安全出口被杂物堵塞。", "captcha": answer,
         "files": [SimpleUploadedFile(name, data, "image/jpeg")]},
    )  # fmt: skip


def post_officer_complaint(client, world, name, data):
    client.force_login(world.cast.xiaodian)
    return client.post(
        reverse("complaints:create"),
        {"channel": "phone", "category": "safety_hazard", "county": "140105",
         "institution_name": "某培训学校", "description": "来电反映教室安全出口被堵。",
         "files": [SimpleUploadedFile(name, data, "image/jpeg")]},
    )  # fmt: skip


def post_dismissal_evidence(client, world, name, data):
    client.force_login(world.cast.xiaodian)
    return client.post(
        reverse("personnel:dismissal_close", args=[world.dismissal.pk]),
        {"employment_end": "2023-11-20", "evidence": SimpleUploadedFile(name, data)},
    )


def importer(url_name, user):
    def post(client, world, name, data):
        client.force_login(getattr(world.cast, user) if user != "police" else police())
        return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, data)})

    return post


# door → (post, byte limit, kind of door)
DOORS = {
    "inspection_photo": (post_photo, 15 * 1024 * 1024, "photo"),
    "public_complaint": (post_public_complaint, 10 * 1024 * 1024, "attachment"),
    "officer_complaint": (post_officer_complaint, 10 * 1024 * 1024, "attachment"),
    "dismissal_evidence": (post_dismissal_evidence, 10 * 1024 * 1024, "evidence"),
    "institution_import": (importer("institutions:import", "xiaodian"), 20 << 20, "sheet"),
    "staff_import": (importer("personnel:import", "xiaodian"), 20 << 20, "sheet"),
    "result_import": (importer("personnel:result_import", "police"), 20 << 20, "sheet"),
    "fee_import": (importer("fees:import", "xiaodian"), 20 << 20, "sheet"),
    "complaint_import": (importer("complaints:import", "xiaodian"), 20 << 20, "sheet"),
}

# What each kind of door says about each payload (a fragment of the Chinese message).
SAYS = {
    "photo": {"giant_image": "像素过大", "svg_as_jpg": "不是有效的照片",
              "html_as_jpg": "不是有效的照片", "zip_bomb_as_xlsx": "不是有效的照片",
              "too_large": "超过 15 MB"},
    "attachment": {"giant_image": "像素过大", "svg_as_jpg": "格式不支持",
                   "html_as_jpg": "格式不支持", "zip_bomb_as_xlsx": "格式不支持",
                   "too_large": "超过 10 MB"},
    "evidence": {"giant_image": "像素过大", "svg_as_jpg": "PDF、JPG 或 PNG",
                 "html_as_jpg": "PDF、JPG 或 PNG", "zip_bomb_as_xlsx": "PDF、JPG 或 PNG",
                 "too_large": "上限为 10 MB"},
    "sheet": {"giant_image": "不支持的文件类型", "svg_as_jpg": "不支持的文件类型",
              "html_as_jpg": "不支持的文件类型", "zip_bomb_as_xlsx": "压缩炸弹",
              "too_large": "上限为 20 MB"},
}  # fmt: skip


def over_the_limit(kind: str, limit: int) -> tuple[str, bytes]:
    if kind == "sheet":
        return "大表.xlsx", b"PK\x03\x04" + b"\x00" * limit
    return "大照片.jpg", jpeg()[:-2] + b"\x00" * limit + b"\xff\xd9"


@pytest.fixture
def world(cast, places, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_campaign()
    inspection = start(cast.xiaodian, places.xiaodian)
    dismissal = open_dismissal(cast, places.xiaodian)
    return SimpleNamespace(
        cast=cast, places=places, inspection=inspection, dismissal=dismissal,
        media=settings.MEDIA_ROOT,
    )  # fmt: skip


def said(response) -> str:
    """The page's text, or the JSON error the phone form shows."""
    if response["Content-Type"].startswith("application/json"):
        return response.json()["error"]
    return response.content.decode()


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def counts():
    return (
        Evidence.objects.count(),
        Case.objects.count(),
        Attachment.objects.count(),
        ImportRun.objects.count(),
        Dismissal.objects.filter(status="closed").count(),
    )


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("door", list(DOORS))
def test_a_hostile_upload_is_refused_in_chinese_and_nothing_is_stored(client, world, door, payload):
    post, limit, kind = DOORS[door]
    name, make = PAYLOADS[payload]
    name, data = over_the_limit(kind, limit) if make is None else (name, make())
    before = counts()
    response = post(client, world, name, data)
    assert response.status_code == 400
    body = said(response)
    assert SAYS[kind][payload] in body, body[-2000:]
    assert counts() == before
    assert stored_files(world.media) == []


def gps_of(data: bytes):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.getexif().get_ifd(GPS_IFD), "exif" in image.info


@pytest.mark.parametrize("door", ["inspection_photo", "officer_complaint", "dismissal_evidence"])
def test_a_kept_photo_loses_its_gps_position(client, world, door):
    original = jpeg(gps=True)
    assert gps_of(original)[1]  # the phone wrote where it was
    post, _limit, _kind = DOORS[door]
    response = post(client, world, "现场.jpg", original)
    assert response.status_code in (201, 302), response.content.decode()[-2000:]
    stored = stored_files(world.media)
    assert len(stored) == 1
    assert gps_of(stored[0].read_bytes()) == ("JPEG", {}, False)
