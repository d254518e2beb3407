"""The register pages: list, detail, create / edit institutions, add / edit / delete sites."""

import random
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from playwright.sync_api import expect

from core.models import Region
from institutions import services
from institutions.models import Institution, Site
from institutions.selectors import institution_history
from ops.demo.institutions import credit_code
from tests.accounts.test_browser import log_in
from tests.conftest import same_page
from tests.factories import InstitutionFactory, UserFactory

_rng = random.Random(303)


def new_code(county="140105"):
    return credit_code(_rng, county)


def full_width(text: str) -> str:
    """How a code looks typed with a Chinese IME: ＡＢ１２ instead of AB12."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in text)


def form_data(**overrides):
    data = {
        "name": "小店区星火街舞培训中心",
        "credit_code": new_code(),
        "county": "140105",
        "category": "non_subject",
        "sector": "culture_art",
        "is_risky": "on",
        "permit_number": "教民140105700012号",
        "mode": "offline",
        "address": "小店区长治路 88 号",
        "legal_representative": "王丽",
        "phone": "0351-7654321",
        "floor_area": "320.50",
        "capacity": "120",
        "status": "operating",
        "platform_number": "P1401050001",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def create(actor, **fields):
    defaults = {
        "name": "小店区智慧编程培训中心",
        "credit_code": new_code(),
        "county": Region.objects.get(code="140105"),
        "category": "non_subject",
        "sector": "science",
    }
    return services.institution_create(actor=actor, **{**defaults, **fields})


# -- services ------------------------------------------------------------------------------


def test_create_normalises_the_credit_code_and_records_the_actor(cast):
    code = new_code()
    typed = full_width(code[:9].lower()) + "\u3000" + code[9:].lower() + " "
    institution = create(cast.xiaodian, credit_code=typed)
    assert institution.credit_code == code
    record = institution.history.get()
    assert (record.history_type, record.history_user) == ("+", cast.xiaodian)


def test_create_clears_the_sector_of_subject_training(cast):
    institution = create(cast.xiaodian, category="subject", sector="sports")
    assert institution.sector == ""
    assert institution.supervising_department == "education"


def test_create_requires_a_sector_for_non_subject_training(cast):
    with pytest.raises(ValidationError) as caught:
        create(cast.xiaodian, sector="")
    assert caught.value.message_dict["sector"] == ["非学科类机构须选择行业"]
    assert not Institution.objects.exists()


def test_create_rejects_a_bad_checksum_in_chinese(cast):
    code = new_code()
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        create(cast.xiaodian, credit_code=broken)
    assert "校验位不正确" in caught.value.message_dict["credit_code"][0]
    assert not Institution.objects.exists()


def test_create_rejects_a_code_already_registered_even_typed_differently(cast, places):
    taken = places.pingcheng.credit_code  # registered in another county, out of scope
    with pytest.raises(ValidationError) as caught:
        create(cast.xiaodian, credit_code=full_width(taken.lower()))
    message = caught.value.message_dict["credit_code"][0]
    assert message == f"统一社会信用代码 {taken} 已登记，不能重复登记"
    # The holder lies outside 小店区: its name must not leak.
    assert places.pingcheng.name not in message
    assert Institution.objects.count() == 3


def test_create_refuses_a_county_outside_the_actors_scope(cast):
    with pytest.raises(ValidationError) as caught:
        create(cast.xiaodian, county=Region.objects.get(code="140213"))
    assert caught.value.message_dict["county"] == ["所选县区不在您的管辖范围内"]
    assert not Institution.objects.exists()


def test_admin_may_register_in_any_county_of_the_province(cast):
    institution = create(cast.admin, county=Region.objects.get(code="140213"))
    assert institution.county_id == "140213"


def test_a_sector_departments_officer_registers_only_their_trade(regions):
    sports = UserFactory(grant=("county_officer", "140105", "sports"))
    with pytest.raises(ValidationError) as caught:
        create(sports, sector="culture_art")
    assert caught.value.message_dict["sector"] == ["所选行业不在您的管辖范围内"]
    assert create(sports, sector="sports").sector == "sports"


def test_update_writes_history_only_when_something_changed(cast, places):
    institution = places.xiaodian
    before = institution.history.count()
    services.institution_update(institution=institution, actor=cast.xiaodian, address="坞城路 1 号")
    services.institution_update(institution=institution, actor=cast.xiaodian, address="坞城路 1 号")
    assert institution.address == "坞城路 1 号"
    assert institution.history.count() == before + 1
    assert institution.history.first().history_user == cast.xiaodian


def test_refused_update_leaves_row_and_callers_copy_unchanged(cast, places):
    institution = places.xiaodian
    with pytest.raises(ValidationError):
        services.institution_update(
            institution=institution, actor=cast.xiaodian, county=Region.objects.get(code="140213")
        )
    assert institution.county_id == "140105"
    institution.refresh_from_db()
    assert institution.county_id == "140105"


def test_update_outside_the_scope_is_refused_by_the_service_too(cast, places):
    with pytest.raises(PermissionDenied):
        services.institution_update(institution=places.pingcheng, actor=cast.xiaodian, name="x")
    with pytest.raises(PermissionDenied):
        services.site_create(
            institution=places.pingcheng, actor=cast.xiaodian, name="x", address="y"
        )
    places.pingcheng.refresh_from_db()
    assert places.pingcheng.name == "平城区启明美术培训学校"
    assert not Site.objects.exists()


def test_sites_are_added_changed_and_removed_with_history(cast, places):
    site = services.site_create(
        institution=places.xiaodian, actor=cast.xiaodian, name=" 主校区 ", address="长治路 1 号"
    )
    assert site.name == "主校区"
    site_id = site.id
    services.site_update(site=site, actor=cast.xiaodian, address="长治路 2 号")
    services.site_delete(site=site, actor=cast.xiaodian)
    assert not Site.objects.exists()
    records = Site.history.filter(id=site_id).order_by("history_date")
    assert [(r.history_type, r.history_user) for r in records] == [
        ("+", cast.xiaodian),
        ("~", cast.xiaodian),
        ("-", cast.xiaodian),
    ]


def test_site_needs_a_name_and_address(cast, places):
    with pytest.raises(ValidationError) as caught:
        services.site_create(institution=places.xiaodian, actor=cast.xiaodian, name="", address="")
    assert set(caught.value.message_dict) == {"name", "address"}
    assert not Site.objects.exists()


def test_history_reads_in_chinese_newest_first(cast, places):
    institution = places.xiaodian
    services.institution_update(
        institution=institution, actor=cast.xiaodian, status="suspended", sector="sports"
    )
    services.site_create(institution=institution, actor=cast.xiaodian, name="二校区", address="x")
    newest, change, created = institution_history(institution=institution)
    assert (newest.action, newest.subject, newest.who) == (
        "新增",
        "培训场所“二校区”",
        str(cast.xiaodian),
    )
    assert (change.action, change.subject) == ("修改", "机构信息")
    assert [(c.label, c.old, c.new) for c in change.changes] == [
        ("行业", "文化艺术", "体育"),
        ("经营状态", "正常", "停业"),
    ]
    assert (created.action, created.who) == ("新增", "系统")


# -- list page -----------------------------------------------------------------------------


def list_page(client, query=""):
    response = client.get(reverse("institutions:list") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_list_filters_by_status_category_sector_risk_and_permit(client, cast, places):
    closed = InstitutionFactory(
        name="小店区已注销游泳俱乐部", status="closed", sector="sports", is_risky=True
    )
    InstitutionFactory(name="小店区英语学科培训学校", category="subject", sector="")
    permitted = InstitutionFactory(name="小店区有证书法学校", permit_number="教民1401057000号")
    client.force_login(cast.xiaodian)
    assert closed.name in list_page(client, "?status=closed")
    assert places.xiaodian.name not in list_page(client, "?status=closed")
    page = list_page(client, "?category=subject")
    assert "小店区英语学科培训学校" in page and closed.name not in page
    page = list_page(client, "?sector=sports&risky=true")
    assert closed.name in page and places.xiaodian.name not in page
    page = list_page(client, "?risky=false")
    assert closed.name not in page and permitted.name in page
    page = list_page(client, "?q=教民1401057000号")
    assert permitted.name in page and closed.name not in page


def test_list_table_shows_status_and_permit_number(client, cast, places):
    InstitutionFactory(name="小店区停业舞蹈学校", status="suspended", permit_number="教民9号")
    client.force_login(cast.xiaodian)
    page = list_page(client)
    assert "<th>办学许可证号</th>" in page and "<th>经营状态</th>" in page
    assert "教民9号" in page and "停业" in page


def test_pagination_links_keep_the_filters(client, cast, regions):
    InstitutionFactory.create_batch(60, status="suspended")
    client.force_login(cast.xiaodian)
    page = list_page(client, "?status=suspended&q=培训")
    assert 'href="?status=suspended&amp;q=%E5%9F%B9%E8%AE%AD&amp;page=2"' in page
    page = list_page(client, "?status=suspended&q=培训&page=2")
    assert "第 2 / 2 页" in page
    assert 'href="?status=suspended&amp;q=%E5%9F%B9%E8%AE%AD&amp;page=1"' in page


def test_list_runs_the_same_number_of_queries_for_5_and_60_rows(client, cast, regions):
    client.force_login(cast.province)
    query = "?region=140100&risky=false&status=operating"

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            list_page(client, query)
        return len(queries)

    InstitutionFactory.create_batch(5)
    with_five = count_queries()
    InstitutionFactory.create_batch(55)
    assert count_queries() == with_five
    # Session, user, grants, the user's open spot-check assignments, the region filter,
    # count, page, region menu, the bell's unread count; session save (3).
    assert with_five <= 12


def test_new_institution_button_shows_only_to_who_may_change(client, cast, places):
    client.force_login(cast.xiaodian)
    assert 'data-testid="institution-create"' in list_page(client)
    client.force_login(cast.province)
    page = list_page(client)
    assert 'id="list-actions"' in page and 'data-testid="institution-create"' not in page


# -- detail page ---------------------------------------------------------------------------


def test_detail_shows_the_whole_register_sites_and_empty_sections(client, cast, regions):
    institution = create(
        cast.xiaodian,
        sector="sports",
        permit_number="教民140105700099号",
        mode="online",
        address="小店区坞城路 5 号",
        legal_representative="赵强",
        phone="13800000000",
        floor_area="88.50",
        capacity=40,
        status="suspended",
        platform_number="PT-0099",
    )
    Site.objects.create(institution=institution, name="南校区", address="小店区学府街 9 号")
    client.force_login(cast.xiaodian)
    page = client.get(reverse("institutions:detail", args=[institution.pk])).content.decode()
    for text in (
        "教民140105700099号",
        "线上",
        "小店区坞城路 5 号",
        "赵强",
        "13800000000",
        "88.50",
        "40",
        "停业",
        "PT-0099",
        "南校区",
        "小店区学府街 9 号",
    ):
        assert text in page, text
    assert re.search(r'data-testid="supervising-department">体育<', page)
    for heading in ("检查记录", "从业人员", "收费", "投诉", "变更记录"):
        assert f">{heading}</h2>" in page
    # The staff section shows its vetting compliance panel instead.
    assert page.count("尚无记录") == 3
    assert 'data-testid="institution-edit"' in page


def test_detail_hides_the_write_buttons_from_readers(client, cast, places):
    client.force_login(cast.province)
    page = client.get(reverse("institutions:detail", args=[places.xiaodian.pk])).content.decode()
    assert "institution-edit" not in page and "site-create" not in page


def test_detail_runs_a_constant_number_of_queries(client, cast, places):
    client.force_login(cast.xiaodian)
    url = reverse("institutions:detail", args=[places.xiaodian.pk])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    first = count_queries()
    for n in range(5):
        services.site_create(
            institution=places.xiaodian, actor=cast.xiaodian, name=f"场所{n}", address="x"
        )
        services.institution_update(
            institution=places.xiaodian, actor=cast.xiaodian, address=f"地址{n}"
        )
    assert count_queries() == first


# -- create and edit pages -----------------------------------------------------------------


def test_county_officer_registers_an_institution_through_the_page(client, cast):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("institutions:create")).content.decode()
    # Their one county is offered, and already chosen.
    assert re.findall(r'<option value="(\d{6})"', page) == ["140105"]
    assert '<option value="140105" selected>' in page
    data = form_data(credit_code=" " + full_width(new_code()).lower())
    response = client.post(reverse("institutions:create"), data)
    institution = Institution.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("institutions:detail", args=[institution.pk])
    assert (institution.county_id, institution.capacity, institution.is_risky) == (
        "140105",
        120,
        True,
    )
    assert institution.history.get().history_user == cast.xiaodian


def test_admin_is_offered_every_county_of_the_province(client, cast):
    client.force_login(cast.admin)
    page = client.get(reverse("institutions:create")).content.decode()
    offered = set(re.findall(r'<option value="(\d{6})"', page))
    assert {"140105", "140213"} <= offered
    assert offered == set(Region.objects.filter(level="county").values_list("code", flat=True))


def test_forged_county_is_refused_in_chinese_and_nothing_is_written(client, cast):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("institutions:create"), form_data(county="140213"))
    assert response.status_code == 200
    assert "所选县区不在您的管辖范围内" in response.content.decode()
    assert not Institution.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"credit_code": "91140105MA0L12345X"}, "credit_code", "校验位不正确"),
        ({"name": ""}, "name", "该字段是必填项"),
        ({"sector": ""}, "sector", "非学科类机构须选择行业"),
        ({"capacity": "-3"}, "capacity", "大于或等于0"),
        ({"status": "gone"}, "status", "选择一个有效的选项"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    client, cast, overrides, field, message
):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("institutions:create"), form_data(**overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert "未保存" in page
    error = re.search(rf'data-testid="error-{field}">([^<]+)<', page)
    assert error and message in error.group(1)
    assert not Institution.objects.exists()


def test_a_bad_code_is_shown_together_with_the_forms_other_errors(client, cast):
    client.force_login(cast.xiaodian)
    data = form_data(credit_code="91140105MA0L12345X", category="")
    page = client.post(reverse("institutions:create"), data).content.decode()
    assert 'data-testid="error-credit_code"' in page and 'data-testid="error-category"' in page
    assert not Institution.objects.exists()


def test_duplicate_code_is_refused_on_the_page(client, cast, places):
    client.force_login(cast.xiaodian)
    taken = places.xiaodian.credit_code
    response = client.post(reverse("institutions:create"), form_data(credit_code=taken.lower()))
    assert f"统一社会信用代码 {taken} 已登记，不能重复登记" in response.content.decode()
    assert Institution.objects.count() == 3


def test_edit_page_saves_and_the_detail_shows_the_change(client, cast, places):
    institution = places.xiaodian
    client.force_login(cast.xiaodian)
    page = client.get(reverse("institutions:edit", args=[institution.pk])).content.decode()
    assert f'value="{institution.credit_code}"' in page
    data = form_data(
        name=institution.name,
        credit_code=institution.credit_code,
        is_risky=None,
        status="suspended",
    )
    response = client.post(reverse("institutions:edit", args=[institution.pk]), data)
    assert response.status_code == 302
    institution.refresh_from_db()
    assert (institution.status, institution.address) == ("suspended", "小店区长治路 88 号")
    detail = client.get(response["Location"]).content.decode()
    assert "已保存修改" in detail
    assert "经营状态：正常 → 停业" in detail
    assert "地址：— → 小店区长治路 88 号" in detail


def test_editing_out_of_scope_is_404_and_the_row_is_unchanged(client, cast, places):
    client.force_login(cast.xiaodian)
    url = reverse("institutions:edit", args=[places.pingcheng.pk])
    assert client.get(url).status_code == 404
    data = form_data(county="140105", name="改名", credit_code=places.pingcheng.credit_code)
    assert client.post(url, data).status_code == 404
    places.pingcheng.refresh_from_db()
    assert (places.pingcheng.name, places.pingcheng.county_id) == (
        "平城区启明美术培训学校",
        "140213",
    )
    assert places.pingcheng.history.count() == 1


def test_out_of_scope_looks_like_missing(client, cast, places):
    client.force_login(cast.xiaodian)
    foreign = client.get(reverse("institutions:edit", args=[places.pingcheng.pk]))
    missing = client.get(reverse("institutions:edit", args=[999999]))
    assert foreign.status_code == missing.status_code == 404
    assert same_page(foreign.content, missing.content, f"/{places.pingcheng.pk}/", "/999999/")
    assert "平城区" not in foreign.content.decode()


@pytest.mark.parametrize("who", ["taiyuan", "province", "auditor", "outsider"])
def test_roles_without_institutions_change_get_403_and_nothing_is_written(
    client, cast, places, who
):
    client.force_login(getattr(cast, who))
    site = Site.objects.create(institution=places.xiaodian, name="主校区", address="原地址")
    posts = [
        (reverse("institutions:create"), form_data()),
        (reverse("institutions:edit", args=[places.xiaodian.pk]), form_data(name="改名")),
        (
            reverse("institutions:site_create", args=[places.xiaodian.pk]),
            {"name": "a", "address": "b"},
        ),
        (reverse("institutions:site_edit", args=[site.pk]), {"name": "a", "address": "新地址"}),
        (reverse("institutions:site_delete", args=[site.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Institution.objects.count() == 3
    places.xiaodian.refresh_from_db()
    assert places.xiaodian.name == "小店区博雅舞蹈培训学校"
    assert list(Site.objects.values_list("name", "address")) == [("主校区", "原地址")]


# -- site pages ----------------------------------------------------------------------------


def test_sites_are_added_edited_and_deleted_through_the_pages(client, cast, places):
    client.force_login(cast.xiaodian)
    institution = places.xiaodian
    response = client.post(
        reverse("institutions:site_create", args=[institution.pk]),
        {"name": "北校区", "address": "小店区北营路 3 号", "floor_area": "150"},
    )
    assert response.status_code == 302
    site = institution.sites.get()
    response = client.post(
        reverse("institutions:site_edit", args=[site.pk]),
        {"name": "北校区", "address": "小店区北营路 5 号", "floor_area": "150"},
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.address == "小店区北营路 5 号"
    confirm = client.get(reverse("institutions:site_delete", args=[site.pk])).content.decode()
    assert "确定删除培训场所“北校区”吗" in confirm
    response = client.post(reverse("institutions:site_delete", args=[site.pk]))
    assert response["Location"] == reverse("institutions:detail", args=[institution.pk])
    assert not institution.sites.exists()
    detail = client.get(response["Location"]).content.decode()
    assert "删除 培训场所“北校区”" in detail
    assert "地址：小店区北营路 3 号 → 小店区北营路 5 号" in detail


def test_site_form_refuses_blank_address_in_chinese(client, cast, places):
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("institutions:site_create", args=[places.xiaodian.pk]), {"name": "x", "address": ""}
    )
    assert re.search(r'data-testid="error-address">该字段是必填项', response.content.decode())
    assert not Site.objects.exists()


def test_site_pages_out_of_scope_are_404_and_the_site_is_unchanged(client, cast, places):
    site = Site.objects.create(institution=places.pingcheng, name="主校区", address="原地址")
    client.force_login(cast.xiaodian)
    edit = reverse("institutions:site_edit", args=[site.pk])
    delete = reverse("institutions:site_delete", args=[site.pk])
    create_url = reverse("institutions:site_create", args=[places.pingcheng.pk])
    for url in (edit, delete, create_url):
        assert client.get(url).status_code == 404
    assert client.post(edit, {"name": "x", "address": "新地址"}).status_code == 404
    assert client.post(delete).status_code == 404
    assert client.post(create_url, {"name": "x", "address": "y"}).status_code == 404
    assert list(Site.objects.values_list("name", "address")) == [("主校区", "原地址")]


# -- in a browser, on a phone --------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_county_officer_keeps_the_register_on_a_phone(page, live_server, cast):
    code = new_code()
    log_in(page, live_server, "xiaodian")
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('institutions:list')}")
    page.get_by_role("link", name="新增机构").click()

    page.get_by_label("机构名称").fill("小店区晨光轮滑俱乐部")
    page.get_by_label("统一社会信用代码").fill(full_width(code).lower())
    page.get_by_label("类别").select_option(label="非学科类")
    page.get_by_label("行业").select_option(label="体育")
    page.get_by_label("有一定危险性").check()
    page.get_by_label("地址", exact=True).fill("小店区亲贤街 10 号")
    page.get_by_label("联系电话").fill("13912345678")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_test_id("institution-name")).to_have_text("小店区晨光轮滑俱乐部")
    expect(page.get_by_role("alert")).to_contain_text("已新增机构")
    expect(page.get_by_test_id("register")).to_contain_text(code)
    expect(page.get_by_test_id("supervising-department")).to_have_text("体育")

    page.get_by_role("link", name="新增场所").click()
    page.get_by_label("场所名称").fill("亲贤校区")
    page.get_by_label("地址").fill("小店区亲贤街 12 号")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("sites")).to_contain_text("亲贤校区")

    page.get_by_role("link", name="修改机构信息").click()
    page.get_by_label("经营状态").select_option(label="停业")
    page.get_by_label("可容纳学生数").fill("60")
    page.get_by_role("button", name="保存").click()

    history = page.get_by_test_id("history")
    expect(history).to_contain_text("经营状态：正常 → 停业")
    expect(history).to_contain_text("可容纳学生数：— → 60")
    expect(history).to_contain_text("新增 培训场所“亲贤校区”")
    expect(history.locator("li").first).to_contain_text(str(cast.xiaodian))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    institution = Institution.objects.get(credit_code=code)
    assert (institution.status, institution.capacity) == ("suspended", 60)
