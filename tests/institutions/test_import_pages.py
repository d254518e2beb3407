"""The import pages, the export download and the shell command."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent
from institutions.models import Institution
from tabular.models import ImportRun
from tests.factories import InstitutionFactory
from tests.institutions.test_import import HEADER, code, xlsx


def upload(client, data, name="名录.xlsx"):
    return client.post(reverse("institutions:import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_through_the_pages(client, cast):
    client.force_login(cast.xiaodian)
    data = xlsx([HEADER, ["小店区星火舞蹈培训学校", code(), "非学科类", "文化艺术", "小店区", 50]])
    response = upload(client, data)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "institutions:import_run", args=[run.pk]
    )
    page = client.get(response.url).content.decode()
    assert "将新增" in page and "小店区星火舞蹈培训学校" in page and "确认导入" in page
    assert Institution.objects.count() == 0
    client.post(reverse("institutions:import_run_confirm", args=[run.pk]))
    assert Institution.objects.get().name == "小店区星火舞蹈培训学校"
    assert "导入完成" in client.get(response.url).content.decode()


def test_a_file_with_errors_cannot_be_confirmed(client, cast):
    client.force_login(cast.xiaodian)
    upload(client, xlsx([HEADER, ["外县", code("140213"), "学科类", "", "平城区", 1]]))
    run = ImportRun.objects.get()
    page = client.get(reverse("institutions:import_run", args=[run.pk])).content.decode()
    assert "不在您的管辖范围内" in page and "确认导入" not in page
    client.post(reverse("institutions:import_run_confirm", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == "checked" and Institution.objects.count() == 0
    errors = load_workbook(
        io.BytesIO(client.get(reverse("institutions:import_run_errors", args=[run.pk])).content)
    ).active
    assert [c.value for c in errors[3]] == [
        2,
        "所在县区（E列）",
        "“平城区”不在您的管辖范围内，不能导入",
    ]


def test_a_run_whose_file_is_gone_cannot_be_confirmed(client, cast):
    # The file is purged after its keeping time (or lost with a volume): a confirm then says
    # so instead of failing with a 500, and nothing is written.
    client.force_login(cast.xiaodian)
    upload(
        client,
        xlsx([HEADER, ["小店区星火舞蹈培训学校", code(), "非学科类", "文化艺术", "小店区", 50]]),
    )
    run = ImportRun.objects.get()
    run.file.storage.delete(run.file.name)
    response = client.post(reverse("institutions:import_run_confirm", args=[run.pk]), follow=True)
    assert response.status_code == 200 and "文件已不在服务器上" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "failed" and Institution.objects.count() == 0


def test_a_bad_upload_shows_a_chinese_message_and_stores_nothing(client, cast):
    client.force_login(cast.xiaodian)
    response = upload(client, b"<html><script>alert(1)</script></html>", "x.xlsx")
    assert response.status_code == 400
    assert "扩展名与内容不符" in response.content.decode()
    assert ImportRun.objects.count() == 0
    response = client.post(reverse("institutions:import"), {})
    assert "请选择要上传的文件" in response.content.decode()


def test_someone_elses_run_is_a_404_and_cannot_be_confirmed(client, cast):
    client.force_login(cast.pingcheng)
    upload(client, xlsx([HEADER, ["平城区机构", code("140213"), "学科类", "", "平城区", 1]]))
    run = ImportRun.objects.get()
    client.force_login(cast.admin)
    assert client.get(reverse("institutions:import_run", args=[run.pk])).status_code == 404
    assert client.post(reverse("institutions:import_run_confirm", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == "checked" and Institution.objects.count() == 0


def test_city_staff_may_not_import(client, cast):
    client.force_login(cast.taiyuan)
    response = upload(client, xlsx([HEADER, ["x", code(), "学科类", "", "小店区", 1]]))
    assert response.status_code == 403 and ImportRun.objects.count() == 0


def test_template_download(client, cast):
    client.force_login(cast.admin)
    response = client.get(reverse("institutions:import_template"))
    assert "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).active["A1"].value == "机构名称*"


def test_export_is_scoped_filtered_and_audited(client, cast, places):
    InstitutionFactory(name="小店区学科机构", county_id="140105", category="subject", sector="")
    client.force_login(cast.taiyuan)
    response = client.get(reverse("institutions:export") + "?category=non_subject&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=3)]
    assert sorted(names) == sorted([places.xiaodian.name, places.yingze.name])
    assert sheet["A1"].value.startswith("太原市校外培训机构台账")
    assert AuditEvent.objects.filter(kind="export", username="taiyuan").exists()
    csv = client.get(reverse("institutions:export") + "?format=csv&region=140105").content.decode(
        "utf-8-sig"
    )
    assert (
        places.xiaodian.name in csv
        and places.yingze.name not in csv
        and places.pingcheng.name not in csv
    )


def test_command_dry_run_and_import(regions, cast, tmp_path, capsys):
    path = tmp_path / "名录.xlsx"
    path.write_bytes(xlsx([HEADER, ["命令行机构", code(), "学科类", "", "小店区", 1]]))
    call_command("import_institutions", str(path), "--dry-run", "--as", "xiaodian")
    assert "新增 1" in capsys.readouterr().out and Institution.objects.count() == 0
    call_command("import_institutions", str(path), "--as", "xiaodian")
    assert Institution.objects.get().name == "命令行机构"


def test_command_reports_rows_and_exits_non_zero(regions, cast, tmp_path, capsys):
    path = tmp_path / "名录.xlsx"
    path.write_bytes(xlsx([HEADER, ["外县", code("140213"), "学科类", "", "平城区", 1]]))
    with pytest.raises(CommandError, match="有 1 行错误"):
        call_command("import_institutions", str(path), "--as", "xiaodian")
    assert "第 2 行\t所在县区（E列）\t“平城区”不在您的管辖范围内" in capsys.readouterr().out
    assert Institution.objects.count() == 0
