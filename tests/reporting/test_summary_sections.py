"""Summaries go to the province education department, and a city's other departments add
their own parts (issue #18 item 5).

The notice: "各市教育行政部门要协调相关部门汇总梳理专项行动工作总结，于12月20日前报送省教育厅".
Only province education staff return or accept a summary (province staff of the other
departments read it); a city's fire, public security, sports, culture & tourism and science
departments each write their part while the summary is a draft or returned; a submission
freezes the parts; the page, the Word and PDF files and the API show them.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from accounts.models import AuditEvent, Notification
from accounts.scope import scope_for
from core.models import Region
from reporting import documents_summary as documents
from reporting import services_summary as services
from reporting.models import CitySummary, SummaryEvent, SummarySection, SummarySubmission
from tests.factories import UserFactory
from tests.reporting import test_summary
from tests.reporting.test_summary import _docx_text, _url, review, save, submit
from tests.reporting.test_summary_documents import pdf_page_texts

# The summary tests' fixtures, shared under the same names.
campaign, taiyuan_city = test_summary.campaign, test_summary.taiyuan_city

FIRE_TEXT = "市消防救援支队会同教育部门联合抽查培训机构，当场整改堵塞的安全出口。"
POLICE_TEXT = "市公安局完成从业人员犯罪记录查询反馈。"


@pytest.fixture
def people(cast):
    return {
        "fire": UserFactory(username="fire_ty", grant=("department_user", "140100", "fire")),
        "police": UserFactory(
            username="police_ty", grant=("department_user", "140100", "public_security")
        ),
        "fire_datong": UserFactory(grant=("department_user", "140200", "fire")),
        "fire_county": UserFactory(grant=("department_user", "140105", "fire")),
        "fire_province": UserFactory(grant=("department_user", "140000", "fire")),
        "province_sports": UserFactory(
            username="prov_sports", grant=("province_staff", "140000", "sports")
        ),
    }


@pytest.fixture
def draft(cast, campaign, taiyuan_city):
    """太原市's summary, begun by its education bureau."""
    return save(cast.taiyuan, campaign, taiyuan_city)


def write(user, campaign, city, text=FIRE_TEXT, department="fire", version=None):
    section = SummarySection.objects.filter(summary__city=city, department=department).first()
    return services.section_save(
        campaign=campaign, city=city, department=department, actor=user, scope=scope_for(user),
        text=text, version=version if version is not None else (section.version if section else 0),
    )  # fmt: skip


def _state():
    """Everything a refused write must leave as it was."""
    return (
        list(SummarySection.objects.values("department", "text", "version")),
        list(CitySummary.objects.values("status", "version", "revision")),
        SummaryEvent.objects.count(),
        AuditEvent.objects.filter(kind=AuditEvent.Kind.SUMMARY).count(),
        SummarySection.history.count(),
    )


# -- the scope -------------------------------------------------------------------------------


def test_the_scope_says_who_receives_summaries_and_who_writes_which_part(cast, people):
    assert scope_for(cast.province).receives_summary("140100")
    assert not scope_for(people["province_sports"]).receives_summary("140100")
    assert scope_for(people["province_sports"]).can("summary.view")  # they still read them
    assert not scope_for(cast.taiyuan).receives_summary("140100")
    assert scope_for(people["fire"]).summary_section_departments("140100") == {"fire"}
    assert scope_for(people["fire"]).summary_section_departments("140200") == frozenset()
    for name in ("fire_datong", "fire_county", "fire_province"):
        assert scope_for(people[name]).summary_section_departments("140100") == frozenset()
    assert scope_for(cast.taiyuan).summary_section_departments("140100") == frozenset()


# -- receiving: province education only ------------------------------------------------------


def test_a_province_sports_user_cannot_accept_or_return_and_province_education_can(
    client, cast, people, campaign, taiyuan_city, draft
):
    submit(cast.taiyuan, campaign, taiyuan_city)
    # Only the receiving department is told of the submission.
    assert Notification.objects.filter(user=cast.province, kind="summary").count() == 1
    assert not Notification.objects.filter(user=people["province_sports"]).exists()
    before = _state()
    for accept in (True, False):
        with pytest.raises(PermissionDenied):
            review(people["province_sports"], campaign, taiyuan_city, accept=accept, comment="意见")
    client.force_login(people["province_sports"])
    page = client.get(_url("detail", campaign)).content.decode()
    assert "太原市" in page and 'data-testid="review-form"' not in page
    response = client.post(_url("review", campaign), {"decision": "accept", "revision": 1})
    assert response.status_code == 403
    assert _state() == before
    client.force_login(cast.province)
    assert 'data-testid="review-form"' in client.get(_url("detail", campaign)).content.decode()
    response = client.post(_url("review", campaign), {"decision": "accept", "revision": 1})
    assert response.status_code == 302 and CitySummary.objects.get().status == "accepted"


