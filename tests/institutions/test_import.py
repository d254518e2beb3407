"""The spreadsheet import: messy real-world sheets, row errors, all-or-nothing, re-imports."""

import io
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from accounts.models import AuditEvent
from institutions.exporters import InstitutionLedger, import_template_xlsx
from institutions.models import Institution
from ops.demo.institutions import credit_code
from tabular import runs
from tabular.models import ImportRun
from tests.factories import InstitutionFactory, UserFactory

FIXTURES = Path(__file__).parents[1] / "fixtures"
_rng = random.Random(3)

HEADER = ["机构名称*", "统一社会信用代码*", "类别*", "行业", "所在县区*", "可容纳学生数"]


def code(county="140105"):
    return credit_code(_rng, county)


def xlsx(rows, *, title=None, merges=(), sheet_title="Sheet1") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(user, data, name="名录.xlsx") -> ImportRun:
    run = runs.import_run_create(actor=user, kind="institutions", file_name=name, data=data)
    return runs.import_run_check(run_id=run.pk)


def write(run) -> ImportRun:
    assert runs.import_run_confirm(run=run, actor=run.created_by)
    return runs.import_run_write(run_id=run.pk)


def errors(run):
    return [(e["row"], e["column"], e["reason"]) for e in run.report["errors"]]


@pytest.fixture
def admin(regions):
    return UserFactory(username="admin", grant=("admin", "140000"))


def test_a_clean_sheet_is_previewed_then_written(admin):
    rows = [
        ["小店区博雅舞蹈培训学校", code(), "非学科类", "文化艺术", "小店区", 80],
        ["迎泽区育才数学培训学校", code("140106"), "学科类", "", "140106", 120],
    ]
    run = check(admin, xlsx([HEADER, *rows]))
    assert (run.status, run.created_count, run.updated_count, run.error_count) == (
        "checked",
        2,
        0,
        0,
    )
    assert Institution.objects.count() == 0, "the preview writes nothing"
    run = write(run)
    assert run.status == "done" and run.finished_at
    dance = Institution.objects.get(name="小店区博雅舞蹈培训学校")
    assert (dance.county_id, dance.category, dance.sector, dance.capacity) == (
        "140105",
        "non_subject",
        "culture_art",
        80,
    )
    assert dance.history.get().history_user == admin
    assert len(run.file_sha256) == 64
    assert AuditEvent.objects.filter(kind="import", object_id=str(run.pk)).exists()


def test_reimporting_the_same_file_changes_nothing(admin):
    data = xlsx([HEADER, ["小店区博雅舞蹈培训学校", code(), "非学科类", "体育", "小店区", 80]])
    write(check(admin, data))
    history = Institution.history.count()
    again = check(admin, data)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
    write(again)
    assert Institution.objects.count() == 1 and Institution.history.count() == history


def test_a_changed_row_is_an_update_with_the_changed_fields(admin):
    credit = code()
    write(check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "小店区", 80]])))
    run = check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "小店区", 100]]))
    assert (run.created_count, run.updated_count) == (0, 1)
    assert run.report["updates"][0]["changes"] == [
        {"field": "可容纳学生数", "old": "80", "new": "100"}
    ]
    write(run)
    assert Institution.objects.get().capacity == 100


def test_a_row_moving_an_institution_counts_a_fee_change_for_its_province(
    admin, django_capture_on_commit_callbacks
):
    # The kept fee figures are grouped by county and sector (fees/figures.py): a move must
    # have them added up again, as a charge written there would.
    from core import kept
    from fees.changes import changed_key

    credit = code()
    write(check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "小店区", 80]])))
    before = kept.generation(changed_key("14"))
    run = check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "小店区", 90]]))
    with django_capture_on_commit_callbacks(execute=True):
        write(run)
    assert kept.generation(changed_key("14")) == before  # capacity alone: no fee change
    run = check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "迎泽区", 90]]))
    with django_capture_on_commit_callbacks(execute=True):
        write(run)
    assert Institution.objects.get().county_id == "140106"
    assert kept.generation(changed_key("14")) == before + 1


