"""自查自评: the institution's own check, its submission, corrections and rectification list,
and what officials see of it."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEvent
from accounts.scope import scope_for
from institutions.accounts import institution_account_open
from selfcheck import selectors, services
from selfcheck.models import SelfAmendment, SelfAnswer, SelfInspection, SelfPhoto
from tests.inspections.test_inspections import measured
from tests.inspections.test_problems import seed_campaign

pytestmark = pytest.mark.django_db


def jpeg(color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()


def account_of(officer, institution):
    account, _password = institution_account_open(
        institution=institution, actor=officer, scope=scope_for(officer)
    )
    account.user.must_change_password = False
    account.user.save(update_fields=["must_change_password"])
    return account.user


def all_answers(record, *, non_compliant=(), value="compliant") -> dict:
    answers = {}
    for item in services.applicable_items(record):
        bad = item.code in non_compliant
        if item.answer_type == "compliance":
            answers[item.code] = {
                "value": "non_compliant" if bad else value,
                "note": f"{item.code} 自查发现问题" if bad else "",
            }
        elif item.answer_type == "number":
            answers[item.code] = {"number": measured(item, bad=bad)}
    return answers


def self_inspected(user, *, non_compliant=("1.01",), submit=True, days=10):
    """The institution's self-inspection, every item answered, `non_compliant` failing (each
    with a photo), submitted with a plan `days` ahead unless `submit` is False."""
    scope = scope_for(user)
    record = services.self_inspection_start(scope=scope, actor=user)
    record = services.self_save_draft(
        self_inspection=record,
        actor=user,
        scope=scope,
        version=record.version,
        answers=all_answers(record, non_compliant=non_compliant),
    )
    for n, code in enumerate(non_compliant):
        services.self_photo_add(
            self_inspection=record,
            code=code,
            actor=user,
            scope=scope,
            data=jpeg(("red", "blue", "green")[n % 3]),
            filename="p.jpg",
        )
    if not submit:
        return record
    record.refresh_from_db()
    return services.self_submit(
        self_inspection=record,
        actor=user,
        scope=scope,
        version=record.version,
        fix_by=timezone.localdate() + dt.timedelta(days=days) if non_compliant else None,
        summary="已对照九项规定逐项自查",
    )


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def own(cast, places, campaign):
    return account_of(cast.xiaodian, places.xiaodian)


@pytest.fixture
def other(cast, places, campaign):
    """The 平城区 institution's account."""
    return account_of(cast.pingcheng, places.pingcheng)


# -- the services ------------------------------------------------------------------------


def test_a_self_inspection_is_filled_submitted_once_and_lists_its_own_problems(own, places):
    record = self_inspected(own, non_compliant=("1.01", "2.22"))
    assert record.status == SelfInspection.Status.SUBMITTED and record.submitted_by == own
    assert record.institution == places.xiaodian
    to_fix = selectors.rectification_list(record)
    assert [a.item.code for a in to_fix] == ["1.01", "2.22"]
    assert all(a.fix_by == timezone.localdate() + dt.timedelta(days=10) for a in to_fix)
    assert AuditEvent.objects.filter(
        object_type__icontains="selfinspection", detail__change="self_inspection_submitted"
    ).exists()
    # Once per campaign: a second start returns the same record, a second submit is refused.
    scope = scope_for(own)
    assert services.self_inspection_start(scope=scope, actor=own) == record
    with pytest.raises(ValidationError, match="已经提交过了"):
        services.self_submit(
            self_inspection=record, actor=own, scope=scope, version=record.version, fix_by=None
        )
    with pytest.raises(ValidationError, match="不能直接修改"):
        services.self_save_draft(
            self_inspection=record, actor=own, scope=scope, version=record.version, answers={}
        )


def test_submit_needs_every_item_a_photo_where_asked_and_a_plan(own):
    scope = scope_for(own)
    record = services.self_inspection_start(scope=scope, actor=own)
    answers = all_answers(record, non_compliant=("2.22",))
    del answers["1.02"]
    record = services.self_save_draft(
        self_inspection=record, actor=own, scope=scope, version=record.version, answers=answers
    )
    with pytest.raises(ValidationError) as refused:
        services.self_submit(
            self_inspection=record, actor=own, scope=scope, version=record.version, fix_by=None
        )
    messages = refused.value.messages
    assert "1.02 尚未填写" in messages
    assert "2.22 不合规，须拍照" in messages
    assert "有不合规项，请填写计划整改完成日期" in messages
    record.refresh_from_db()
    assert record.status == SelfInspection.Status.DRAFT
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="不能早于今天"):
        services._fix_by_check(yesterday, required=True)


