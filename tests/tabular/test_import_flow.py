"""One import flow: every register's import pages are the same views and templates, told what
differs by the kind's spec (tabular/specs.py)."""

import pytest
from django.urls import reverse

from tabular.models import ImportRun

pytestmark = pytest.mark.django_db


def run_of(user, kind, status="checked"):
    return ImportRun.objects.create(
        created_by=user, kind=kind, file_name="表.csv", file="imports/a.csv",
        file_sha256="0" * 64, status=status,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("upload", "heading"),
    [
        ("institutions:import", "从表格导入培训机构"),
        ("fees:import", "从表格导入收费记录"),
        ("complaints:import", "从表格导入投诉举报"),
        ("personnel:import", "从表格导入从业人员"),
    ],
)
def test_every_register_uploads_on_the_one_flow_s_page(client, cast, upload, heading):
    client.force_login(cast.xiaodian)
    response = client.get(reverse(upload))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "tabular/import.html"
    assert heading in response.content.decode()


def test_a_busy_complaint_run_is_polled_like_every_other_register_s(client, cast):
    run = run_of(cast.xiaodian, "complaints", status="checking")
    client.force_login(cast.xiaodian)
    url = reverse("complaints:import_run", args=[run.pk])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and f'hx-get="{url}"' in partial


def test_a_failed_staff_run_offers_to_upload_again(client, cast):
    run = run_of(cast.xiaodian, "staff", status="failed")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("personnel:import_run", args=[run.pk])).content.decode()
    assert 'data-testid="run-failed"' in page and reverse("personnel:import") in page


def test_a_run_opens_only_on_its_own_register_s_pages(client, cast):
    run = run_of(cast.xiaodian, "institutions")
    client.force_login(cast.xiaodian)
    assert client.get(reverse("institutions:import_run", args=[run.pk])).status_code == 200
    for name in ("fees:import_run", "complaints:import_run", "personnel:import_run"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404, name
    assert client.post(reverse("fees:import_run_confirm", args=[run.pk])).status_code == 404