def test_a_messy_government_sheet_is_read_as_meant(admin):
    """Title row, two-row merged header, odd header spellings, extra columns, blank rows,
    trailing spaces, full-width digits, numbers as text, line breaks inside cells."""
    credit_1, credit_2 = code(), code("140106")
    full_width = credit_2.translate(
        str.maketrans(
            "0123456789ABCDEFGHJKLMNPQRTUWXY",
            "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ",
        )
    )
    rows = [
        [
            "序号",
            "基本信息",
            None,
            None,
            "所在县（市、区）*",
            "联系方式",
            None,
            "备注",
            "面积（㎡）",
        ],
        [None, "培训机构名称 *", " 信用代码 ", "类  别", None, "地址", "联系电话", None, None],
        [
            1,
            "小店区博雅\n舞蹈培训学校  ",
            f"  {credit_1} ",
            "非学科类",
            "小店区",
            "太原市小店区\n长风街1号",
            "0351-1234567",
            "无",
            "120.5",
        ],
        [None, None, None, None, None, None, None, None, None],
        [
            2,
            "迎泽区育才数学培训学校",
            full_width,
            "学科类",
            "太原市迎泽区",
            "",
            13900000000,
            "",
            300,
        ],
    ]
    merges = ["B2:D2", "F2:G2", "E2:E3", "A2:A3", "H2:H3", "I2:I3"]
    run = check(admin, xlsx(rows, title="2023年太原市校外培训机构名录", merges=merges))
    assert errors(run) == []
    assert (run.total_rows, run.created_count) == (2, 2)
    write(run)
    first = Institution.objects.get(credit_code=credit_1)
    assert first.name == "小店区博雅舞蹈培训学校"
    assert first.address == "太原市小店区长风街1号"
    assert first.phone == "0351-1234567"  # kept as written, as the form keeps it
    assert first.floor_area == Decimal("120.5")
    second = Institution.objects.get(credit_code=credit_2)
    assert (second.county_id, second.phone, second.floor_area) == (
        "140106",
        "13900000000",
        Decimal("300"),
    )


def test_every_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_written(admin):
    good, dup = code(), code()
    broken = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        HEADER,
        ["好机构", good, "非学科类", "体育", "小店区", 10],  # row 3 (row 1 is the title)
        ["校验位错", broken, "非学科类", "体育", "小店区", 10],
        ["未知县区", code(), "非学科类", "体育", "火星区", 10],
        ["重复甲", dup, "学科类", "", "小店区", 10],
        ["重复乙", dup, "学科类", "", "小店区", 10],
        ["", code(), "学科类", "", "小店区", 10],
        ["类别错", code(), "培训类", "", "小店区", 10],
        ["人数错", code(), "学科类", "", "小店区", "很多"],
    ]
    run = check(admin, xlsx(rows, title="名录"))
    assert errors(run) == [
        (4, "统一社会信用代码（B列）", f"“{broken}”校验位不正确"),
        (5, "所在县区（E列）", "找不到县区“火星区”"),
        (7, "统一社会信用代码（B列）", "与第 6 行重复"),
        (8, "机构名称（A列）", "必填项为空"),
        (9, "类别（C列）", "“培训类”不是有效的类别，可填：学科类、学科、非学科类、非学科"),
        (10, "可容纳学生数（F列）", "“很多”不是数字"),
    ]
    assert run.error_count == 6 and run.created_count == 2
    assert not runs.import_run_confirm(run=run, actor=admin)
    run.refresh_from_db()
    assert run.status == "checked"
    assert Institution.objects.count() == 0


def test_a_county_officer_cannot_import_a_row_for_another_county(regions):
    officer = UserFactory(grant=("county_officer", "140105"))
    rows = [
        HEADER,
        ["本县机构", code(), "学科类", "", "小店区", 1],
        ["外县机构", code("140213"), "学科类", "", "平城区", 1],
    ]
    run = check(officer, xlsx(rows))
    assert errors(run) == [(3, "所在县区（E列）", "“平城区”不在您的管辖范围内，不能导入")]
    assert Institution.objects.count() == 0


