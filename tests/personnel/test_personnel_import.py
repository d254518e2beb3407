"""Staff list import (pages and shell) and public security's result import."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core import crypto
from institutions.models import Institution
from personnel import imports
from personnel.models import BackgroundCheck, Dismissal, StaffMember
from tabular.models import ImportRun
from tests.factories import InstitutionFactory, UserFactory
from tests.factories_personnel import StaffFactory, id_number, scanning, unmasked_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def scanned(client):
    yield from scanning(client)


HEADER = ["姓名*", "身份证号*", "所在机构统一社会信用代码*", "岗位", "入职日期", "离职日期",
          "教师资格证号", "平台信息是否完整"]  # fmt: skip


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def staff_rows(institution, n, *, start=0):
    return [
        [
            f"员工{start + i}",
            id_number(),
            institution.credit_code,
            "教师",
            "2023-09-01",
            "",
            "",
            "是",
        ]
        for i in range(n)
    ]


def run_staff(user, data) -> ImportRun:
    run = imports.run_create(actor=user, kind="staff", file_name="人员.xlsx", data=data)
    return imports.run_check(run_id=run.pk)


def write(run) -> ImportRun:
    from tabular import runs

    assert runs.import_run_confirm(run=run, actor=run.created_by)
    return imports.run_write(run_id=run.pk)


def test_a_staff_list_is_previewed_then_written_and_the_file_deleted(cast, places):
    rows = staff_rows(places.xiaodian, 3)
    run = run_staff(cast.xiaodian, xlsx([HEADER, *rows]))
    assert (run.status, run.created_count, run.error_count) == ("checked", 3, 0)
    assert not StaffMember.objects.exists() and run.file
    assert not unmasked_ids(str(run.report).encode())
    assert run.report["creates"][0]["id_number"] == crypto.mask_id(rows[0][1])
    run = write(run)
    assert run.status == "done" and StaffMember.objects.count() == 3
    run.refresh_from_db()
    assert not run.file
    staff = StaffMember.objects.get(name="员工0")
    assert staff.reveal_id_number() == rows[0][1] and staff.post == "teacher"
    assert staff.platform_complete is True and staff.history.count() == 1
    # Re-importing the same rows changes nothing.
    again = run_staff(cast.xiaodian, xlsx([HEADER, *rows]))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)


def test_bad_rows_are_reported_masked_and_nothing_is_written(cast, places, regions):
    subject = InstitutionFactory(category=Institution.Category.SUBJECT, sector="")
    good = id_number()
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    rows = [
        ["甲", good, places.xiaodian.credit_code, "教师", "", "", "", ""],
        ["乙", bad, places.xiaodian.credit_code, "", "", "", "", ""],
        ["丙", id_number(), places.pingcheng.credit_code, "", "", "", "", ""],
        ["丁", id_number(), subject.credit_code, "教师", "", "", "", ""],
        ["戊", good, places.xiaodian.credit_code, "", "", "", "", ""],
        ["己", id_number(), places.xiaodian.credit_code, "", "2023-09-01", "2023-01-01", "", ""],
    ]
    run = run_staff(cast.xiaodian, xlsx([HEADER, *rows]))
    reasons = {(e["row"], e["column"][:4]): e["reason"] for e in run.report["errors"]}
    assert (
        "校验位不正确" in reasons[(3, "身份证号")]
        and crypto.mask_id(bad) in reasons[(3, "身份证号")]
    )
    assert "不在您的管辖范围内" in reasons[(4, "所在机构")]
    assert "教师资格证号" in reasons[(5, "教师资格")]
    assert "与第 2 行重复" in reasons[(6, "身份证号")]
    assert "离职日期不能早于入职日期" in reasons[(7, "离职日期")]
    assert not unmasked_ids(str(run.report).encode())
    assert run.error_count == 5 and not StaffMember.objects.exists()
    run.refresh_from_db()
    assert not run.file  # a file with errors must be uploaded again, fixed: not kept


def test_a_person_joining_another_institution_gets_a_record_there(cast, places, regions):
    # Records are per institution: the old job keeps its record (and its dates).
    other = InstitutionFactory(name="小店区另一家学校")
    number = id_number()
    staff = StaffFactory(institution=places.xiaodian, number=number, name="钱八",
                         employed_from=dt.date(2020, 1, 1), employed_until=dt.date(2023, 6, 30))  # fmt: skip
    run = run_staff(
        cast.xiaodian,
        xlsx([HEADER, ["钱八", number, other.credit_code, "教师", "2023-09-01", "", "", ""]]),
    )
    assert run.updated_count == 0 and run.created_count == 1
    write(run)
    staff.refresh_from_db()
    assert staff.institution == places.xiaodian and staff.employed_until == dt.date(2023, 6, 30)
    joined = StaffMember.objects.get(institution=other)
    assert joined.employed_from == dt.date(2023, 9, 1) and joined.id_hash == staff.id_hash


def test_a_person_employed_outside_the_scope_is_neither_taken_over_nor_mentioned(cast, places):
    number = id_number()
    theirs = StaffFactory(institution=places.pingcheng, number=number)
    run = run_staff(
        cast.xiaodian,
        xlsx([HEADER, ["孙九", number, places.xiaodian.credit_code, "", "", "", "", ""]]),
    )
    assert (run.created_count, run.error_count) == (1, 0) and "平城" not in str(run.report)
    write(run)
    theirs.refresh_from_db()
    assert theirs.institution == places.pingcheng and StaffMember.objects.count() == 2


def test_the_shell_command_reports_and_exits_like_import_institutions(cast, places, tmp_path):
    path = tmp_path / "人员.xlsx"
    path.write_bytes(xlsx([HEADER, *staff_rows(places.xiaodian, 2)]))
    out = io.StringIO()
    call_command("import_staff", str(path), "--dry-run", "--as", "xiaodian", stdout=out)
    assert "新增 2" in out.getvalue() and "试运行" in out.getvalue()
    assert not StaffMember.objects.exists() and not ImportRun.objects.get().file
    call_command("import_staff", str(path), "--as", "xiaodian", stdout=out)
    assert StaffMember.objects.count() == 2
    bad = tmp_path / "bad.xlsx"
    rows = staff_rows(places.xiaodian, 1)
    rows[0][1] = rows[0][1][:17]
    bad.write_bytes(xlsx([HEADER, *rows]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="有 1 行错误"):
        call_command("import_staff", str(bad), "--as", "xiaodian", stdout=out)
    assert "应为 18 位" in out.getvalue() and not unmasked_ids(out.getvalue().encode())
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_staff", str(path), "--as", "nobody")


def test_the_import_pages_preview_and_confirm(scanned, cast, places):
    scanned.force_login(cast.xiaodian)
    assert scanned.get(reverse("personnel:import")).status_code == 200
    template = scanned.get(reverse("personnel:import_template"))
    assert load_workbook(io.BytesIO(template.content)).active["B1"].value == "身份证号*"
    response = scanned.post(
        reverse("personnel:import"),
        {"file": SimpleUploadedFile("人员.xlsx", xlsx([HEADER, *staff_rows(places.xiaodian, 2)]))},
    )
    run = ImportRun.objects.get()
    assert response.url == reverse("personnel:import_run", args=[run.pk])
    page = scanned.get(response.url).content.decode()
    assert "确认导入" in page and "员工" in page
    scanned.post(reverse("personnel:import_run_confirm", args=[run.pk]))
    assert StaffMember.objects.count() == 2
    assert "导入完成" in scanned.get(response.url).content.decode()
    # Another officer does not see the run; city staff may not import staff.
    scanned.force_login(cast.pingcheng)
    assert scanned.get(response.url).status_code == 404
    scanned.force_login(cast.taiyuan)
    assert scanned.get(reverse("personnel:import")).status_code == 403


# -- results ---------------------------------------------------------------------------

RESULT_HEADER = ["申请编号", "姓名", "身份证号", "查询日期", "查询单位", "查询编号", "查询结果",
                 "不得从业情形"]  # fmt: skip


def police():
    return UserFactory(username="police", grant=("department_user", "140000", "public_security"))


def batch_of(user, institution, n):
    from accounts.scope import Scope
    from personnel import services

    for _ in range(n):
        StaffFactory(institution=institution)
    return services.batch_create(
        actor=user, scope=Scope.for_user(user), basis="institution", institution=institution
    )


def test_public_security_imports_results_and_two_findings_open_two_dismissals(cast, places):
    batch = batch_of(cast.xiaodian, places.xiaodian, 4)
    checks = list(batch.checks.order_by("id"))
    rows = [
        [c.number, c.staff.name, c.staff.id_masked, "2023-11-20", "小店分局", f"XD{c.pk}",
         "有犯罪记录" if i < 2 else "无犯罪记录", ["吸毒、贩毒", "性侵害"][i] if i < 2 else ""]
        for i, c in enumerate(checks)
    ]  # fmt: skip
    officer = police()
    run = imports.run_create(actor=officer, kind="check_results", file_name="r.xlsx",
                             data=xlsx([RESULT_HEADER, *rows]))  # fmt: skip
    run = imports.run_check(run_id=run.pk)
    assert (run.updated_count, run.error_count) == (4, 0), run.report
    write(run)
    assert BackgroundCheck.objects.filter(status="done").count() == 4
    dismissals = Dismissal.objects.order_by("id")
    assert [d.staff for d in dismissals] == [checks[0].staff, checks[1].staff]
    assert dismissals[0].check_result.category == "drugs"
    assert all(d.deadline > dt.date.today() for d in dismissals)
    assert cast.xiaodian.notifications.count() == 2


def test_result_rows_that_do_not_fit_are_refused_and_nothing_is_written(cast, places):
    batch = batch_of(cast.xiaodian, places.xiaodian, 2)
    first, second = batch.checks.order_by("id")
    rows = [
        [first.number, first.staff.name, first.staff.id_masked, "2023-11-20", "", "A1", "有犯罪记录", ""],
        [second.number, "别人", "", "2023-11-20", "", "A2", "无犯罪记录", ""],
        ["C999999", "", "", "2023-11-20", "", "A3", "无犯罪记录", ""],
    ]  # fmt: skip
    run = imports.run_create(actor=police(), kind="check_results", file_name="r.xlsx",
                             data=xlsx([RESULT_HEADER, *rows]))  # fmt: skip
    run = imports.run_check(run_id=run.pk)
    reasons = [e["reason"] for e in run.report["errors"]]
    assert any("不得从业情形" in r for r in reasons)
    assert any("姓名与申请编号对应的人员不符" in r for r in reasons)
    assert any("找不到该申请编号" in r for r in reasons)
    assert not BackgroundCheck.objects.filter(status="done").exists()


def test_unconfirmed_uploads_lose_their_file_after_a_day(cast, places):
    from django.utils import timezone

    from tabular import runs

    old = run_staff(cast.xiaodian, xlsx([HEADER, *staff_rows(places.xiaodian, 2)]))
    fresh = run_staff(cast.xiaodian, xlsx([HEADER, *staff_rows(places.xiaodian, 2, start=5)]))
    confirmed = run_staff(cast.xiaodian, xlsx([HEADER, *staff_rows(places.xiaodian, 1, start=9)]))
    assert runs.import_run_confirm(run=confirmed, actor=cast.xiaodian)  # being written
    day_ago = timezone.now() - dt.timedelta(hours=25)
    ImportRun.objects.filter(pk__in=[old.pk, confirmed.pk]).update(created_at=day_ago)
    assert old.status == "checked" and old.file
    old_name, storage = old.file.name, old.file.storage
    out = io.StringIO()
    call_command("purge_staff_uploads", stdout=out)
    assert "1" in out.getvalue()
    old.refresh_from_db()
    assert not old.file and not storage.exists(old_name)
    assert old.status == "failed" and "未确认" in old.message and old.file_name == "人员.xlsx"
    for run in (fresh, confirmed):
        run.refresh_from_db()
        assert run.file and storage.exists(run.file.name)
    # It cannot be confirmed any more, and a second pass finds nothing.
    assert not runs.import_run_confirm(run=old, actor=cast.xiaodian)
    assert imports.purge_stale_staff_uploads() == 0
    assert imports.purge_stale_staff_uploads(older_than=dt.timedelta(0)) == 1  # fresh now
    confirmed.refresh_from_db()
    assert confirmed.file and confirmed.status == "writing"


def test_the_hourly_clock_task_purges_stale_uploads(cast, places):
    from django.utils import timezone

    from clock.tasks import purge_uploads

    old = run_staff(cast.xiaodian, xlsx([HEADER, *staff_rows(places.xiaodian, 2)]))
    ImportRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert purge_uploads.apply().get() == 1
    old.refresh_from_db()
    assert not old.file and old.status == "failed"