# -- the departments' parts: the service ------------------------------------------------------


def test_a_fire_user_of_taiyuan_adds_the_fire_part_kept_audited_and_versioned(
    cast, people, campaign, taiyuan_city, draft
):
    section = write(people["fire"], campaign, taiyuan_city, "第一稿")
    assert (section.department, section.text, section.version) == ("fire", "第一稿", 1)
    section = write(people["fire"], campaign, taiyuan_city, FIRE_TEXT)
    assert section.version == 2 and section.updated_by == people["fire"]
    assert [h.text for h in section.history.order_by("history_id")] == ["第一稿", FIRE_TEXT]
    events = SummaryEvent.objects.filter(kind=SummaryEvent.Kind.SECTION)
    assert [(e.actor, e.comment) for e in events] == [(people["fire"], "消防救援部门")] * 2
    audits = AuditEvent.objects.filter(kind=AuditEvent.Kind.SUMMARY, detail__event="section_saved")
    assert audits.count() == 2 and audits.first().detail["department"] == "fire"
    assert audits.filter(actor=people["fire"], object_id=str(draft.pk)).count() == 2
    # The summary's own text and version are not the part's: the bureau's form stays current.
    assert CitySummary.objects.get().version == draft.version
    before = _state()
    with pytest.raises(ValidationError) as error:
        write(people["fire"], campaign, taiyuan_city, "旧页面的内容", version=1)
    assert "您的内容未保存" in " ".join(error.value.messages)
    assert _state() == before


def test_a_part_is_refused_once_submitted_or_accepted_and_allowed_again_when_returned(
    cast, people, campaign, taiyuan_city, draft
):
    write(people["fire"], campaign, taiyuan_city)
    submit(cast.taiyuan, campaign, taiyuan_city)
    for step in ("submitted", "accepted"):
        if step == "accepted":
            review(cast.province, campaign, taiyuan_city, accept=True)
        before = _state()
        with pytest.raises(ValidationError) as error:
            write(people["fire"], campaign, taiyuan_city, "报送后的修改")
        assert "不能修改本部门内容" in " ".join(error.value.messages)
        assert _state() == before
    # A fresh summary of 大同市 that is returned: its fire department may write again.
    datong_city = Region.objects.get(code="140200")
    datong_staff = UserFactory(grant=("city_staff", "140200"))
    save(datong_staff, campaign, datong_city)
    submit(datong_staff, campaign, datong_city)
    review(cast.province, campaign, datong_city, accept=False, comment="请补充消防部门内容")
    section = write(people["fire_datong"], campaign, datong_city, "补充消防内容")
    assert section.summary.city_id == "140200" and section.summary.status == "returned"


def test_other_cities_are_404_and_other_grants_403_nothing_written(
    cast, people, campaign, taiyuan_city, draft
):
    before = _state()
    for name in ("fire_datong", "fire_county"):  # they cannot see 太原市's summary at all
        with pytest.raises(Http404):
            write(people[name], campaign, taiyuan_city)
    for user, department in (
        (people["fire_province"], "fire"),  # the province's fire staff: not the city's part
        (people["fire"], "public_security"),  # another department's part
        (cast.taiyuan, "fire"),  # the education bureau writes the narrative, not a part
        (cast.province, "fire"),
    ):
        with pytest.raises(PermissionDenied):
            write(user, campaign, taiyuan_city, department=department)
    assert _state() == before


def test_a_part_before_the_bureau_began_the_summary_is_refused_in_chinese(
    people, campaign, taiyuan_city
):
    with pytest.raises(ValidationError) as error:
        write(people["fire"], campaign, taiyuan_city)
    assert "市教育局尚未开始编写工作总结" in " ".join(error.value.messages)
    assert not SummarySection.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("消防\x00内容", "空字符"),
        ("消防\x07内容", "控制字符"),
        ("消防\x1b[31m内容", "控制字符"),
        ("长" * 20001, "不能超过 20000 字"),
        ("长" * 1_000_000, "不能超过 20000 字"),
    ],
    ids=["nul", "bell", "escape", "one-too-many", "a-million"],
)
def test_bad_text_is_refused_in_chinese_and_nothing_written(
    people, campaign, taiyuan_city, draft, text, message
):
    write(people["fire"], campaign, taiyuan_city, "原有内容")
    before = _state()
    with pytest.raises(ValidationError) as error:
        write(people["fire"], campaign, taiyuan_city, text)
    assert message in " ".join(error.value.messages)
    assert _state() == before


