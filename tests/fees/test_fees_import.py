"""Fee list import: `import_fees` and the upload pages, on the register's import machinery."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from campaign.services import campaign_seed_2023
from fees.models import FeeRecord, FeeViolation
from tabular.models import ImportRun

pytestmark = pytest.mark.django_db

HEADER = [
    "机构统一社会信用代码*", "合同编号", "学员", "课程", "金额（元）*", "课时数", "收费起始日期*",
    "收费截止日期*", "收费日期*", "是否进入监管账户*",
]  # fmt: skip


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(code, contract="HT-1", amount="4800.00", hours=48, start="2023-09-01",
        end="2023-11-30", charged="2023-09-01", supervised="是"):  # fmt: skip
    return [code, contract, "学员A", "舞蹈", amount, hours, start, end, charged, supervised]


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


def write(tmp_path, rows, name="收费.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx([HEADER, *rows]))
    return str(path)


def test_dry_run_writes_nothing_then_the_import_checks_every_charge(
    cast, places, campaign, tmp_path, capsys
):
    code = places.xiaodian.credit_code
    path = write(
        tmp_path,
        [
            row(code, "HT-1", "5000.00", 60),
            row(code, "HT-2", "5000.01", 60),
            row(code, "HT-3", "4000", 61, supervised="否"),
            row(code, "HT-4", "4000", 40, end="2023-12-01"),
        ],
    )
    call_command("import_fees", path, "--dry-run", "--as", "xiaodian")
    assert "新增 4" in capsys.readouterr().out
    assert FeeRecord.objects.count() == 0
    call_command("import_fees", path, "--as", "xiaodian")
    assert "已导入" in capsys.readouterr().out
    by_contract = {
        r.contract_number: sorted(r.violations.values_list("rule", flat=True))
        for r in FeeRecord.objects.all()
    }
    assert by_contract == {
        "HT-1": [],
        "HT-2": ["amount_over_limit"],
        "HT-3": ["hours_over_limit", "off_platform"],
        "HT-4": ["period_over_limit"],
    }
    record = FeeRecord.objects.get(contract_number="HT-2")
    assert record.amount == Decimal("5000.01") and record.source == "import"
    assert record.history.get().history_user == cast.xiaodian
    assert FeeViolation.objects.get(rule="amount_over_limit").history.count() == 1

    # The same sheet again changes nothing.
    call_command("import_fees", path, "--as", "xiaodian")
    assert "无变化 4" in capsys.readouterr().out
    assert FeeRecord.objects.count() == 4


def test_a_corrected_row_updates_the_charge_and_its_violations(cast, places, campaign, tmp_path):
    code = places.xiaodian.credit_code
    call_command("import_fees", write(tmp_path, [row(code, amount="5200")]), "--as", "xiaodian")
    violation = FeeViolation.objects.get()
    call_command("import_fees", write(tmp_path, [row(code, amount="4800")]), "--as", "xiaodian")
    violation.refresh_from_db()
    assert FeeRecord.objects.get().amount == Decimal("4800.00")
    assert violation.status == "withdrawn"


def test_bad_rows_are_listed_with_row_column_and_reason_and_nothing_is_written(
    cast, places, campaign, tmp_path, capsys
):
    code = places.xiaodian.credit_code
    path = write(
        tmp_path,
        [
            row(code, "OK"),
            row(places.pingcheng.credit_code, "OUT"),
            row(code, "NEG", amount="-1"),
            row(code, "TEXT", amount="五千"),
            row(code, "BACK", start="2023-09-01", end="2023-08-01"),
            row(code, "BOOL", supervised="也许"),
            row(code, "DATE", charged="2023-02-30"),
            row(code, "OK"),
            row(code, "", amount=""),
        ],
    )
    with pytest.raises(CommandError, match="有 8 行错误，未写入任何数据"):
        call_command("import_fees", path, "--as", "xiaodian")
    out = capsys.readouterr().out
    pingcheng = places.pingcheng.credit_code
    assert (
        f"第 3 行\t机构统一社会信用代码（A列）\t在您的管辖范围内找不到统一社会信用代码为“{pingcheng}”的机构"
        in out
    )
    assert "第 4 行\t金额（元）（E列）\t金额应大于 0" in out
    assert "第 5 行\t金额（元）（E列）\t“五千”不是数字" in out
    assert "第 6 行\t收费截止日期（H列）\t收费截止日期早于起始日期" in out
    assert "第 7 行\t是否进入监管账户（J列）\t“也许”应填“是”或“否”" in out
    assert "第 8 行\t收费日期（I列）\t“2023-02-30”不是有效日期" in out
    assert "第 9 行\t合同编号（B列）\t与第 2 行重复" in out
    assert "第 10 行\t金额（元）（E列）\t必填项为空" in out
    assert FeeRecord.objects.count() == 0 and FeeViolation.objects.count() == 0


def test_a_missing_required_column_fails_the_whole_file(cast, places, campaign, tmp_path):
    path = tmp_path / "收费.xlsx"
    path.write_bytes(xlsx([HEADER[:4], ["x", "y", "z", "w"]]))
    with pytest.raises(CommandError, match="缺少必填列"):
        call_command("import_fees", str(path), "--as", "xiaodian")


def test_the_command_needs_a_real_user(cast, tmp_path):
    with pytest.raises(CommandError, match="不存在或已停用"):
        call_command("import_fees", write(tmp_path, []), "--as", "nobody")


def test_a_thousand_rows_import_in_one_go(
    cast, places, campaign, tmp_path, django_assert_max_num_queries
):
    code = places.xiaodian.credit_code
    start = dt.date(2023, 9, 1)
    rows = [
        row(code, f"HT-{n:04d}", f"{4990 + n % 20}.00", 50 + n % 20, charged=start.isoformat())
        for n in range(1000)
    ]
    path = write(tmp_path, rows)
    # Bulk writes: the number of queries does not grow with the rows.
    with django_assert_max_num_queries(120):
        call_command("import_fees", path, "--as", "admin")
    assert FeeRecord.objects.count() == 1000
    # 4,990 + (n % 20): 5,000.01 and above for n % 20 ≥ 11 → 9 of every 20 rows.
    assert FeeViolation.objects.filter(rule="amount_over_limit").count() == 450
    # 50 + (n % 20) hours: above 60 for n % 20 ≥ 11 as well.
    assert FeeViolation.objects.filter(rule="hours_over_limit").count() == 450


# -- the pages -----------------------------------------------------------------------------


def upload(client, data, name="收费.xlsx"):
    return client.post(reverse("fees:import"), {"file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_on_the_pages(client, cast, places, campaign):
    client.force_login(cast.xiaodian)
    code = places.xiaodian.credit_code
    response = upload(client, xlsx([HEADER, row(code, "P-1", "6000")]))
    run = ImportRun.objects.get()
    assert run.kind == "fees"
    assert response.url == reverse("fees:import_run", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "检查通过" in page and "将新增的收费记录" in page
    assert FeeRecord.objects.count() == 0
    client.post(reverse("fees:import_run_confirm", args=[run.pk]))
    assert FeeRecord.objects.get().violations.get().rule == "amount_over_limit"
    assert "导入完成" in client.get(response.url).content.decode()


def test_upload_errors_show_on_the_page(client, cast, places, campaign):
    client.force_login(cast.xiaodian)
    response = upload(client, b"", name="x.xlsx")
    assert response.status_code == 400
    assert "upload-error" in response.content.decode()
    response = upload(client, xlsx([HEADER, row(places.xiaodian.credit_code, amount="0")]))
    page = client.get(response.url).content.decode()
    assert "金额应大于 0" in page and "下载错误清单" in page


def test_a_run_is_its_uploaders_own(client, cast, places, campaign):
    client.force_login(cast.xiaodian)
    upload(client, xlsx([HEADER, row(places.xiaodian.credit_code)]))
    run = ImportRun.objects.get()
    client.force_login(cast.admin)
    assert client.get(reverse("fees:import_run", args=[run.pk])).status_code == 404
    assert client.post(reverse("fees:import_run_confirm", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == "checked" and FeeRecord.objects.count() == 0


def test_the_template_downloads_with_the_headers(client, cast):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("fees:import_template"))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == HEADER


def test_a_sheet_with_a_charge_typed_by_hand_without_fen_does_not_double_it(
    cast, places, campaign, tmp_path, capsys
):
    from accounts.scope import Scope
    from fees.services import fee_record_create

    fee_record_create(
        institution=places.xiaodian, actor=cast.xiaodian, scope=Scope.for_user(cast.xiaodian),
        amount=Decimal("4800"), class_hours=48, period_from=dt.date(2023, 9, 1),
        period_to=dt.date(2023, 11, 30), charged_on=dt.date(2023, 9, 1), supervised=True,
        student="学员A", course="舞蹈",
    )  # fmt: skip
    path = write(tmp_path, [row(places.xiaodian.credit_code, contract="", amount="4800.00")])
    call_command("import_fees", path, "--as", "xiaodian")
    assert "新增 0" in capsys.readouterr().out
    assert FeeRecord.objects.count() == 1
