"""账号导入: the account import on the one import flow (tabular), from the admin's side."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import AuditEvent, User
from accounts.scope import Scope
from onboarding import passwords
from tabular.models import ImportRun
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "用户名", "手机号", "地区代码", "角色", "部门"]


def xlsx(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def people(n, *, region="140105", role="县级检查人员", start=1):
    return [
        [f"测试人员{i}", f"officer{i:03d}", f"1380000{i:04d}", region, role, "教育"]
        for i in range(start, start + n)
    ]


def upload(client, rows=None, *, data=None, name="账号.xlsx"):
    data = data if data is not None else xlsx(rows)
    response = client.post(reverse("onboarding:import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.filter(kind="accounts").order_by("-pk").first()


def confirm(client, run):
    client.post(reverse("onboarding:import_run_confirm", args=[run.pk]))
    run.refresh_from_db()
    return run


def errors_of(run):
    return [(e["row"], e["column"], e["reason"]) for e in run.report["errors"]]


@pytest.fixture
def city_admin(regions):
    return UserFactory(username="taiyuan_admin", grant=("admin", "140100"))


# -- row errors -----------------------------------------------------------------------------


def test_it_names_the_row_column_and_reason_of_every_bad_row(client, cast):
    client.force_login(cast.admin)
    run = upload(
        client,
        [
            ["正常人员", "good01", "13800000001", "140105", "县级检查人员", "教育"],
            ["未知地区", "bad02", "", "149999", "县级检查人员", "教育"],
            ["格式不对", "bad03", "", "14010", "县级检查人员", "教育"],
            ["层级不对", "bad04", "", "140100", "县级检查人员", "教育"],
            ["重复用户", "GOOD01", "", "140105", "县级检查人员", "教育"],
            ["已被占用", "xiaodian", "", "140106", "县级检查人员", "教育"],
            ["手机不对", "bad07", "12345", "140105", "县级检查人员", "教育"],
            ["张\x7f三", "bad08", "", "140105", "县级检查人员", "教育"],
            ["长" * 65, "bad09", "", "140105", "县级检查人员", "教育"],
            ["未知角色", "bad10", "", "140105", "校长", "教育"],
            ["用户名坏", "张 三", "", "140105", "县级检查人员", "教育"],
            ["", "bad12", "", "140105", "县级检查人员", "教育"],
            ["未知部门", "bad13", "", "140105", "county_officer", "财政"],
            ["超长单元格", "bad14", "1" * 10_000, "140105", "县级检查人员", "教育"],
        ],
    )
    errors = errors_of(run)
    assert run.status == "checked" and run.error_count == 13 and run.created_count == 1

    def reason(row):
        found = [(column, text) for r, column, text in errors if r == row]
        assert len(found) == 1, (row, errors)
        return found[0]

    assert reason(3) == ("地区代码（D列）", "行政区划代码“149999”不存在")
    assert "应为 6 位行政区划代码" in reason(4)[1]
    assert reason(5)[0] == "地区代码（D列）" and "只能授予在县（市、区）级地区上" in reason(5)[1]
    assert reason(6) == ("用户名（B列）", "与第 2 行重复")
    assert reason(7)[0] == "用户名（B列）" and "账号“xiaodian”已存在" in reason(7)[1]
    assert "到该账号的页面修改" in reason(7)[1]
    assert reason(8)[0] == "手机号（C列）" and "应为 11 位手机号码" in reason(8)[1]
    assert reason(9)[0] == "姓名（A列）" and "控制字符" in reason(9)[1]
    assert reason(10) == ("姓名（A列）", "超过 64 个字")
    assert reason(11)[0] == "角色（E列）" and "“校长”不是有效的角色" in reason(11)[1]
    assert reason(12)[0] == "用户名（B列）" and "只能包含字母、数字" in reason(12)[1]
    assert reason(13) == ("姓名（A列）", "必填项为空")
    assert reason(14)[0] == "部门（F列）" and "“财政”不是有效的部门" in reason(14)[1]
    column, text = reason(15)
    assert column == "手机号（C列）" and "内容过长" in text and "1" * 50 not in text
    # The preview page shows them; nothing was written and confirming is refused.
    page = client.get(reverse("onboarding:import_run", args=[run.pk])).content.decode()
    assert "行政区划代码“149999”不存在" in page and "确认导入" not in page
    assert not User.objects.filter(username="good01").exists()
    assert confirm(client, run).status == "checked"
    assert not User.objects.filter(username="good01").exists()


def test_a_nul_in_the_file_is_refused_at_upload_and_nothing_is_kept(client, cast):
    # An .xlsx cannot hold a NUL; a .csv with one is refused as not being text at all.
    client.force_login(cast.admin)
    data = (
        "姓名,用户名,手机号,地区代码,角色,部门\n李\x00四,li04,,140105,县级检查人员,教育\n".encode()
    )
    response = client.post(
        reverse("onboarding:import"), {"file": SimpleUploadedFile("账号.csv", data)}
    )
    assert response.status_code == 400 and "不支持的文件类型" in response.content.decode()
    assert not ImportRun.objects.exists() and not User.objects.filter(username="li04").exists()


def test_codes_are_accepted_for_role_and_department_and_excel_numbers_are_read(client, cast):
    client.force_login(cast.admin)
    run = upload(client, [["王五", "wangwu", 13900000001, 140105, "county_officer", "fire"]])
    assert run.error_count == 0 and run.created_count == 1
    confirm(client, run)
    user = User.objects.get(username="wangwu")
    assert user.phone == "13900000001" and user.region_id == "140105"
    scope = Scope.held_by(user)
    assert scope.departments("inspections.change") == frozenset({"fire"})


# -- delegation -----------------------------------------------------------------------------


def test_a_city_admin_may_not_grant_beyond_its_city_nor_give_admin_roles(client, city_admin):
    client.force_login(city_admin)
    run = upload(
        client,
        [
            ["县里的人", "ok01", "", "140105", "县级检查人员", "教育"],
            ["省里的人", "prov01", "", "140000", "省级工作人员", "教育"],
            ["大同的人", "dt01", "", "140213", "县级检查人员", "教育"],
            ["市管理员", "adm01", "", "140100", "系统管理员", "教育"],
            ["审计员", "aud01", "", "140100", "审计员", "教育"],
        ],
    )
    errors = {row: text for row, _c, text in errors_of(run)}
    assert set(errors) == {3, 4, 5, 6}
    assert "“山西省”不在您管理的地区内" in errors[3]
    assert "不在您管理的地区内" in errors[4]
    assert "“系统管理员”角色只能由省级系统管理员授予" in errors[5]
    assert "“审计员”角色只能由省级系统管理员授予" in errors[6]


def test_the_province_admin_opens_a_city_admin(client, cast):
    client.force_login(cast.admin)
    run = confirm(
        client, upload(client, [["市管理员", "ty_admin", "", "140100", "系统管理员", ""]])
    )
    assert run.status == "done"
    user = User.objects.get(username="ty_admin")
    assert user.must_change_password and Scope.held_by(user).holds_at("accounts.manage", "140100")
    event = AuditEvent.objects.get(kind="user_created", object_id=str(user.pk))
    assert event.actor == cast.admin and event.detail["department"] == "education"


# -- all or nothing, re-import ----------------------------------------------------------------


def test_a_username_taken_between_check_and_confirm_writes_nothing(client, cast):
    client.force_login(cast.admin)
    run = upload(client, people(3))
    assert run.created_count == 3 and run.error_count == 0
    UserFactory(username="officer002", grant=("county_officer", "140106"))
    run = confirm(client, run)
    assert run.status == "failed" and "未写入任何数据" in run.message
    assert not User.objects.filter(username__in=["officer001", "officer003"]).exists()
    assert not run.file  # the sheet (phones) is gone with the failed run


def test_the_same_file_imported_again_changes_nothing(client, cast):
    client.force_login(cast.admin)
    data = xlsx(people(3))
    run = confirm(client, upload(client, data=data))
    assert (run.status, run.created_count) == ("done", 3)
    before = list(User.objects.order_by("pk").values_list("pk", "password"))
    again = upload(client, data=data)
    assert (again.created_count, again.unchanged_count, again.error_count) == (0, 3, 0)
    again = confirm(client, again)
    assert again.status == "done" and "passwords" not in again.report
    assert list(User.objects.order_by("pk").values_list("pk", "password")) == before
    page = client.get(reverse("onboarding:import_run", args=[again.pk])).content.decode()
    assert 'data-testid="download-passwords"' not in page


def test_an_existing_username_with_another_grant_is_an_error(client, cast):
    client.force_login(cast.admin)
    confirm(client, upload(client, people(1)))
    run = upload(client, people(1, region="140106"))
    assert errors_of(run)[0][:2] == (2, "用户名（B列）")
    assert "已存在" in errors_of(run)[0][2]


# -- the passwords sheet --------------------------------------------------------------------


def read_sheet(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_passwords_sheet_downloads_once_and_the_passwords_work(client, cast):
    client.force_login(cast.admin)
    run = confirm(client, upload(client, people(2)))
    url = reverse("onboarding:import_passwords", args=[run.pk])
    page = client.get(reverse("onboarding:import_run", args=[run.pk])).content.decode()
    assert 'data-testid="download-passwords"' in page

    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # Shown once: no browser or proxy may keep a copy of it.
    assert "no-store" in response["Cache-Control"]
    rows = read_sheet(response.content)
    header = rows.index(["姓名", "用户名", "初始密码", "地区", "角色"])
    sheet = {r[1]: r for r in rows[header + 1 :]}
    assert set(sheet) == {"officer001", "officer002"}
    assert sheet["officer001"][3] == "小店区" and sheet["officer001"][4] == "县级检查人员"
    for username, (_n, _u, password, *_rest) in sheet.items():
        user = User.objects.get(username=username)
        assert user.check_password(password) and user.must_change_password

    again = client.post(url, follow=True)
    assert "初始密码表只能下载一次" in again.content.decode()
    assert again.redirect_chain[-1][0] == reverse("onboarding:import_run", args=[run.pk])
    run.refresh_from_db()
    assert "passwords" not in run.report
    assert AuditEvent.objects.filter(kind="export", object_id=str(run.pk)).count() == 1


def test_no_password_is_kept_in_clear_anywhere_in_the_database(client, cast):
    client.force_login(cast.admin)
    run = confirm(client, upload(client, people(2)))
    token = run.report["passwords"]
    clear = json.loads(passwords.crypto.decrypt_id(token))
    with connection.cursor() as cursor:
        for row in clear:
            cursor.execute(
                "SELECT count(*) FROM institutions_importrun WHERE report::text LIKE %s",
                [f"%{row['password']}%"],
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute(
                "SELECT count(*) FROM accounts_auditevent WHERE detail::text LIKE %s",
                [f"%{row['password']}%"],
            )
            assert cursor.fetchone()[0] == 0
            assert row["password"] not in User.objects.get(username=row["username"]).password
    # The run's history leaves the report out altogether.
    assert all("report" not in h.__dict__ for h in run.history.all())


def test_the_sheet_is_refused_and_wiped_after_24_hours(client, cast):
    client.force_login(cast.admin)
    run = confirm(client, upload(client, people(1)))
    later = timezone.now() + dt.timedelta(hours=25)
    with pytest.raises(ValidationError, match="超过 24 小时"):
        passwords.password_sheet_take(run=run, actor=cast.admin, now=later)
    run.refresh_from_db()
    assert "passwords" not in run.report


def test_the_hourly_purge_wipes_only_expired_sheets(client, cast):
    client.force_login(cast.admin)
    old = confirm(client, upload(client, people(1)))
    new = confirm(client, upload(client, people(1, start=5)))
    old.report[passwords.UNTIL] = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    old.save(update_fields=["report"])
    assert passwords.password_sheets_purge() == 1
    old.refresh_from_db(), new.refresh_from_db()
    assert "passwords" not in old.report and "passwords" in new.report


# -- who may ----------------------------------------------------------------------------------


def test_a_county_officer_is_refused_every_page(client, cast):
    client.force_login(cast.admin)
    run = upload(client, people(1))
    client.force_login(cast.xiaodian)
    assert client.get(reverse("onboarding:import")).status_code == 403
    data = SimpleUploadedFile("a.xlsx", xlsx(people(1, start=7)))
    assert client.post(reverse("onboarding:import"), {"file": data}).status_code == 403
    assert client.get(reverse("onboarding:import_template")).status_code == 403
    assert client.get(reverse("onboarding:import_run", args=[run.pk])).status_code == 403
    assert client.get(reverse("onboarding:import_run_errors", args=[run.pk])).status_code == 403
    confirm_url = reverse("onboarding:import_run_confirm", args=[run.pk])
    assert client.post(confirm_url).status_code == 403
    passwords_url = reverse("onboarding:import_passwords", args=[run.pk])
    assert client.post(passwords_url).status_code == 403
    run.refresh_from_db()
    assert run.status == "checked" and ImportRun.objects.count() == 1
    assert not User.objects.filter(username="officer001").exists()


def test_another_admins_run_is_missing(client, cast, city_admin):
    client.force_login(cast.admin)
    run = confirm(client, upload(client, people(1)))
    pending = upload(client, people(1, start=3))
    client.force_login(city_admin)
    for name in ("import_run", "import_run_errors"):
        assert client.get(reverse(f"onboarding:{name}", args=[run.pk])).status_code == 404
    assert (
        client.post(reverse("onboarding:import_run_confirm", args=[pending.pk])).status_code == 404
    )
    assert client.post(reverse("onboarding:import_passwords", args=[run.pk])).status_code == 404
    run.refresh_from_db(), pending.refresh_from_db()
    assert "passwords" in run.report and pending.status == "checked"
    assert not User.objects.filter(username="officer003").exists()


def test_the_template_sheet_has_the_header_and_a_sample_row(client, cast):
    client.force_login(cast.admin)
    response = client.get(reverse("onboarding:import_template"))
    rows = read_sheet(response.content)
    assert rows[0] == ["姓名*", "用户名*", "手机号", "地区代码*", "角色*", "部门"]
    assert rows[1][4] == "县级检查人员"
    # The sample row itself imports cleanly.
    run = upload(client, data=response.content)
    assert (run.error_count, run.created_count) == (0, 1)


def test_the_account_list_offers_the_import(client, cast):
    client.force_login(cast.admin)
    page = client.get(reverse("onboarding:users")).content.decode()
    assert reverse("onboarding:import") in page


# -- bad input ----------------------------------------------------------------------------


def test_bad_uploads_say_why_and_write_nothing(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("onboarding:import"))
    assert response.status_code == 400 and "请选择要上传的文件" in response.content.decode()
    junk = SimpleUploadedFile("账号.xlsx", b"\x00\x01not a spreadsheet" * 100)
    response = client.post(reverse("onboarding:import"), {"file": junk})
    assert response.status_code == 400
    run = upload(client, data=xlsx([["x", "y"]], header=["名字", "别的"]))
    assert run.status == "failed" and "没有找到表头" in run.message
    assert not run.file
    run = upload(client, data=xlsx([["张三", "zs"]], header=["姓名", "用户名"]))
    assert run.status == "failed" and "缺少必填列" in run.message
    assert User.objects.count() == 7  # the cast only


# -- written by a Celery worker -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sheet_written_by_the_worker_hands_its_passwords_to_the_web(client, cast):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from tests.institutions.test_import_worker import wait_for

    client.force_login(cast.admin)
    run = upload(client, people(45))  # above the spec's 40 rows written in the request
    assert (run.status, run.created_count) == ("checked", 45)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        client.post(reverse("onboarding:import_run_confirm", args=[run.pk]))
        run = wait_for(run.pk, "done", seconds=60)
    assert User.objects.filter(username__startswith="officer").count() == 45
    response = client.post(reverse("onboarding:import_passwords", args=[run.pk]))
    rows = read_sheet(response.content)
    first = next(r for r in rows if r[1] == "officer001")
    assert User.objects.get(username="officer001").check_password(first[2])
    run.refresh_from_db()
    assert not run.file  # the sheet with the phones went when the write was done


def test_a_department_user_must_name_a_department_other_than_education(client, cast):
    client.force_login(cast.admin)
    run = upload(
        client,
        [
            ["部门留空", "dept01", "", "140105", "部门用户", ""],
            ["教育部门", "dept02", "", "140105", "部门用户", "教育"],
            ["消防", "dept03", "", "140105", "部门用户", "消防救援"],
        ],
    )
    errors = {row: text for row, _c, text in errors_of(run)}
    assert set(errors) == {2, 3}
    for row in (2, 3):
        assert "部门用户须选择教育以外的部门" in errors[row]
    assert not User.objects.filter(username__startswith="dept").exists()