def test_word_line_breaks_become_paragraphs_not_refusals(people, campaign, taiyuan_city, draft):
    section = write(people["fire"], campaign, taiyuan_city, "第一段\x0b第二段\r\n第三段\x0c")
    assert section.text == "第一段\n第二段\n第三段"


# -- submission, documents ----------------------------------------------------------------------


def test_a_submission_freezes_the_parts_and_later_edits_leave_it_alone(
    cast, people, campaign, taiyuan_city, draft
):
    write(people["police"], campaign, taiyuan_city, POLICE_TEXT, department="public_security")
    write(people["fire"], campaign, taiyuan_city)
    summary = submit(cast.taiyuan, campaign, taiyuan_city)
    first = SummarySubmission.objects.get(summary=summary, number=1)
    # In the notice's order (…公安、消防), with who wrote each.
    assert [(s["department"], s["text"]) for s in first.sections] == [
        ("public_security", POLICE_TEXT),
        ("fire", FIRE_TEXT),
    ]
    assert first.sections[1]["author"] == (people["fire"].get_full_name() or "fire_ty")
    review(cast.province, campaign, taiyuan_city, accept=False, comment="请补充")
    write(people["fire"], campaign, taiyuan_city, "退回后补充的消防内容")
    assert SummarySubmission.objects.get(pk=first.pk).sections == first.sections
    doc = documents.document_for(summary, campaign=campaign, city=taiyuan_city, revision=1)
    assert [p.text for p in doc.departments] == [POLICE_TEXT, FIRE_TEXT]
    live = documents.document_for(CitySummary.objects.get(), campaign=campaign, city=taiyuan_city)
    assert live.departments[1].text == "退回后补充的消防内容"


def test_the_word_and_pdf_files_print_each_part_under_the_departments_name(
    client, cast, people, campaign, taiyuan_city, draft
):
    write(people["fire"], campaign, taiyuan_city)
    write(people["police"], campaign, taiyuan_city, POLICE_TEXT, department="public_security")
    client.force_login(cast.taiyuan)
    text, _document = _docx_text(client.get(_url("word", campaign)).content)
    assert "五、下一步工作打算" in text
    assert f"六、公安部门工作情况\n{POLICE_TEXT}" in text
    assert f"七、消防救援部门工作情况\n{FIRE_TEXT}" in text
    assert documents.pdf_available(), "no CJK font: run `make test` (it installs fonts-noto-cjk)"
    pages = "".join(pdf_page_texts(client.get(_url("pdf", campaign)).content))
    assert "七、消防救援部门工作情况" in pages and FIRE_TEXT[:12] in pages
    # Submitted: the province's roll-up carries the parts too.
    submit(cast.taiyuan, campaign, taiyuan_city)
    client.force_login(cast.province)
    response = client.get(reverse("summaries:rollup_docx", args=[campaign.pk]))
    rollup, _document = _docx_text(response.content)
    assert f"消防救援部门工作情况\n{FIRE_TEXT}" in rollup


# -- pages and API -----------------------------------------------------------------------------