def test_an_existing_institution_outside_the_scope_cannot_be_overwritten(regions):
    outside = InstitutionFactory(county_id="140213", name="平城区原有机构")
    officer = UserFactory(grant=("county_officer", "140105"))
    run = check(officer, xlsx([HEADER, ["改名", outside.credit_code, "学科类", "", "小店区", 1]]))
    assert errors(run) == [
        (2, "统一社会信用代码（B列）", "该代码已由您管辖范围以外的机构登记，不能修改")
    ]
    outside.refresh_from_db()
    assert (outside.name, outside.county_id) == ("平城区原有机构", "140213")


def test_an_ambiguous_county_name_asks_for_the_city(admin):
    run = check(admin, xlsx([HEADER, ["某机构", code("140302"), "学科类", "", "城区", 1]]))
    assert "有重名" in errors(run)[0][2]
    run = check(admin, xlsx([HEADER, ["某机构", code("140302"), "学科类", "", "阳泉市城区", 1]]))
    assert errors(run) == []


def test_a_missing_required_column_fails_the_whole_file(admin):
    run = check(admin, xlsx([["机构名称", "统一社会信用代码", "类别"], ["甲", code(), "学科类"]]))
    assert run.status == "failed"
    assert "缺少必填列：所在县区*" in run.message


def test_a_sheet_without_any_header_fails_clearly(admin):
    run = check(admin, xlsx([["随便", "什么"], [1, 2]]))
    assert run.status == "failed" and "没有找到表头" in run.message


def test_excel_97_xls_is_read(admin):
    run = check(admin, (FIXTURES / "institutions_excel97.xls").read_bytes(), name="名录.xls")
    assert errors(run) == [] and run.created_count == 3
    write(run)
    assert Institution.objects.get(county_id="140106").capacity == 60


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_csv_in_utf8_or_gbk_is_read(admin, encoding):
    credit = code()
    text = (
        "机构名称,统一社会信用代码,类别,所在县区\n小店区博雅围棋培训学校,"
        + credit
        + ",非学科类,小店区\n"
    )
    run = check(admin, text.encode(encoding), name="名录.csv")
    assert errors(run) == [] and run.created_count == 1
    assert run.report["creates"][0]["name"] == "小店区博雅围棋培训学校"


def test_the_template_has_the_chinese_headers_and_imports_when_filled(admin):
    book = load_workbook(io.BytesIO(import_template_xlsx()))
    sheet = book["机构名录"]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == [
        "机构名称*",
        "统一社会信用代码*",
        "办学许可证号",
        "类别*",
        "行业",
        "所在县区*",
    ]
    assert "填写说明" in book.sheetnames
    sheet.append(["小店区模板机构", code(), "", "非学科类", "体育", "小店区"])
    buffer = io.BytesIO()
    book.save(buffer)
    run = check(admin, buffer.getvalue())
    assert errors(run) == [] and run.created_count == 1


def test_an_exported_ledger_reimports_unchanged_and_carries_no_formula(admin):
    InstitutionFactory(name='=HYPERLINK("http://x","点我")', county_id="140105", capacity=30)
    InstitutionFactory(
        name="小店区正常机构", county_id="140105", category="subject", sector="", is_risky=True
    )
    data = InstitutionLedger(Institution.objects.all(), region_name="山西省").to_xlsx()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value.startswith("山西省校外培训机构台账")
    values = [c.value for row in sheet.iter_rows(min_row=3) for c in row]
    assert '\'=HYPERLINK("http://x","点我")' in values
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    run = check(admin, data)
    assert errors(run) == []
    assert (run.created_count, run.updated_count, run.unchanged_count) == (0, 0, 2)


