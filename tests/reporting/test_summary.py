"""City work summaries (工作总结): the figures from hand-built data, the frozen snapshot,
the workflow (save, submit, return, resubmit, accept; bad steps refused in Chinese with
nothing written), scope (404 / 403), the Word and PDF documents, the province's roll-up,
the clock's hook and the command."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from accounts.models import AuditEvent, Notification
from accounts.scope import scope_for
from campaign.models import Phase, PublicityActivity
from campaign.selectors import campaign_scope
from campaign.services import campaign_seed_2023
from clock import jobs
from clock.models import RegionOverdue
from clock.selectors import PHASE_CHECKS
from complaints.models import Case, Referral
from core.models import Region
from fees import services as fee_services
from inspections import services as inspection_services
from inspections.models import Finding
from reporting import documents_summary as documents
from reporting import services_summary as services
from reporting.models import CitySummary, SummaryEvent, SummarySubmission
from reporting.selectors_summary import city_figures
from tests.factories import UserFactory
from tests.factories_personnel import StaffFactory
from tests.inspections.test_problems import inspected

TEXTS = {
    "organisation": "市政府召开专题会议部署，成立工作专班。",
    "experiences": "小店区推行“扫码查证”做法。",
    "problems": "部分机构消防设施老化。",
    "next_steps": "持续开展“回头看”。",
}


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


@pytest.fixture
def taiyuan_city(regions):
    return Region.objects.get(code="140100")


@pytest.fixture
def world(cast, places, campaign):
    """太原市: 小店区 screened with two problems (1.01 general §一 verified closed, 2.22 major
    §二 still open), 迎泽区 not screened; a staff member, a fee violation with a refund, a
    complaint referred to the police, a publicity activity. 大同市 has its own problem."""
    inspected(cast.xiaodian, places.xiaodian)
    inspected(cast.pingcheng, places.pingcheng)
    scope = scope_for(cast.xiaodian)
    closed = Finding.objects.get(task__institution=places.xiaodian, item__code="1.01")
    inspection_services.finding_report(
        finding=closed, actor=cast.xiaodian, scope=scope, note="已整改"
    )
    closed.refresh_from_db()
    inspection_services.finding_verify(
        finding=closed, actor=cast.xiaodian, scope=scope, passed=True
    )
    StaffFactory(institution=places.xiaodian)
    StaffFactory(institution=places.yingze)
    today = timezone.localdate()
    record, _changes = fee_services.fee_record_create(
        institution=places.xiaodian, actor=cast.xiaodian, scope=scope, amount=Decimal("6000.00"),
        period_from=today, period_to=today + dt.timedelta(days=60), charged_on=today,
        supervised=True, class_hours=40, contract_number="HT-1",
    )  # fmt: skip
    fee_services.refund_record(record=record, actor=cast.xiaodian, scope=scope,
                               amount=Decimal("1000.00"), refunded_on=today, payee="家长")  # fmt: skip
    now = timezone.now()
    case = Case.objects.create(
        tracking_digest="a" * 64, number="T2023001", channel="phone", category="safety_hazard",
        county_id="140105", description="反映安全隐患", deadline=now + dt.timedelta(days=5),
        campaign=campaign,
    )  # fmt: skip
    Case.objects.create(
        tracking_digest="b" * 64, number="T2023002", channel="phone", category="fees",
        county_id="140213", description="大同的投诉", deadline=now + dt.timedelta(days=5),
        campaign=campaign,
    )  # fmt: skip
    Referral.objects.create(
        case=case, police_unit="小店分局", materials="材料", sent_at=now, sent_by=cast.xiaodian,
        ack_due=now + dt.timedelta(days=1), feedback_due=now + dt.timedelta(days=10),
    )  # fmt: skip
    PublicityActivity.objects.create(
        campaign=campaign, county_id="140106", kind="demonstration", held_on=today,
        title="消防演示", times=2, reached=300, institutions_reached=5, created_by=cast.xiaodian,
    )  # fmt: skip
    return campaign


def yingze_officer():
    return UserFactory(username="yingze", grant=("county_officer", "140106"))


def save(user, campaign, city, texts=TEXTS, version=None):
    summary = CitySummary.objects.filter(campaign=campaign, city=city).first()
    return services.summary_save(
        campaign=campaign, city=city, actor=user, scope=scope_for(user), narratives=texts,
        version=version if version is not None else (summary.version if summary else 0),
    )  # fmt: skip


def submit(user, campaign, city):
    return services.summary_submit(campaign=campaign, city=city, actor=user, scope=scope_for(user))


def review(user, campaign, city, *, accept, comment=""):
    action = services.summary_accept if accept else services.summary_return
    return action(campaign=campaign, city=city, actor=user, scope=scope_for(user), comment=comment)


# -- the figures ------------------------------------------------------------------------------


def test_the_figures_count_the_citys_own_data_by_county_section_and_severity(
    world, taiyuan_city, places
):
    later = timezone.localdate() + dt.timedelta(days=30)  # the open problem is overdue then
    f = city_figures(campaign=world, city=taiyuan_city, today=later)
    t = f["total"]
    assert (t["total"], t["screened"], t["rate"]) == (2, 1, 50.0)
    assert (t["found"], t["major"], t["general"]) == (2, 1, 1)
    assert (t["rectified"], t["closed"], t["overdue"]) == (1, 1, 1)
    assert f["sections"]["一"] == {"major": 0, "general": 1}
    assert f["sections"]["二"] == {"major": 1, "general": 0}
    assert (t["staff"], t["staff_checked"], t["dismissed"]) == (2, 0, 0)
    assert f["fees"]["violations"] >= 1 and f["fees"]["refunded_amount"] == "1000.00"
    assert f["complaints"] == {"cases": 1, "closed": 0, "referred": 1, "referrals": 1,
                               "referrals_answered": 0}  # fmt: skip
    assert f["publicity"] == {
        "activities": 1,
        "times": 2,
        "reached": 300,
        "institutions_reached": 5,
    }
    counties = {row["code"]: row for row in f["counties"]}
    assert counties["140105"]["screened"] == 1 and counties["140105"]["found"] == 2
    assert counties["140106"]["screened"] == 0 and counties["140106"]["publicity"] == 1
    assert counties["140105"]["refunded"] == "1000.00" and counties["140105"]["complaints"] == 1
    assert "140213" not in counties  # 大同市's problem and complaint are not 太原市's
    today = city_figures(campaign=world, city=taiyuan_city)
    assert today["total"]["overdue"] == 0


def test_a_submission_freezes_the_figures_and_later_data_changes_leave_it_alone(
    world, cast, taiyuan_city, places
):
    save(cast.taiyuan, world, taiyuan_city)
    summary = submit(cast.taiyuan, world, taiyuan_city)
    frozen = summary.submissions.get(number=1).figures
    assert frozen["total"]["screened"] == 1
    inspected(yingze_officer(), places.yingze, codes=("1.01",))  # 迎泽区 screened afterwards
    assert city_figures(campaign=world, city=taiyuan_city)["total"]["screened"] == 2
    assert SummarySubmission.objects.get(summary=summary, number=1).figures == frozen
    doc = documents.document_for(summary, campaign=world, city=taiyuan_city)
    assert doc.frozen and doc.figures["total"]["screened"] == 1


# -- the workflow -----------------------------------------------------------------------------


def test_city_staff_submit_the_province_returns_the_city_resubmits_and_the_province_accepts(
    world, cast, taiyuan_city
):
    province_reviewer = cast.province
    summary = save(cast.taiyuan, world, taiyuan_city)
    assert summary.status == "draft" and summary.issuer == "太原市教育局"
    summary = submit(cast.taiyuan, world, taiyuan_city)
    assert (summary.status, summary.revision) == ("submitted", 1)
    assert Notification.objects.filter(user=province_reviewer, kind="summary").count() == 1

    summary = review(cast.province, world, taiyuan_city, accept=False, comment="请补充典型经验")
    assert summary.status == "returned" and summary.review_comment == "请补充典型经验"
    note = Notification.objects.get(user=cast.taiyuan, kind="summary")
    assert "请补充典型经验" in note.body

    save(cast.taiyuan, world, taiyuan_city, TEXTS | {"experiences": "补充：建立“红黑榜”"})
    summary = submit(cast.taiyuan, world, taiyuan_city)
    assert (summary.status, summary.revision) == ("submitted", 2)
    assert summary.submissions.get(number=1).narratives["experiences"] == TEXTS["experiences"]
    assert "红黑榜" in summary.submissions.get(number=2).narratives["experiences"]

    summary = review(cast.province, world, taiyuan_city, accept=True, comment="同意")
    assert summary.status == "accepted"
    kinds = list(summary.events.values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "returned", "saved", "submitted", "accepted"]
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.SUMMARY, object_id=str(summary.pk))
    assert {e.detail["event"] for e in events} == {"created", "submitted", "returned", "accepted"}
    assert Notification.objects.filter(user=cast.taiyuan, kind="summary").count() == 2


def _snapshot(summary_pk):
    s = CitySummary.objects.get(pk=summary_pk)
    return (s.status, s.version, s.revision, s.narratives(), s.events.count(),
            s.submissions.count(), AuditEvent.objects.filter(kind=AuditEvent.Kind.SUMMARY).count(),
            Notification.objects.count())  # fmt: skip


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("accept_draft", "只能审核已报送的工作总结"),
        ("return_without_comment", "退回修改须填写审核意见"),
        ("submit_twice", "不能再次报送"),
        ("edit_submitted", "不能修改"),
        ("stale_save", "您的内容未保存"),
        ("submit_incomplete", "请填写“下一步工作打算”后再报送"),
    ],
)
def test_a_step_that_does_not_fit_is_refused_in_chinese_and_writes_nothing(
    world, cast, taiyuan_city, step, message
):
    summary = save(cast.taiyuan, world, taiyuan_city)
    if step in ("return_without_comment", "submit_twice", "edit_submitted"):
        submit(cast.taiyuan, world, taiyuan_city)
    if step == "stale_save":
        save(cast.taiyuan, world, taiyuan_city, TEXTS | {"problems": "另一人的修改"})
    before = _snapshot(summary.pk)
    with pytest.raises(ValidationError) as error:
        if step == "accept_draft":
            review(cast.province, world, taiyuan_city, accept=True)
        elif step == "return_without_comment":
            review(cast.province, world, taiyuan_city, accept=False, comment="  ")
        elif step == "submit_twice":
            submit(cast.taiyuan, world, taiyuan_city)
        elif step == "edit_submitted":
            save(cast.taiyuan, world, taiyuan_city, TEXTS | {"problems": "改"})
        elif step == "stale_save":
            save(cast.taiyuan, world, taiyuan_city, TEXTS | {"problems": "我的修改"}, version=1)
        else:
            save(cast.taiyuan, world, taiyuan_city, TEXTS | {"next_steps": ""})
            submit(cast.taiyuan, world, taiyuan_city)
    assert message in " ".join(error.value.messages)
    if step != "submit_incomplete":
        assert _snapshot(summary.pk) == before
    else:
        assert CitySummary.objects.get(pk=summary.pk).status == "draft"


def test_the_services_refuse_other_cities_and_other_roles(world, cast, taiyuan_city):
    datong = Region.objects.get(code="140200")
    with pytest.raises(PermissionDenied):
        save(cast.taiyuan, world, datong)
    with pytest.raises(PermissionDenied):
        save(cast.province, world, taiyuan_city)
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    with pytest.raises(PermissionDenied):
        review(cast.taiyuan, world, taiyuan_city, accept=True)
    assert CitySummary.objects.get().status == "submitted"
    assert not CitySummary.objects.filter(city=datong).exists()


# -- pages, scope -----------------------------------------------------------------------------


def _url(name, campaign, city="140100", **kw):
    return reverse(f"summaries:{name}", kwargs={"campaign": campaign.pk, "city": city, **kw})


def test_out_of_scope_is_404_and_the_row_unchanged_wrong_role_403(
    client, world, cast, taiyuan_city
):
    save(cast.taiyuan, world, taiyuan_city)
    summary = submit(cast.taiyuan, world, taiyuan_city)
    datong_staff = UserFactory(username="datong", grant=("city_staff", "140200"))
    client.force_login(datong_staff)
    before = _snapshot(summary.pk)
    assert client.get(_url("detail", world)).status_code == 404
    assert client.get(_url("word", world)).status_code == 404
    assert client.post(_url("save", world), {"version": 0, **TEXTS}).status_code == 404
    client.force_login(cast.xiaodian)  # a county officer: summary.view, but below the city
    assert client.get(_url("detail", world)).status_code == 404
    client.force_login(cast.taiyuan)
    assert client.post(_url("review", world), {"decision": "accept"}).status_code == 403
    client.force_login(cast.auditor)
    assert client.get(_url("detail", world)).status_code == 403
    assert _snapshot(summary.pk) == before
    response = client.get(reverse("api:summary-list"))
    assert response.status_code == 403
    client.force_login(datong_staff)
    assert client.get(reverse("api:summary-list")).json()["count"] == 0
    assert client.get(reverse("api:summary-detail", args=[summary.pk])).status_code == 404


def test_the_pages_save_submit_and_show_a_conflict_without_losing_the_text(client, world, cast):
    client.force_login(cast.taiyuan)
    page = client.get(_url("detail", world))
    assert page.status_code == 200 and "实时数据" in page.content.decode()
    response = client.post(_url("save", world), {"version": 0, "save": "1", **TEXTS})
    assert response.status_code == 302
    stale = client.post(
        _url("save", world), {"version": 0, "save": "1", **TEXTS, "problems": "我写的很长的内容"}
    )
    body = stale.content.decode()
    assert stale.status_code == 400 and "您的内容未保存" in body and "我写的很长的内容" in body
    response = client.post(_url("save", world), {"version": 1, "submit": "1", **TEXTS})
    assert response.status_code == 302
    assert CitySummary.objects.get().status == "submitted"
    client.force_login(cast.province)
    bad = client.post(_url("review", world), {"decision": "return", "comment": ""})
    assert bad.status_code == 400 and "退回修改须填写审核意见" in bad.content.decode()
    assert CitySummary.objects.get().status == "submitted"
    listing = client.get(reverse("summaries:list")).content.decode()
    assert "太原市" in listing and "已报送" in listing and "大同市" in listing
    api = client.get(reverse("api:summary-list"), {"status": "submitted", "city": "140100"}).json()
    assert api["count"] == 1 and api["results"][0]["figures"]["total"]["screened"] == 1
    assert [e["kind"] for e in api["results"][0]["events"]] == ["created", "submitted"]


# -- documents -----------------------------------------------------------------------------


def _docx_text(data: bytes) -> tuple[str, Document]:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts), document


def test_the_word_document_is_an_official_report_with_the_figures_and_narratives(
    client, world, cast, taiyuan_city
):
    save(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.taiyuan)
    response = client.get(_url("word", world))
    assert response.status_code == 200 and response["Content-Type"] == documents.DOCX
    text, document = _docx_text(response.content)
    assert text.startswith("关于太原市开展") and "工作总结" in text.split("\n")[0]
    for heading in ("一、基本情况", "二、工作组织开展情况", "三、典型经验做法", "四、存在的问题",
                    "五、下一步工作打算"):  # fmt: skip
        assert heading in text
    for value in TEXTS.values():
        assert value in text
    assert "排查率50.0%" in text and "小店区" in text and "迎泽区" in text
    assert "太原市教育局" in text and "年" in document.paragraphs[-1].text
    east_asian = {
        r._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        for p in document.paragraphs for r in p.runs
    }  # fmt: skip
    assert {"仿宋_GB2312", "黑体"} <= east_asian


def test_the_pdf_embeds_a_cjk_font_or_the_page_says_why_not(client, world, cast, taiyuan_city):
    save(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.taiyuan)
    body = client.get(_url("detail", world)).content.decode()
    if documents.pdf_available():
        assert 'data-testid="download-pdf"' in body
        response = client.get(_url("pdf", world))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert b"/FontFile" in response.content  # the font is embedded (a subset)
        assert len(response.content) < 2_000_000
    else:
        assert 'data-testid="pdf-unavailable"' in body
        assert client.get(_url("pdf", world)).status_code == 404


def test_the_province_rollup_lists_every_city_and_gathers_the_narratives(
    client, world, cast, taiyuan_city
):
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.province)
    response = client.get(reverse("summaries:rollup_xlsx", args=[world.pk]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "各市工作总结数据汇总" in rows[0][0] and sheet.freeze_panes == "A3"
    assert rows[1][:5] == ["市", "状态", "首次报送时间", "逾期", "数据来源"]
    by_city = {r[0]: r for r in rows[2:]}
    assert (
        len(by_city) == 11
        and by_city["太原市"][1] == "已报送"
        and by_city["太原市"][4] == "报送快照"
    )
    assert by_city["大同市"][1] == "未开始" and by_city["大同市"][4] == "实时数据"
    assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)
    response = client.get(reverse("summaries:rollup_docx", args=[world.pk]))
    text, _document = _docx_text(response.content)
    assert TEXTS["experiences"] in text and "尚未报送" in text and "大同市" in text
    client.force_login(cast.taiyuan)
    assert client.get(reverse("summaries:rollup_xlsx", args=[world.pk])).status_code == 403


# -- the clock and the command ----------------------------------------------------------------


def test_the_clock_flags_cities_whose_summary_is_not_submitted(world, cast, taiyuan_city):
    behind = PHASE_CHECKS[Phase.Kind.CITY_SUMMARY](world, campaign_scope(world))
    assert set(behind) == {"140100", "140200"}  # the cities with operating institutions
    phase = world.phases.get(kind=Phase.Kind.CITY_SUMMARY)
    after = timezone.make_aware(
        dt.datetime.combine(phase.deadline + dt.timedelta(days=1), dt.time(9))
    )
    jobs.run_campaign_jobs(campaign=world, now=after)
    assert RegionOverdue.objects.filter(phase=phase, region_id="140100", cleared_at=None).exists()
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    assert "140100" not in PHASE_CHECKS[Phase.Kind.CITY_SUMMARY](world, campaign_scope(world))
    jobs.run_campaign_jobs(campaign=world, now=after + dt.timedelta(hours=1))
    assert not RegionOverdue.objects.filter(
        phase=phase, region_id="140100", cleared_at=None
    ).exists()
    summary = CitySummary.objects.get()
    assert summary.submissions.get().late is True  # submitted after the 2023 deadline


def test_the_command_writes_the_snapshot_once_submitted(
    world, cast, taiyuan_city, tmp_path, places
):
    out = tmp_path / "太原.docx"
    call_command("city_summary", "--city", "140100", "--out", str(out))
    text, _document = _docx_text(out.read_bytes())
    assert "草稿" in text
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    inspected(yingze_officer(), places.yingze, codes=("1.01",))
    call_command("city_summary", "--city", "140100", "--out", str(out), "--campaign", str(world.pk))
    text, _document = _docx_text(out.read_bytes())
    assert "草稿" not in text and "排查率50.0%" in text and TEXTS["problems"] in text
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("city_summary", "--city", "140105", "--out", str(out))
    assert SummaryEvent.objects.filter(kind="submitted").count() == 1
