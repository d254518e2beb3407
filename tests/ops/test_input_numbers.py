"""Numbers read from a query or a form: bad ones behave like absent or unknown ones, never 500.

`str.isdigit()` is true for "²" (which `int()` and a pk lookup refuse) and for full-width
"１２"; forty nines overflow an integer column. Every site reads ids through
`core.text.small_int`; and an impossible photo time ("2023-02-30") is no time at all.
"""

import pytest
from django.urls import reverse

from core.text import small_int
from inspections.models import Evidence
from tests.inspections.test_inspection_form import campaign, inspection, jpeg, officer_client  # noqa: F401
from tests.reporting.test_summary import taiyuan_city, world  # noqa: F401

BAD = ["²", "１２", "9" * 40]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12), (" 7 ", 7), ("0", 0), ("123456789", 123456789), ("1234567890", None),
        ("", None), ("²", None), ("１２", None), ("٣", None), ("-1", None), ("+1", None),
        ("1.0", None), ("9" * 40, None), (None, None), (12, None),
    ],
)  # fmt: skip
def test_small_int_accepts_only_a_few_ascii_digits(value, expected):
    assert small_int(value) == expected


@pytest.mark.parametrize("bad", BAD)
def test_the_summary_list_treats_a_bad_campaign_as_none_chosen(client, cast, regions, bad):
    client.force_login(cast.taiyuan)
    assert client.get(reverse("summaries:list"), {"campaign": bad}).status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_the_summary_word_file_answers_a_bad_revision_like_an_unknown_one(
    client,
    cast,
    world,  # noqa: F811
    taiyuan_city,  # noqa: F811
    bad,
):
    client.force_login(cast.taiyuan)
    url = reverse("summaries:word", kwargs={"campaign": world.pk, "city": taiyuan_city.code})
    assert client.get(url, {"revision": bad}).status_code == 404
    assert client.get(url, {"revision": ""}).status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_the_inspection_ledger_treats_a_bad_campaign_as_the_default_one(client, cast, places, bad):
    client.force_login(cast.taiyuan)
    response = client.get(reverse("ledgers:inspections"), {"campaign": bad})
    assert response.status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_the_sampling_record_refuses_a_bad_draw_in_chinese(client, cast, regions, bad):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("ledgers:export_new"), {"ledger": "sampling", "draw": bad})
    assert response.status_code == 400
    assert "请选择要导出的记录" in response.content.decode()


@pytest.mark.parametrize("bad", BAD)
def test_the_export_page_treats_a_bad_row_count_as_unknown(client, cast, regions, bad):
    client.force_login(cast.taiyuan)
    response = client.get(reverse("ledgers:export_new"), {"ledger": "inspections", "large": bad})
    assert response.status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_a_new_check_batch_answers_a_bad_institution_like_an_unknown_one(client, cast, places, bad):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("personnel:batch_create"), {"institution": bad})
    assert response.status_code == 404


@pytest.mark.parametrize("bad", BAD)
def test_the_staff_list_shows_nobody_for_a_bad_institution(client, cast, places, bad):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("personnel:list"), {"institution": bad})
    assert response.status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_the_staff_api_shows_nobody_for_a_bad_institution(client, cast, places, bad):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("api:staff-list"), {"institution": bad})
    # django-filter reads the id itself: a 400 in Chinese or a page, never a 500.
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("bad", BAD)
def test_a_new_staff_form_ignores_a_bad_institution(client, cast, places, bad):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("personnel:create"), {"institution": bad})
    assert response.status_code == 200


@pytest.mark.parametrize("bad", BAD)
def test_submitting_with_a_bad_version_asks_for_a_refresh(
    officer_client,  # noqa: F811
    inspection,  # noqa: F811
    bad,
):
    before = inspection.version
    response = officer_client.post(
        reverse("inspections:submit", args=[inspection.pk]), {"version": bad, "result": "pass"}
    )
    assert response.status_code == 400
    assert "缺少记录版本号，请刷新页面" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == inspection.Status.DRAFT and inspection.version == before


@pytest.mark.parametrize(
    "taken_at", ["2023-02-30T10:00", "2023-13-01T10:00", "0001-01-01T00:00+14:00"]
)
def test_a_photo_with_an_impossible_time_is_kept_without_one(
    officer_client,  # noqa: F811
    inspection,  # noqa: F811
    taken_at,
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = officer_client.post(
        reverse("inspections:photo_upload", args=[inspection.pk, "1.01"]),
        {"photo": SimpleUploadedFile("p.jpg", jpeg(), "image/jpeg"), "taken_at": taken_at},
    )
    assert response.status_code == 201
    photo = Evidence.objects.get()
    assert photo.taken_at is None