def test_csv_export_is_excel_friendly_and_reimports_unchanged(admin):
    InstitutionFactory(name="+小店区机构", county_id="140105")
    data = InstitutionLedger(Institution.objects.all()).to_csv()
    assert data.startswith("\ufeff".encode())
    assert "'+小店区机构" in data.decode("utf-8-sig")
    run = check(admin, data, name="台账.csv")
    assert (run.unchanged_count, run.error_count) == (1, 0)


def test_a_check_or_a_write_claimed_twice_runs_once(admin):
    run = runs.import_run_create(
        actor=admin,
        kind="institutions",
        file_name="a.xlsx",
        data=xlsx([HEADER, ["甲", code(), "学科类", "", "小店区", 1]]),
    )
    assert runs.import_run_check(run_id=run.pk) is not None
    assert runs.import_run_check(run_id=run.pk) is None
    run.refresh_from_db()
    assert runs.import_run_confirm(run=run, actor=admin)
    assert not runs.import_run_confirm(run=run, actor=admin)
    assert runs.import_run_write(run_id=run.pk).status == "done"
    assert runs.import_run_write(run_id=run.pk) is None
    assert Institution.objects.count() == 1


def test_a_check_whose_worker_died_is_taken_over_by_the_redelivered_task(admin):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    run = runs.import_run_create(
        actor=admin,
        kind="institutions",
        file_name="a.xlsx",
        data=xlsx([HEADER, ["甲", code(), "学科类", "", "小店区", 1]]),
    )
    ImportRun.objects.filter(pk=run.pk).update(status="checking", claimed_at=timezone.now())
    assert runs.import_run_check(run_id=run.pk) is None  # another worker is on it
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert runs.import_run_check(run_id=run.pk).status == "checked"


def test_data_changed_after_the_preview_fails_the_write_and_writes_nothing(regions):
    officer = UserFactory(grant=("county_officer", "140105"))
    taken = code()
    run = check(
        officer,
        xlsx(
            [
                HEADER,
                ["甲", taken, "学科类", "", "小店区", 1],
                ["乙", code(), "学科类", "", "小店区", 1],
            ]
        ),
    )
    assert run.error_count == 0
    # Between the preview and the write, the same code is registered in 平城区.
    InstitutionFactory(credit_code=taken, county_id="140213", name="平城区抢先登记的机构")
    run = write(run)
    assert run.status == "failed" and "未写入任何数据" in run.message
    assert list(Institution.objects.values_list("name", flat=True)) == ["平城区抢先登记的机构"]


def test_an_unexpected_failure_while_writing_fails_the_run_and_writes_nothing(admin, monkeypatch):
    from institutions.importers import InstitutionImporter

    run = check(admin, xlsx([HEADER, ["甲", code(), "学科类", "", "小店区", 1]]))

    def broken_write(self, plan):
        Institution.objects.create(
            name="半条", credit_code=code(), county_id="140105", category="subject"
        )
        raise RuntimeError("disk full")

    monkeypatch.setattr(InstitutionImporter, "write", broken_write)
    run = write(run)
    assert run.status == "failed" and "RuntimeError" in run.message
    assert Institution.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "长字段.csv",
            (
                "机构名称,统一社会信用代码,类别,所在县区\n" + "甲" * 140_000 + ",x,学科类,小店区\n"
            ).encode(),
            "CSV 文件格式错误",
        ),
        ("假xls.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4600, "无法读取"),
    ],
)
def test_a_file_that_breaks_the_parser_fails_the_run_instead_of_hanging(admin, name, data, message):
    run = check(admin, data, name=name)
    assert run.status == "failed" and message in run.message


def test_a_truncated_workbook_fails_the_run(admin):
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER, ["甲", code(), "学科类", "", "小店区", 1]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            archive.writestr(item.filename, content)
    run = check(admin, buffer.getvalue())
    assert run.status == "failed" and "无法读取" in run.message