def test_a_measured_item_is_judged_by_its_number_as_on_the_officers_form(own):
    scope = scope_for(own)
    record = services.self_inspection_start(scope=scope, actor=own)
    item = next(i for i in services.applicable_items(record) if i.has_limit)
    services.self_save_draft(
        self_inspection=record,
        actor=own,
        scope=scope,
        version=record.version,
        answers={item.code: {"value": "compliant", "number": measured(item, bad=True)}},
    )
    assert SelfAnswer.objects.get(item=item).value == "non_compliant"


def test_two_phones_saving_from_the_same_version_conflict(own):
    scope = scope_for(own)
    record = services.self_inspection_start(scope=scope, actor=own)
    services.self_save_draft(
        self_inspection=record,
        actor=own,
        scope=scope,
        version=record.version,
        answers={"1.01": {"value": "compliant"}},
    )
    stale = SelfInspection.objects.get(pk=record.pk)
    stale.version = 1
    SelfInspection.objects.filter(pk=record.pk).update(version=5)
    with pytest.raises(services.EditConflict):
        services.self_save_draft(
            self_inspection=stale,
            actor=own,
            scope=scope,
            version=1,
            answers={"1.01": {"value": "non_compliant"}},
        )
    assert SelfAnswer.objects.get(item__code="1.01").value == "compliant"


def test_a_correction_after_submitting_is_kept_with_its_reason(own):
    record = self_inspected(own, non_compliant=("1.01",))
    scope = scope_for(own)
    services.self_amend(
        self_inspection=record,
        actor=own,
        scope=scope,
        code="1.02",
        value="non_compliant",
        note="复核发现疏散通道堆放杂物",
        reason="自查时漏看了二楼",
    )
    services.self_amend(
        self_inspection=record, actor=own, scope=scope, code="1.01", value="compliant",
        reason="已核实原判断有误",
    )  # fmt: skip
    assert [a.item.code for a in selectors.rectification_list(record)] == ["1.02"]
    rows = selectors.amendment_rows(record)
    assert rows[0]["changes"] == [{"code": "1.02", "before": "合规", "after": "不合规"}]
    assert rows[0]["reason"] == "自查时漏看了二楼"
    with pytest.raises(ValidationError, match="请填写更正原因"):
        services.self_amend(
            self_inspection=record, actor=own, scope=scope, code="1.03", value="na", reason=" "
        )
    with pytest.raises(ValidationError, match="与原答案相同"):
        services.self_amend(
            self_inspection=record, actor=own, scope=scope, code="1.02", value="non_compliant",
            note="复核发现疏散通道堆放杂物", reason="再次确认",
        )  # fmt: skip
    assert SelfAmendment.objects.count() == 2


def test_the_rectification_list_takes_a_date_and_the_word_that_it_is_done(own):
    record = self_inspected(own, non_compliant=("1.01",))
    scope = scope_for(own)
    answer = selectors.rectification_list(record).get()
    later = timezone.localdate() + dt.timedelta(days=20)
    services.self_fix_plan(answer=answer, actor=own, scope=scope, fix_by=later)
    answer.refresh_from_db()
    assert answer.fix_by == later
    with pytest.raises(ValidationError, match="请填写整改情况"):
        services.self_fix_done(answer=answer, actor=own, scope=scope, note="  ")
    services.self_fix_done(answer=answer, actor=own, scope=scope, note="已更换灭火器")
    answer.refresh_from_db()
    assert answer.fixed_at is not None and answer.fix_note == "已更换灭火器"
    with pytest.raises(ValidationError, match="已整改完成"):
        services.self_fix_done(answer=answer, actor=own, scope=scope, note="再报一次")
    compliant = record.answers.get(item__code="1.02")
    with pytest.raises(Http404):
        services.self_fix_plan(answer=compliant, actor=own, scope=scope, fix_by=later)


def test_the_same_photo_twice_is_kept_once_and_a_fake_is_refused(own):
    scope = scope_for(own)
    record = services.self_inspection_start(scope=scope, actor=own)
    first, created = services.self_photo_add(
        self_inspection=record, code="1.01", actor=own, scope=scope, data=jpeg(), filename="a.jpg"
    )
    again, created_again = services.self_photo_add(
        self_inspection=record, code="1.01", actor=own, scope=scope, data=jpeg(), filename="b.jpg"
    )
    assert created and not created_again and first == again
    with pytest.raises(ValidationError, match="不是有效的照片"):
        services.self_photo_add(
            self_inspection=record, code="1.01", actor=own, scope=scope,
            data=b"<script>alert(1)</script>", filename="x.jpg",
        )  # fmt: skip
    assert SelfPhoto.objects.count() == 1