def test_the_page_offers_each_department_its_own_form_and_shows_the_parts(
    client, cast, people, campaign, taiyuan_city, draft
):
    client.force_login(people["fire"])
    page = client.get(_url("detail", campaign)).content.decode()
    assert 'data-testid="section-form-fire"' in page
    assert 'data-testid="section-form-public_security"' not in page
    assert 'data-testid="narrative-form"' not in page and 'data-testid="review-form"' not in page
    url = _url("section", campaign, department="fire")
    assert client.post(url, {"text": FIRE_TEXT, "version": 0}).status_code == 302
    stale = client.post(url, {"text": "另一个页面写的内容", "version": 0})
    body = stale.content.decode()
    assert stale.status_code == 400 and "您的内容未保存" in body and "另一个页面写的内容" in body
    assert client.post(url, {"text": "消防\x00", "version": 1}).status_code == 400
    assert SummarySection.objects.get().text == FIRE_TEXT
    # Another department's part, another city, an unknown department: 403 / 404.
    police_url = _url("section", campaign, department="public_security")
    assert client.post(police_url, {"text": "x", "version": 0}).status_code == 403
    datong_url = _url("section", campaign, city="140200", department="fire")
    assert client.post(datong_url, {"text": "x", "version": 0}).status_code == 404
    bogus = _url("section", campaign, department="education")
    assert client.post(bogus, {"text": "x", "version": 0}).status_code == 404
    client.force_login(cast.taiyuan)  # the bureau sees the part beside its own form
    page = client.get(_url("detail", campaign)).content.decode()
    assert 'data-testid="department-sections"' in page and FIRE_TEXT in page
    assert 'data-testid="section-form-fire"' not in page
    assert client.post(url, {"text": "x", "version": 1}).status_code == 403
    submit(cast.taiyuan, campaign, taiyuan_city)
    client.force_login(people["fire"])  # submitted: shown, no longer offered
    page = client.get(_url("detail", campaign)).content.decode()
    assert "七、消防救援部门工作情况" not in page and "六、消防救援部门工作情况" in page
    assert 'data-testid="section-form-fire"' not in page
    assert SummarySection.objects.get().text == FIRE_TEXT


def _post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_api_saves_a_part_under_the_same_rules(
    client, cast, people, campaign, taiyuan_city, draft
):
    url = reverse("api:summary-section", args=[draft.pk])
    client.force_login(people["fire"])
    response = _post_json(client, url, {"department": "fire", "text": FIRE_TEXT, "version": 0})
    assert response.status_code == 200 and response.json()["version"] == 1
    stale = _post_json(client, url, {"department": "fire", "text": "旧", "version": 0})
    assert stale.status_code == 400 and "您的内容未保存" in json.dumps(
        stale.json(), ensure_ascii=False
    )
    bad = _post_json(client, url, {"department": "fire", "text": "a\u0000b", "version": 1})
    assert bad.status_code == 400
    huge = _post_json(client, url, {"department": "fire", "text": "长" * 20001, "version": 1})
    assert huge.status_code == 400 and "不能超过" in huge.content.decode()
    other = _post_json(client, url, {"department": "sports", "text": "x", "version": 0})
    assert other.status_code == 403
    detail = client.get(reverse("api:summary-detail", args=[draft.pk])).json()
    assert [(s["department"], s["text"]) for s in detail["sections"]] == [("fire", FIRE_TEXT)]
    before = _state()
    client.force_login(people["fire_datong"])
    response = _post_json(client, url, {"department": "fire", "text": "x", "version": 1})
    assert response.status_code == 404
    client.force_login(people["province_sports"])  # reads, but writes no part
    assert client.get(reverse("api:summary-detail", args=[draft.pk])).status_code == 200
    response = _post_json(client, url, {"department": "fire", "text": "x", "version": 1})
    assert response.status_code == 403
    assert _state() == before
    submit(cast.taiyuan, campaign, taiyuan_city)
    client.force_login(people["fire"])
    response = _post_json(client, url, {"department": "fire", "text": "x", "version": 1})
    assert response.status_code == 400 and "不能修改本部门内容" in response.content.decode()
    detail = client.get(reverse("api:summary-detail", args=[draft.pk])).json()
    assert detail["submissions"][0]["sections"][0]["text"] == FIRE_TEXT


def test_the_demo_gives_taiyuan_a_fire_and_a_public_security_part(cast, campaign, taiyuan_city):
    from accounts.services import user_create
    from ops.demo.reporting import DEMO_SECTIONS, summary_demo_create

    for username, role, region, department in (
        ("city_taiyuan", "city_staff", "140100", "education"),
        ("dept_fire", "department_user", "140100", "fire"),
        ("dept_police_taiyuan", "department_user", "140100", "public_security"),
    ):
        user_create(username=username, role=role, region_code=region, department=department,
                    password="Demo-pass-2023", full_name=username)  # fmt: skip
    assert summary_demo_create(campaign=campaign)
    parts = {s.department: s.text for s in SummarySection.objects.all()}
    assert set(parts) == {"fire", "public_security"}
    assert parts["fire"] == DEMO_SECTIONS[0][2].strip()
    doc = documents.document_for(CitySummary.objects.get(), campaign=campaign, city=taiyuan_city)
    assert [p.name for p in doc.departments] == ["公安部门", "消防救援部门"]
    assert not summary_demo_create(campaign=campaign)  # re-runnable