def test_values_the_database_cannot_hold_are_row_errors(admin):
    rows = [
        HEADER + ["面积（平方米）"],
        ["名" * 201, code(), "学科类", "", "小店区", 1, 10],
        ["人数过大", code(), "学科类", "", "小店区", 2**31, 10],
        ["面积过大", code(), "学科类", "", "小店区", 1, 1e9],
        ["面积为负", code(), "学科类", "", "小店区", 1, -5],
    ]
    run = check(admin, xlsx(rows))
    assert [(e[0], e[2]) for e in errors(run)] == [
        (2, "超过 200 个字"),
        (3, "数值过大"),
        (4, "数值过大"),
        (5, "不能为负数"),
    ]


def test_a_sports_department_officer_imports_only_sports_institutions(regions):
    sports = UserFactory(grant=("department_user", "140105", "sports"))
    sports.grants.update(role="county_officer")  # a county officer of the sports bureau
    art = InstitutionFactory(county_id="140105", sector="culture_art", name="原名", capacity=10)
    rows = [
        HEADER,
        ["体育机构", code(), "非学科类", "体育", "小店区", 1],
        ["艺术机构", code(), "非学科类", "文化艺术", "小店区", 1],
        ["学科机构", code(), "学科类", "", "小店区", 1],
        ["改别人的", art.credit_code, "非学科类", "文化艺术", "小店区", 99],
    ]
    run = check(sports, xlsx(rows))
    assert [(e[0], e[2]) for e in errors(run)] == [
        (3, "该行业的机构不归您的部门主管，不能导入"),
        (4, "该行业的机构不归您的部门主管，不能导入"),
        (5, "该行业的机构不归您的部门主管，不能导入"),
    ]
    assert "原名" not in str(run.report)
    art.refresh_from_db()
    assert (art.name, art.capacity) == ("原名", 10)


def test_changing_to_subject_clears_the_sector(admin):
    institution = InstitutionFactory(county_id="140105", category="non_subject", sector="sports")
    run = write(
        check(
            admin,
            xlsx(
                [
                    HEADER,
                    [institution.name, institution.credit_code, "学科类", "体育", "小店区", None],
                ]
            ),
        )
    )
    institution.refresh_from_db()
    assert (run.updated_count, institution.category, institution.sector) == (1, "subject", "")


def test_odd_values_survive_an_export_and_reimport_unchanged(admin):
    InstitutionFactory(
        name="-负号机构", county_id="140105", legal_representative="@张三", phone="0351-7654321",
        permit_number="晋教民140105-0001", floor_area=Decimal("120.56"), sector="sports",
    )  # fmt: skip
    InstitutionFactory(name="=SUM(1)", county_id="140106", phone="-123", sector="other")
    ledger = InstitutionLedger(Institution.objects.all())
    for data, name in ((ledger.to_xlsx(), "台账.xlsx"), (ledger.to_csv(), "台账.csv")):
        run = check(admin, data, name=name)
        assert (errors(run), run.unchanged_count, run.updated_count) == ([], 2, 0), name
    rounded = check(
        admin,
        xlsx(
            [
                HEADER + ["面积（平方米）"],
                [
                    "-负号机构",
                    Institution.objects.get(name="-负号机构").credit_code,
                    "非学科类",
                    "体育",
                    "小店区",
                    None,
                    120.555,
                ],
            ]
        ),
    )
    assert (rounded.unchanged_count, rounded.updated_count) == (1, 0)


def test_full_width_county_codes_and_invisible_characters(admin):
    run = check(
        admin,
        xlsx(
            [
                HEADER,
                ["甲", code(), "学科类", "", "１４０１０５", 1],
                ["\u200b", code(), "学科类", "", "小店区", 1],
            ]
        ),
    )
    assert errors(run) == [(3, "机构名称（A列）", "必填项为空")]
    assert run.report["creates"][0]["county"] == "小店区"


# -- the upload itself ---------------------------------------------------------------


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return buffer.getvalue()


def _with_doctype() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = (
                    b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                    b'<!ENTITY b "&a;&a;&a;">]>\n' + content
                )
            archive.writestr(item, content)
    return buffer.getvalue()