# -- scope: the institution's writes touch its own record only ---------------------------


def test_an_institution_cannot_write_another_institutions_self_inspection(own, other):
    theirs = self_inspected(other, non_compliant=("1.01",))
    before = list(SelfAnswer.objects.filter(self_inspection=theirs).values_list("value", "note"))
    scope = scope_for(own)
    answer = selectors.rectification_list(theirs).get()
    with pytest.raises(Http404):
        services.self_amend(
            self_inspection=theirs, actor=own, scope=scope, code="1.01", value="compliant",
            reason="试图改别人的",
        )  # fmt: skip
    with pytest.raises(Http404):
        services.self_fix_done(answer=answer, actor=own, scope=scope, note="不是我的")
    with pytest.raises(Http404):
        services.self_photo_add(
            self_inspection=theirs, code="1.01", actor=own, scope=scope, data=jpeg(), filename="a"
        )
    after = list(SelfAnswer.objects.filter(self_inspection=theirs).values_list("value", "note"))
    assert before == after and not SelfAmendment.objects.exists()


def test_officials_write_nothing_of_a_self_inspection(cast, own):
    record = self_inspected(own, submit=False)
    with pytest.raises(PermissionDenied):
        services.self_save_draft(
            self_inspection=record,
            actor=cast.xiaodian,
            scope=scope_for(cast.xiaodian),
            version=record.version,
            answers={"1.01": {"value": "na"}},
        )


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_pages_of_another_institution_are_404_and_its_items_untouched(client, own, other):
    theirs = self_inspected(other, non_compliant=("1.01",))
    photo = SelfPhoto.objects.get(answer__self_inspection=theirs)
    answer = selectors.rectification_list(theirs).get()
    client.force_login(own)
    assert client.get(reverse("portal:selfcheck_photo", args=[photo.pk])).status_code == 404
    response = client.post(
        reverse("portal:selfcheck_fix", args=[answer.pk]), {"action": "done", "fix_note": "x"}
    )
    # Its own self-inspection does not exist yet either: 404 before anything is read.
    assert response.status_code == 404
    services.self_inspection_start(scope=scope_for(own), actor=own)
    response = client.post(
        reverse("portal:selfcheck_fix", args=[answer.pk]), {"action": "done", "fix_note": "x"}
    )
    assert response.status_code == 404
    answer.refresh_from_db()
    assert answer.fixed_at is None
    # Officials' pages stay closed to it.
    assert client.get(reverse("selfcheck:list")).status_code == 403
    assert client.get(reverse("selfcheck:detail", args=[theirs.pk])).status_code == 403


@pytest.mark.parametrize("member", ["xiaodian", "taiyuan", "province", "admin", "outsider"])
def test_officials_have_no_self_inspection_form(client, cast, own, member):
    client.force_login(getattr(cast, member))
    assert client.get(reverse("portal:selfcheck")).status_code == 403
    assert post_json(client, reverse("portal:selfcheck_save"), {"version": 1}).status_code == 403
    assert client.post(reverse("portal:selfcheck_submit"), {"version": "1"}).status_code == 403


