"""Review of the city work summary (reviewer "rsum"): defects found and pinned down.

- text pasted from Word carries control characters (a soft line break is U+000B) that
  python-docx refuses: saved as is, every Word download (and, once submitted, the frozen
  report itself and the province's roll-up) would fail with a 500;
- a reviewer's accept or return applies to the revision they read, not to a newer one that
  arrived while their page was open;
- a problem reported rectified but past its deadline is counted both as 已整改 and among the
  overdue ones: the overdue figure is "not verified closed", and its label must say so;
- submissions and events, exempted from history as written once, refuse to be changed;
- narrative saves bypassed the history (a bare UPDATE); a review comment over 100
  characters was a 500 (the history's reason column), and a comment within the limit as
  typed could be refused without a word (the browser sends line breaks as two characters);
- the roll-up spreadsheet held refunds as text;
- verified by hand counts and real races: staff checked/dismissed, overdue against the
  effective deadline, two tabs submitting, two reviewers deciding at once.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_for
from inspections import services as inspection_services
from inspections.models import Finding
from reporting import documents_summary as documents
from reporting import services_summary as services
from reporting.models import CitySummary, SummaryEvent, SummarySubmission
from reporting.selectors_summary import city_figures
from reporting.tables_summary import key_figures, overview_text
from tests.factories import UserFactory
from tests.reporting.test_summary import (  # noqa: F401 - fixtures
    TEXTS,
    _docx_text,
    _url,
    campaign,
    review,
    save,
    submit,
    taiyuan_city,
    world,
)


def test_control_characters_pasted_from_word_never_break_the_documents(
    client,
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
):
    pasted = TEXTS | {"organisation": "第一段\x0b第二段\x07", "problems": "问题\x0c其二\x01"}
    summary = services.summary_save(
        campaign=world, city=taiyuan_city, actor=cast.taiyuan, scope=scope_for(cast.taiyuan),
        narratives=pasted, version=0, issuer="太原市教育局\x1f",
    )  # fmt: skip
    assert summary.organisation == "第一段\n第二段" and summary.problems == "问题\n其二"
    assert summary.issuer == "太原市教育局"
    client.force_login(cast.taiyuan)
    response = client.get(_url("word", world))
    assert response.status_code == 200
    text, _document = _docx_text(response.content)
    assert "第一段" in text and "第二段" in text and "其二" in text
    submit(cast.taiyuan, world, taiyuan_city)
    frozen = SummarySubmission.objects.get(summary=summary).narratives
    assert frozen["organisation"] == "第一段\n第二段"
    client.force_login(cast.province)
    review(cast.province, world, taiyuan_city, accept=False, comment="请修改\x0b补充")
    assert CitySummary.objects.get().review_comment == "请修改\n补充"
    assert client.get(reverse("summaries:rollup_docx", args=[world.pk])).status_code == 200


@pytest.mark.parametrize("accept", [True, False])
def test_a_review_applies_only_to_the_revision_the_reviewer_read(
    client,
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
    accept,
):
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.province)
    page = client.get(_url("detail", world)).content.decode()
    assert 'name="revision" value="1"' in page  # the form carries what the reviewer read
    # Meanwhile another reviewer returns it and the city resubmits a second version.
    other = UserFactory(username="province2", grant=("province_staff", "140000"))
    review(other, world, taiyuan_city, accept=False, comment="请补充")
    save(cast.taiyuan, world, taiyuan_city, TEXTS | {"experiences": "第二版"})
    submit(cast.taiyuan, world, taiyuan_city)
    before = CitySummary.objects.get()
    events = SummaryEvent.objects.count()
    decision = "accept" if accept else "return"
    response = client.post(
        _url("review", world), {"decision": decision, "comment": "同意", "revision": 1}
    )
    assert response.status_code == 400
    assert "已重新报送" in response.content.decode()
    after = CitySummary.objects.get()
    assert (after.status, after.revision, after.version) == ("submitted", 2, before.version)
    assert SummaryEvent.objects.count() == events
    with pytest.raises(ValidationError):
        action = services.summary_accept if accept else services.summary_return
        action(campaign=world, city=taiyuan_city, actor=cast.province,
               scope=scope_for(cast.province), comment="同意", revision=1)  # fmt: skip
    # Reading the second version, the reviewer's decision goes through.
    response = client.post(
        _url("review", world), {"decision": decision, "comment": "同意", "revision": 2}
    )
    assert response.status_code == 302
    assert CitySummary.objects.get().status == ("accepted" if accept else "returned")


def test_a_problem_reported_but_past_its_deadline_is_not_called_unrectified(
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
    places,
):
    open_one = Finding.objects.get(task__institution=places.xiaodian, item__code="2.22")
    inspection_services.finding_report(
        finding=open_one, actor=cast.xiaodian, scope=scope_for(cast.xiaodian), note="已整改"
    )
    later = timezone.localdate() + dt.timedelta(days=30)
    f = city_figures(campaign=world, city=taiyuan_city, today=later)
    # By hand: 1.01 verified closed, 2.22 reported (not verified) and past its deadline.
    assert (f["total"]["rectified"], f["total"]["closed"], f["total"]["overdue"]) == (2, 1, 1)
    labels = {label: value for _group, items in key_figures(f) for label, value in items}
    assert "逾期未整改" not in labels and labels["逾期未销号"] == 1
    text = overview_text(f)
    assert "逾期未整改" not in text and "逾期未销号1个" in text
    doc = documents.document_for(None, campaign=world, city=taiyuan_city)
    assert "逾期未整改" not in _docx_text(documents.summary_docx(doc))[0]


def test_submissions_and_events_are_written_once_and_never_changed(
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
):
    save(cast.taiyuan, world, taiyuan_city)
    summary = submit(cast.taiyuan, world, taiyuan_city)
    submission = summary.submissions.get()
    submission.narratives = {"organisation": "改过"}
    with pytest.raises(ValueError, match="不能修改"):
        submission.save()
    event = summary.events.first()
    event.comment = "改过"
    with pytest.raises(ValueError, match="不能修改"):
        event.save()
    with pytest.raises(ValueError, match="不能修改"):
        SummarySubmission.objects.filter(pk=submission.pk).update(figures={})
    assert SummarySubmission.objects.get().narratives["organisation"] == TEXTS["organisation"]
    assert not SummaryEvent.objects.filter(comment="改过").exists()


def test_every_narrative_save_is_kept_in_the_summarys_history(
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
):
    save(cast.taiyuan, world, taiyuan_city)
    save(cast.taiyuan, world, taiyuan_city, TEXTS | {"problems": "第二稿"})
    save(cast.taiyuan, world, taiyuan_city, TEXTS | {"problems": "第三稿"})
    summary = CitySummary.objects.get()
    texts = list(summary.history.order_by("history_id").values_list("problems", flat=True))
    assert texts == [TEXTS["problems"], "第二稿", "第三稿"]
    latest = summary.history.order_by("-history_id").first()
    assert latest.history_user == cast.taiyuan and latest.version == summary.version == 3


@pytest.mark.parametrize("accept", [True, False])
def test_a_long_review_comment_is_measured_as_the_reviewer_typed_it_and_never_cut(
    client,
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
    accept,
):
    save(cast.taiyuan, world, taiyuan_city)
    submit(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.province)
    decision = "accept" if accept else "return"
    # The browser's maxlength counts a line break as one character but sends "\r\n".
    fits = "\r\n".join(["意" * 99] * 20)  # 1,999 characters as typed, 2,018 as sent
    too_long = "意" * 2001
    response = client.post(
        _url("review", world), {"decision": decision, "comment": too_long, "revision": 1}
    )
    assert response.status_code == 400 and "审核意见不能超过 2000 字" in response.content.decode()
    assert CitySummary.objects.get().status == "submitted"
    response = client.post(
        _url("review", world), {"decision": decision, "comment": fits, "revision": 1}
    )
    assert response.status_code == 302
    summary = CitySummary.objects.get()
    assert summary.review_comment == fits.replace("\r\n", "\n")
    assert summary.events.last().comment == summary.review_comment


def test_the_rollup_spreadsheet_holds_the_refunds_as_numbers_the_province_can_add_up(
    client,
    world,  # noqa: F811
    cast,
):
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    client.force_login(cast.province)
    response = client.get(reverse("summaries:rollup_xlsx", args=[world.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    column = rows[1].index("退费金额（元）")
    by_city = {r[0]: r for r in rows[2:]}
    assert isinstance(by_city["太原市"][column], int | float)
    assert Decimal(str(by_city["太原市"][column])) == Decimal("1000")
    assert by_city["大同市"][column] == 0


def test_staff_checks_and_dismissals_match_a_hand_count(
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
    places,
):
    from personnel.models import BackgroundCheck, CheckBatch, Dismissal
    from tests.factories_personnel import StaffFactory

    def batch(institution):
        return CheckBatch.objects.create(
            region_id=institution.county_id, institution=institution, basis="institution",
            created_by=cast.xiaodian,
        )  # fmt: skip

    clear, rechecked, pending = (StaffFactory(institution=places.xiaodian) for _ in range(3))
    first, second = batch(places.xiaodian), batch(places.xiaodian)
    BackgroundCheck.objects.create(batch=first, staff=clear, status="done", outcome="clear")
    BackgroundCheck.objects.create(batch=first, staff=rechecked, status="done", outcome="clear")
    record = BackgroundCheck.objects.create(
        batch=second, staff=rechecked, status="done", outcome="record", category="abuse"
    )
    BackgroundCheck.objects.create(batch=second, staff=pending, status="pending")
    Dismissal.objects.create(
        check_result=record, staff=rechecked, institution=places.xiaodian,
        deadline=timezone.localdate(), status="closed",
    )  # fmt: skip
    other = StaffFactory(institution=places.pingcheng)  # 大同市's, not counted
    BackgroundCheck.objects.create(
        batch=batch(places.pingcheng), staff=other, status="done", outcome="clear"
    )
    # Outside the campaign: one who left the day before it began, one who starts the day
    # after it ends, and a dismissal ordered (and done) before it.
    day = dt.timedelta(days=1)
    gone = StaffFactory(institution=places.xiaodian, employed_until=world.starts_on - day)
    StaffFactory(institution=places.xiaodian, employed_from=world.ends_on + day)
    StaffFactory(institution=places.xiaodian, employed_until=world.starts_on)  # counted
    found = BackgroundCheck.objects.create(
        batch=first, staff=gone, status="done", outcome="record", category="abuse"
    )
    old = Dismissal.objects.create(
        check_result=found, staff=gone, institution=places.xiaodian,
        deadline=world.starts_on, status="closed",
    )  # fmt: skip
    Dismissal.objects.filter(pk=old.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(world.starts_on - day, dt.time(9)))
    )
    f = city_figures(campaign=world, city=taiyuan_city)
    # By hand: the world's 2 staff + these 3 + the one who left on its first day; checked:
    # clear and rechecked (once each, though rechecked has two done checks); one record; one
    # dismissal ordered and done.
    assert f["personnel"] == {
        "staff": 6, "checked": 2, "records": 1, "dismissals_ordered": 1, "dismissed": 1,
        "platform_complete": 0,  # no record says complete on the national platform
    }  # fmt: skip
    xiaodian = next(r for r in f["counties"] if r["code"] == "140105")
    assert (xiaodian["staff"], xiaodian["staff_checked"], xiaodian["dismissed"]) == (5, 2, 1)


def test_overdue_counts_against_the_effective_deadline(
    world,  # noqa: F811
    taiyuan_city,  # noqa: F811
    places,
):
    later = timezone.localdate() + dt.timedelta(days=30)  # past the task's 7-day deadline
    open_one = Finding.objects.filter(task__institution=places.xiaodian, item__code="2.22")
    assert city_figures(campaign=world, city=taiyuan_city, today=later)["total"]["overdue"] == 1
    # Sent back with a new date of its own: due then, not on the task's date.
    open_one.update(deadline=later + dt.timedelta(days=10))
    f = city_figures(campaign=world, city=taiyuan_city, today=later)
    assert f["total"]["overdue"] == 0
    open_one.update(deadline=later - dt.timedelta(days=1))
    assert city_figures(campaign=world, city=taiyuan_city, today=later)["total"]["overdue"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_and_two_reviewers_deciding_at_once_each_take_effect_once(
    cast, places, regions
):
    from campaign.services import campaign_seed_2023
    from core.models import Region
    from tests.ops.test_faults_double_submit import messages, race

    seeded = campaign_seed_2023(province_code="140000")[0]
    city = Region.objects.get(code="140100")
    summary = save(cast.taiyuan, seeded, city)

    def submit_tab():
        return services.summary_submit(
            campaign=seeded, city=city, actor=cast.taiyuan, scope=scope_for(cast.taiyuan),
            narratives=TEXTS, version=summary.version,
        )  # fmt: skip

    _results, errors = race(submit_tab, submit_tab)
    assert sum(e is None for e in errors) == 1
    assert any("不能修改" in messages(e) or "不能再次报送" in messages(e) for e in errors if e)
    assert SummarySubmission.objects.count() == 1
    assert SummaryEvent.objects.filter(kind="submitted").count() == 1

    other = UserFactory(username="province2", grant=("province_staff", "140000"))

    def decide(user, accept):
        action = services.summary_accept if accept else services.summary_return
        return lambda: action(campaign=seeded, city=city, actor=user, scope=scope_for(user),
                              comment="意见", revision=1)  # fmt: skip

    _results, errors = race(decide(cast.province, True), decide(other, False))
    assert sum(e is None for e in errors) == 1
    assert "只能审核已报送的工作总结" in messages(next(e for e in errors if e))
    decided = CitySummary.objects.get()
    assert decided.status in ("accepted", "returned")
    assert SummaryEvent.objects.filter(kind__in=["accepted", "returned"]).count() == 1


def test_the_command_says_in_chinese_when_it_cannot_write_the_file(
    world,  # noqa: F811
    tmp_path,
):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    missing = tmp_path / "no-such-folder" / "太原.docx"
    with pytest.raises(CommandError, match="无法写入"):
        call_command("city_summary", "--city", "140100", "--out", str(missing))
    assert not missing.exists()


def test_the_summaries_api_can_be_ordered_like_every_other_resource(
    client,
    world,  # noqa: F811
    cast,
    taiyuan_city,  # noqa: F811
):
    from core.models import Region

    datong_writer = UserFactory(username="datong_w", grant=("city_staff", "140200"))
    save(cast.taiyuan, world, taiyuan_city)
    save(datong_writer, world, Region.objects.get(code="140200"))
    client.force_login(cast.province)
    cities = [
        r["city"]
        for r in client.get(reverse("api:summary-list"), {"ordering": "-id"}).json()["results"]
    ]
    assert cities == ["140200", "140100"]