def _xlsx_with(part: str, transform) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item)
            archive.writestr(
                item.filename, transform(content) if item.filename == part else content
            )
        if part not in source.namelist():
            archive.writestr(part, transform(b""))
    return buffer.getvalue()


def _sparse() -> bytes:
    return _xlsx_with(
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>',
        ),
    )


def _doctype_after_comment() -> bytes:
    padding = b"<!-- <a " + b" " * 70_000 + b"-->"
    return _xlsx_with(
        "xl/worksheets/sheet1.xml", lambda xml: padding + b'<!DOCTYPE x [<!ENTITY a "b">]>' + xml
    )


def _patched_size() -> bytes:
    data = bytearray(xlsx([HEADER]))
    # Shrink the declared uncompressed size of the first member in the central directory.
    at = data.rfind(b"PK\x01\x02")
    while at > 0 and data[at : at + 4] == b"PK\x01\x02":
        data[at + 24 : at + 28] = (1).to_bytes(4, "little")
        at = data.rfind(b"PK\x01\x02", 0, at)
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("稀疏.xlsx", _sparse(), "工作表范围过大"),
        ("注释后.xlsx", _doctype_after_comment(), "DOCTYPE"),
        (
            "别处.xlsx",
            _xlsx_with("xl/custom/data.bin", lambda _: b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'),
            "DOCTYPE",
        ),
        ("尺寸.xlsx", _patched_size(), "已损坏"),
        ("大.xlsx", b"PK\x03\x04" + b"0" * (21 * 1024 * 1024), "文件过大"),
        ("网页.xlsx", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "扩展名与内容不符"),
        ("图.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不支持的文件类型"),
        ("炸弹.xlsx", _zip_bomb(), "压缩炸弹"),
        ("实体.xlsx", _with_doctype(), "DOCTYPE"),
        ("空.csv", b"", "文件是空的"),
        ("坏.xlsx", b"PK\x03\x04garbage", "已损坏"),
    ],
)
def test_unsafe_uploads_are_refused_before_parsing_and_nothing_is_stored(
    admin, name, data, message
):
    with pytest.raises(ValidationError, match=message):
        runs.import_run_create(actor=admin, kind="institutions", file_name=name, data=data)
    assert ImportRun.objects.count() == 0


def test_every_ledger_freezes_its_header_row_below_the_title_and_summary():
    import io

    from openpyxl import load_workbook

    from tabular.export import ListExporter

    class Ledger(ListExporter):
        headers = ["机构名称", "状态"]

        def title_line(self):
            return "小店区台账"

        def summary(self):
            return [("随机种子", "42"), ("抽样框机构数", 37)]

        def rows(self):
            yield ["博雅舞蹈", "正常"]

    sheet = load_workbook(io.BytesIO(Ledger().to_xlsx())).active
    assert sheet["A5"].value == "机构名称" and sheet.freeze_panes == "A6"

    class Plain(Ledger):
        def title_line(self):
            return ""

        def summary(self):
            return []

    sheet = load_workbook(io.BytesIO(Plain().to_xlsx())).active
    assert sheet["A1"].value == "机构名称" and sheet.freeze_panes == "A2"


def test_an_import_moving_an_institution_takes_its_accounts_along(admin):
    from accounts.models import User
    from accounts.scope import scope_for
    from institutions.accounts import institution_account_open

    officer = UserFactory(username="xiaodian", grant=("county_officer", "140105"))

    credit = code()
    write(check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "小店区", 80]])))
    institution = Institution.objects.get(credit_code=credit)
    account, _password = institution_account_open(
        institution=institution, actor=officer, scope=scope_for(officer)
    )
    write(check(admin, xlsx([HEADER, ["甲培训学校", credit, "非学科类", "体育", "平城区", 80]])))
    user = User.objects.get(pk=account.user_id)
    assert user.region_id == "140213"
    assert list(user.grants.values_list("role", "region_id")) == [("institution", "140213")]