def test_officials_read_the_submitted_self_inspections_in_their_scope(client, cast, own, other):
    mine = self_inspected(own, non_compliant=("1.01",))
    theirs = self_inspected(other, non_compliant=("2.22",))
    photo = SelfPhoto.objects.get(answer__self_inspection=mine)
    client.force_login(cast.xiaodian)
    page = client.get(reverse("selfcheck:list")).content.decode()
    assert mine.institution.name in page and theirs.institution.name not in page
    detail = client.get(reverse("selfcheck:detail", args=[mine.pk]))
    assert detail.status_code == 200 and "1.01 自查发现问题" in detail.content.decode()
    assert client.get(reverse("selfcheck:photo", args=[photo.pk])).status_code == 200
    assert client.get(reverse("selfcheck:detail", args=[theirs.pk])).status_code == 404
    other_photo = SelfPhoto.objects.get(answer__self_inspection=theirs)
    assert client.get(reverse("selfcheck:photo", args=[other_photo.pk])).status_code == 404
    client.force_login(cast.taiyuan)
    assert client.get(reverse("selfcheck:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("selfcheck:detail", args=[theirs.pk])).status_code == 404


def test_a_draft_stays_the_institutions_own_until_submitted(client, cast, own):
    draft = self_inspected(own, non_compliant=("1.01",), submit=False)
    photo = SelfPhoto.objects.get()
    client.force_login(cast.xiaodian)
    assert client.get(reverse("selfcheck:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("selfcheck:photo", args=[photo.pk])).status_code == 404
    page = client.get(reverse("selfcheck:list") + "?status=draft").content.decode()
    assert draft.institution.name in page and "填写中" in page


def test_the_list_counts_and_filters_by_state(client, cast, places, own, other):
    self_inspected(own, non_compliant=("1.01",))
    client.force_login(cast.province)
    response = client.get(reverse("selfcheck:list"))
    counts = response.context["counts"]
    assert counts["submitted"] == 1 and counts["open"] == 1 and counts["total"] >= 2
    none = client.get(reverse("selfcheck:list") + "?status=none").content.decode()
    assert places.pingcheng.name in none and places.xiaodian.name not in none
    # An unknown filter is no filter, never an error.
    assert client.get(reverse("selfcheck:list") + "?status=%00").status_code in (200, 400)


# -- the phone form's endpoints and bad input --------------------------------------------


def test_the_form_saves_through_the_officers_protocol(client, own):
    client.force_login(own)
    assert "开始自查" in client.get(reverse("portal:selfcheck")).content.decode()
    assert client.post(reverse("portal:selfcheck")).status_code == 302
    page = client.get(reverse("portal:selfcheck"))
    assert 'id="inspection-form"' in page.content.decode() and 'data-locate="0"' in (
        page.content.decode()
    )
    record = SelfInspection.objects.get()
    saved = post_json(
        client,
        reverse("portal:selfcheck_save"),
        {"version": record.version, "answers": {"1.01": {"value": "non_compliant", "note": "x"}}},
    )
    assert saved.status_code == 200 and saved.json()["version"] == record.version + 1
    # Another phone saved meanwhile: this one's version is two behind.
    post_json(client, reverse("portal:selfcheck_save"), {"version": record.version + 1})
    stale = post_json(
        client,
        reverse("portal:selfcheck_save"),
        {"version": record.version, "answers": {"1.01": {"value": "compliant"}}},
    )
    assert stale.status_code == 409 and stale.json()["conflict"] is True
    upload = io.BytesIO(jpeg())
    upload.name = "a.jpg"
    photo = client.post(reverse("portal:selfcheck_photo_upload", args=["1.01"]), {"photo": upload})
    assert photo.status_code == 201
    assert client.get(photo.json()["url"]).status_code == 200


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"1.01": {"value": "compliant", "note": "坏\x00字"}}, "空字符"),
        ({"1.01": {"value": "non_compliant", "note": "响\x07铃"}}, "控制字符"),
        ({"1.01": {"value": "non_compliant", "note": "长" * 2001}}, "不能超过 2000 个字"),
        ({"1.01": {"value": "maybe"}}, "不是有效的自查结果"),
        ({"9.99": {"value": "compliant"}}, "不适用于本机构"),
        ({"2.08": {"number": "1e400"}}, "数值不正确"),
        ({"2.08": {"number": "-3"}}, "不能为负数"),
    ],
)
def test_bad_input_is_a_chinese_refusal_and_nothing_is_saved(client, own, answers, message):
    client.force_login(own)
    client.post(reverse("portal:selfcheck"))
    record = SelfInspection.objects.get()
    response = post_json(
        client, reverse("portal:selfcheck_save"), {"version": record.version, "answers": answers}
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    record.refresh_from_db()
    assert record.version == 1 and not SelfAnswer.objects.exists()


def test_a_submit_with_bad_fields_shows_the_reasons_and_keeps_the_draft(client, own):
    record = self_inspected(own, non_compliant=("1.01",), submit=False)
    client.force_login(own)
    record.refresh_from_db()
    for fields, message in [
        ({"fix_by": "2026-02-30"}, "日期格式不正确"),
        ({"fix_by": ""}, "请填写计划整改完成日期"),
        ({"fix_by": "2099-01-01"}, "不能晚于一年以后"),
        ({"fix_by": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
          "summary": "\x1b[31m"}, "控制字符"),
    ]:  # fmt: skip
        response = client.post(
            reverse("portal:selfcheck_submit"), {"version": record.version, **fields}
        )
        assert response.status_code == 400 and message in response.content.decode()
    assert client.post(reverse("portal:selfcheck_submit"), {"version": "x"}).status_code == 400
    record.refresh_from_db()
    assert record.status == SelfInspection.Status.DRAFT


# -- the county's screening form shows the self-answer -----------------------------------


def test_the_screening_form_shows_the_self_answer_beside_each_item(client, cast, places, own):
    from tests.inspections.test_inspections import start

    self_inspected(own, non_compliant=("1.01",))
    inspection = start(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert 'data-testid="self-answer-1.01"' in page and "1.01 自查发现问题" in page
    assert 'data-testid="self-answer-1.02"' in page
    photo = SelfPhoto.objects.get()
    assert reverse("selfcheck:photo", args=[photo.pk]) in page


# -- found by review ----------------------------------------------------------------------


def test_an_autosave_arriving_after_the_submit_cannot_reopen_it(own):
    """The phone's autosave (loaded before the submit, same account, version one behind)
    must not pass as a lost reply and save its stale copy over the submitted record."""
    record = self_inspected(own, non_compliant=("1.01",), submit=False)
    record.refresh_from_db()
    stale = SelfInspection.objects.get(pk=record.pk)
    scope = scope_for(own)
    services.self_submit(
        self_inspection=record, actor=own, scope=scope, version=record.version,
        fix_by=timezone.localdate() + dt.timedelta(days=5),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="自查表已提交"):
        services.self_save_draft(
            self_inspection=stale, actor=own, scope=scope, version=stale.version,
            answers={"1.02": {"value": "na"}},
        )  # fmt: skip
    record.refresh_from_db()
    assert record.status == SelfInspection.Status.SUBMITTED and record.submitted_at


def test_unticking_the_kitchen_drops_the_kitchen_answers(own):
    scope = scope_for(own)
    record = services.self_inspection_start(scope=scope, actor=own)
    record = services.self_save_draft(
        self_inspection=record, actor=own, scope=scope, version=record.version, answers={},
        has_kitchen=True,
    )  # fmt: skip
    record = services.self_save_draft(
        self_inspection=record, actor=own, scope=scope, version=record.version,
        answers={"2.14": {"value": "non_compliant", "note": "厨房无灭火毯"}},
    )  # fmt: skip
    services.self_save_draft(
        self_inspection=record, actor=own, scope=scope, version=record.version, answers={},
        has_kitchen=False,
    )  # fmt: skip
    assert not SelfAnswer.objects.filter(item__code="2.14").exists()


def test_a_correction_keeps_the_submitted_self_assessment_and_the_text(own):
    record = self_inspected(own, non_compliant=())
    scope = scope_for(own)
    services.self_amend(
        self_inspection=record, actor=own, scope=scope, code="2.22", value="non_compliant",
        note="复核发现", reason="看到检查结果后更正",
    )  # fmt: skip
    answer = SelfAnswer.objects.get(self_inspection=record, item__code="2.22")
    assert (answer.value, answer.submitted_value) == ("non_compliant", "compliant")


def test_a_fire_officer_reads_only_the_fire_sections_corrections_and_open_items(client, own):
    """Found by review: the corrections and the open-item counts crossed sections."""
    from accounts.models import RoleGrant
    from tests.factories import UserFactory

    record = self_inspected(own, non_compliant=("1.01",))
    services.self_amend(
        self_inspection=record, actor=own, scope=scope_for(own), code="1.02",
        value="non_compliant", note="疏散通道堆放杂物", reason="漏看二楼",
    )  # fmt: skip
    fire = UserFactory(username="fire_xd", grant=("county_officer", "140105"))
    RoleGrant.objects.filter(user=fire).update(department="fire")
    client.force_login(fire)
    page = client.get(reverse("selfcheck:detail", args=[record.pk])).content.decode()
    assert "漏看二楼" not in page and "1.02" not in page
    listing = client.get(reverse("selfcheck:list"))
    row = next(i for i in listing.context["page"] if i.pk == record.institution_id)
    assert not row.self_open  # 1.01 and 1.02 are education's (section 一)


def test_the_boards_not_submitted_link_lists_drafts_and_the_not_begun(client, cast, places, own):
    self_inspected(own, submit=False)
    client.force_login(cast.province)
    page = client.get(reverse("selfcheck:list") + "?status=unsubmitted").content.decode()
    assert places.xiaodian.name in page and places.pingcheng.name in page
