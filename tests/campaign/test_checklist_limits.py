"""Measured checklist items with a limit ([fidelity] #18 item 1) and the checklist's wording
(item 9): 2.08 "不少于 3 平方米/人", 2.12 "不超过 6 人", 2.13 "不少于 5 平方米/人" judge the
number typed, whatever the officer picked; a broken limit is a problem like any other, on
the problem list, the notice, the API, and through corrections."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_for
from campaign.models import ChecklistItem, ChecklistTemplate
from campaign.services import DATA, checklist_load
from inspections import amendments, services
from inspections.models import Amendment, Answer, Finding
from tests.inspections.test_inspections import answer_all, start, submit
from tests.inspections.test_problems import seed_campaign

WEEK = dt.timedelta(days=7)


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def draft(cast, places, campaign):
    """小店区, everything answered inside the limits, with a dormitory (2.12, 2.13 asked)."""
    inspection = start(cast.xiaodian, places.xiaodian, has_dormitory=True)
    return answer_all(cast.xiaodian, inspection)


def save(user, inspection, answers):
    inspection.refresh_from_db()
    return services.inspection_save_draft(
        inspection=inspection, actor=user, scope=scope_for(user), version=inspection.version,
        answers=answers,
    )  # fmt: skip


def answer(inspection, code):
    return Answer.objects.get(inspection=inspection, item__code=code)


# -- the limit judges the number -----------------------------------------------------------


def test_the_2023_checklist_carries_the_three_limits_with_their_units(campaign):
    items = {
        i.code: i for i in ChecklistItem.objects.filter(template__campaign=campaign, code__in=["2.08", "2.12", "2.13"])
    }  # fmt: skip
    assert (items["2.08"].limit_min, items["2.08"].limit_max) == (Decimal("3"), None)
    assert (items["2.12"].limit_min, items["2.12"].limit_max) == (None, Decimal("6"))
    assert (items["2.13"].limit_min, items["2.13"].limit_max) == (Decimal("5"), None)
    assert items["2.08"].limit_text == "不少于 3 平方米/人"
    assert items["2.12"].limit_text == "不超过 6 人"
    assert items["2.13"].limit_text == "不少于 5 平方米/人"


@pytest.mark.parametrize(
    ("code", "number", "value"),
    [
        ("2.08", "1.0", "non_compliant"),  # below the minimum
        ("2.08", "2.99", "non_compliant"),
        ("2.08", "3", "compliant"),  # exactly the limit complies
        ("2.08", "3.00", "compliant"),
        ("2.08", "2.995", "compliant"),  # kept as 3.00 (two places, half up), as the phone rounds
        ("2.12", "12", "non_compliant"),  # above the maximum
        ("2.12", "6", "compliant"),
        ("2.12", "6.01", "non_compliant"),
        ("2.13", "1.5", "non_compliant"),
        ("2.13", "5", "compliant"),
    ],
)
def test_the_limit_decides_the_answer_whatever_the_officer_picked(cast, draft, code, number, value):
    save(cast.xiaodian, draft, {code: {"number": number, "value": "compliant"}})
    assert answer(draft, code).value == value
    # Picking 不合规 for a number inside the limit changes nothing either.
    save(cast.xiaodian, draft, {code: {"number": number, "value": "non_compliant"}})
    assert answer(draft, code).value == value


def test_without_a_number_a_measured_item_is_unanswered_and_submit_asks_for_it(cast, draft):
    save(cast.xiaodian, draft, {"2.08": {"number": "", "value": "compliant"}})
    assert (answer(draft, "2.08").number, answer(draft, "2.08").value) == (None, "")
    with pytest.raises(ValidationError) as refused:
        submit(cast.xiaodian, draft, result="compliant")
    assert "2.08 尚未填写数值" in refused.value.messages
    draft.refresh_from_db()
    assert draft.status == "draft" and not Finding.objects.exists()


def test_a_broken_limit_becomes_a_problem_at_submit_with_the_value_and_the_limit(cast, draft):
    save(cast.xiaodian, draft, {"2.08": {"number": "1.5"}, "2.12": {"number": "12"}})
    with pytest.raises(ValidationError, match="检查结论不能为“合格”"):
        submit(cast.xiaodian, draft, result="compliant")
    inspection = submit(cast.xiaodian, draft)
    problems = {f.item.code: f for f in Finding.objects.filter(task__inspection=inspection)}
    assert sorted(problems) == ["2.08", "2.12"]
    assert problems["2.08"].task.department == "fire"
    assert problems["2.08"].description == (
        "教学用房人均面积（按同一时段最多在场学员数计算）：实测 1.5 平方米/人，规定不少于 3 平方米/人"
    )
    assert problems["2.12"].measured == "实测 12 人，规定不超过 6 人"


def test_submit_judges_again_a_draft_saved_with_a_stale_result(cast, draft):
    """A draft kept from before the limit judged it (value 合规, number 1.0) is judged at submit."""
    Answer.objects.filter(inspection=draft, item__code="2.08").update(
        number=Decimal("1.0"), value="compliant"
    )
    submit(cast.xiaodian, draft)
    assert answer(draft, "2.08").value == "non_compliant"
    assert Finding.objects.get().item.code == "2.08"


def test_a_note_is_kept_beside_the_measured_value(cast, draft):
    save(cast.xiaodian, draft, {"2.08": {"number": "2", "note": "大教室坐了 40 人"}})
    submit(cast.xiaodian, draft)
    assert Finding.objects.get().description == (
        "大教室坐了 40 人（实测 2 平方米/人，规定不少于 3 平方米/人）"
    )


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["1\x00", "1e20", "NaN", "Infinity", "-1e10", "9" * 5000, "三", True, [3], {"n": 3}]
)
def test_a_bad_number_is_refused_in_chinese_and_nothing_is_written(cast, draft, number):
    before = (draft.version, sorted(draft.answers.values_list("item__code", "value", "number")))
    with pytest.raises(ValidationError) as refused:
        save(cast.xiaodian, draft, {"2.08": {"number": number}})
    message = " ".join(refused.value.messages)
    assert "2.08 的数值不正确，请填写数字" in message
    assert "\x00" not in message and len(message) < 100  # the value typed is never echoed
    draft.refresh_from_db()
    assert (
        draft.version,
        sorted(draft.answers.values_list("item__code", "value", "number")),
    ) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"version": 1, "answers": {"2.08": {"number": "1\\u0000"}}}', "不能包含控制字符"),
        ('{"version": 1, "answers": {"2.08": {"number": "1e99999"}}}', "2.08 的数值不正确"),
        (
            '{"version": 1, "answers": {"2.08": {"number": "' + "9" * 3000 + '"}}}',
            "2.08 的数值不正确",
        ),
    ],
)
def test_the_phone_forms_save_refuses_a_bad_number_in_chinese(
    client, cast, places, campaign, body, message
):
    inspection = start(cast.xiaodian, places.xiaodian)
    client.force_login(cast.xiaodian)
    response = client.post(
        reverse("inspections:save", args=[inspection.pk]),
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400 and message in response.json()["error"]
    inspection.refresh_from_db()
    assert inspection.version == 1 and not inspection.answers.exists()


@pytest.mark.parametrize("number", ["-3", "-0.001", "-1e-7", -1, Decimal("-6")])
def test_a_negative_number_is_refused_in_chinese_and_nothing_is_written(cast, draft, number):
    """−3 people per dormitory room would pass "不超过 6 人": no count or area is negative."""
    before = (draft.version, sorted(draft.answers.values_list("item__code", "value", "number")))
    with pytest.raises(ValidationError) as refused:
        save(cast.xiaodian, draft, {"2.12": {"number": number}})
    assert " ".join(refused.value.messages) == "2.12 的数值不能为负数"
    draft.refresh_from_db()
    assert (
        draft.version,
        sorted(draft.answers.values_list("item__code", "value", "number")),
    ) == before


def test_exponent_input_is_read_and_rounded_as_the_phone_form_reads_it(cast, draft):
    """The browser's number box accepts 1e-7 and 3e0; both sides round half up to 0.01
    (static/js/inspection_form.js), so 1e-7 m² is 0.00 and breaks "不少于 3"."""
    save(cast.xiaodian, draft, {"2.08": {"number": "1e-7"}, "2.13": {"number": "5e0"}})
    assert (answer(draft, "2.08").number, answer(draft, "2.08").value) == (
        Decimal("0.00"), "non_compliant",
    )  # fmt: skip
    assert (answer(draft, "2.13").number, answer(draft, "2.13").value) == (
        Decimal("5.00"), "compliant",
    )  # fmt: skip


# -- loading a checklist with limits --------------------------------------------------------


def checklist_file(tmp_path, **changes):
    """The 2023 checklist with item 2.08's fields changed (None removes a field)."""
    data = json.loads((DATA / "checklist_2023.json").read_text(encoding="utf-8"))
    code = changes.pop("code", "2.08")
    item = next(i for i in data["items"] if i["code"] == code)
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    path = tmp_path / "checklist.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"limit": {"least": 3}},
            '检查项 2.08 的限值类型“"least"”无效，只能是 min（不少于）或 max（不超过）',
        ),
        ({"limit": {"min": "abc"}}, '检查项 2.08 的限值 "abc" 不是有效数字'),
        ({"limit": {"min": True}}, "检查项 2.08 的限值 true 不是有效数字"),
        ({"limit": {"min": "NaN"}}, "不是有效数字"),
        ({"limit": {"min": 1e12}}, "不是有效数字"),
        ({"limit": {"min": 3.005}}, "不是有效数字"),
        ({"limit": {"min": "3\u0000"}}, "不是有效数字"),
        ({"limit": {}}, "检查项 2.08 的限值格式不正确"),
        ({"limit": [3]}, "检查项 2.08 的限值格式不正确"),
        ({"limit": 3}, "检查项 2.08 的限值格式不正确"),
        ({"limit": {"min": 7, "max": 6}}, "检查项 2.08 的下限 7 大于上限 6"),
        ({"limit": {"min": 3}, "unit": ""}, "检查项 2.08 设置了限值，须填写单位（unit）"),
        ({"code": "2.22", "limit": {"min": 3}}, "检查项 2.22 不是数值项，不能设置限值"),
    ],
)
def test_a_bad_limit_is_refused_in_chinese_and_nothing_is_written(
    campaign, tmp_path, changes, message
):
    path = checklist_file(tmp_path, **changes)
    counts = (ChecklistTemplate.objects.count(), ChecklistItem.objects.count())
    with pytest.raises(ValidationError) as refused:
        checklist_load(campaign=campaign, path=path)
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert (ChecklistTemplate.objects.count(), ChecklistItem.objects.count()) == counts
    assert campaign.checklists.get(is_active=True).version == 1


def test_loading_new_limits_makes_a_new_version_and_leaves_the_old_one(
    cast, campaign, tmp_path, draft
):
    path = checklist_file(tmp_path, limit={"min": 4, "max": 50})
    new = checklist_load(campaign=campaign, path=path)
    assert new.version == 2 and new.is_active
    item = new.items.get(code="2.08")
    assert (item.limit_min, item.limit_max, item.limit_text) == (4, 50, "4～50 平方米/人")
    old = ChecklistItem.objects.get(template__version=1, code="2.08")
    assert (old.limit_min, old.limit_max) == (Decimal("3"), None)
    # The draft keeps the version it started with: 3.5 still complies there.
    save(cast.xiaodian, draft, {"2.08": {"number": "3.5"}})
    assert answer(draft, "2.08").value == "compliant"


def test_the_load_checklist_command_names_every_bad_limit_and_loads_nothing(campaign, tmp_path):
    path = checklist_file(tmp_path, limit={"min": 7, "max": 6, "most": 1})
    with pytest.raises(Exception, match="检查表文件有误，未载入") as refused:
        call_command("load_checklist", str(path), campaign=campaign.pk)
    assert "下限 7 大于上限 6" in str(refused.value) and '“"most"”无效' in str(refused.value)
    assert campaign.checklists.count() == 1


# -- corrections carry through --------------------------------------------------------------


@pytest.fixture
def measured(cast, draft):
    """Submitted with one problem: 2.08 measured 1.5 m² per student."""
    save(cast.xiaodian, draft, {"2.08": {"number": "1.5"}})
    return submit(cast.xiaodian, draft)


def amend(user, inspection, **kwargs):
    kwargs.setdefault("reason", "复核测量有误")
    return amendments.inspection_amend(
        inspection=inspection, actor=user, scope=scope_for(user), **kwargs
    )


def test_a_number_corrected_inside_the_limit_withdraws_its_problem(cast, measured):
    amendment = amend(cast.xiaodian, measured, numbers={"2.08": "3.2"}, result="compliant")
    problem = Finding.objects.get()
    assert (problem.status, problem.withdrawn_by) == ("withdrawn", amendment)
    assert answer(measured, "2.08").value == "compliant"
    assert {"field": "2.08.number", "old": "1.50", "new": "3.20"} in amendment.changes
    assert {"field": "2.08.value", "old": "non_compliant", "new": "compliant"} in amendment.changes


def test_a_number_corrected_to_break_the_limit_becomes_a_problem(cast, places, draft):
    inspection = submit(cast.xiaodian, draft, result="compliant")
    deadline = timezone.localdate() + WEEK
    amend(
        cast.xiaodian,
        inspection,
        numbers={"2.13": "4"},
        result="rectify",
        rectify_deadline=deadline,
    )
    problem = Finding.objects.get()
    assert (problem.item.code, problem.status, problem.task.department) == ("2.13", "open", "fire")
    assert problem.measured == "实测 4 平方米/人，规定不少于 5 平方米/人"
    assert "实测 4 平方米/人" in problem.description


def test_a_number_still_breaking_the_limit_keeps_the_problem_with_the_new_value(cast, measured):
    amend(cast.xiaodian, measured, numbers={"2.08": "2"})
    problem = Finding.objects.get()
    assert problem.status == "open" and "实测 2 平方米/人" in problem.description


def test_a_measured_items_result_cannot_be_set_by_hand_and_a_bad_number_writes_nothing(
    cast, measured
):
    def state():
        return (
            sorted(Finding.objects.values_list("status", "description")),
            answer(measured, "2.08").number,
            Amendment.objects.count(),
        )

    before = state()
    with pytest.raises(ValidationError, match="不是合规判断项"):
        amend(cast.xiaodian, measured, values={"2.08": "compliant"}, result="compliant")
    for bad in ("3\x00", "1e30", "", "NaN", "-3"):
        with pytest.raises(ValidationError):
            amend(cast.xiaodian, measured, numbers={"2.08": bad}, result="compliant")
    with pytest.raises(ValidationError, match="不是有标准限值的数值项"):
        amend(cast.xiaodian, measured, numbers={"1.01": "3"})
    assert state() == before


def test_correcting_a_number_out_of_scope_is_404_or_403_and_nothing_changes(client, cast, measured):
    url = reverse("inspections:amend", args=[measured.pk])
    data = {"reason": "x", "item": "2.08", "number": "3.5", "result": "compliant"}
    client.force_login(cast.pingcheng)
    assert client.post(url, data).status_code == 404
    client.force_login(cast.admin)
    assert client.post(url, data).status_code == 403
    with pytest.raises(PermissionDenied):
        amend(cast.pingcheng, measured, numbers={"2.08": "3.5"}, result="compliant")
    assert answer(measured, "2.08").number == Decimal("1.50")
    assert Finding.objects.get().status == "open" and not Amendment.objects.exists()


def test_the_record_page_corrects_a_number_and_labels_the_change(client, cast, measured):
    client.force_login(cast.xiaodian)
    page = client.get(reverse("inspections:detail", args=[measured.pk])).content.decode()
    assert 'name="number"' in page and "标准：不少于 3 平方米/人" in page
    response = client.post(
        reverse("inspections:amend", args=[measured.pk]),
        {"reason": "重新丈量", "item": "2.08", "number": "3.5", "result": "compliant"},
        follow=True,
    )
    body = response.content.decode()
    assert "更正已记录" in body and "2.08 数值：1.50 → 3.50" in body
    assert Finding.objects.get().status == "withdrawn"


# -- what people read -----------------------------------------------------------------------


def test_the_phone_form_shows_each_limit_beside_its_box(client, cast, draft):
    save(cast.xiaodian, draft, {"2.08": {"number": "1.5"}})
    client.force_login(cast.xiaodian)
    body = client.get(reverse("inspections:detail", args=[draft.pk])).content.decode()
    assert 'data-testid="limit-2.08">标准：不少于 3 平方米/人' in body
    assert 'data-testid="limit-2.12">标准：不超过 6 人' in body
    assert 'data-limit-min="3.00" data-limit-max=""' in body
    # No count or area is negative: the box itself says so (the server refuses one).
    assert body.count('data-field="number" min="0"') == 3
    # Broken on the server's reading too: the warning shows without any script.
    assert (
        'data-testid="limit-broken-2.08">不符合标准（不少于 3 平方米/人），提交后将列为问题' in body
    )
    assert 'data-testid="limit-broken-2.12" hidden>' in body


def test_the_problem_list_notice_and_api_show_the_measured_value_and_the_limit(
    client, cast, measured
):
    client.force_login(cast.xiaodian)
    problems = client.get(reverse("inspections:problems")).content.decode()
    assert "实测 1.5 平方米/人，规定不少于 3 平方米/人" in problems
    notice = client.get(reverse("inspections:notice", args=[measured.pk])).content.decode()
    assert "应达到的要求" in notice
    assert "教学用房人均面积（按同一时段最多在场学员数计算）：不少于 3 平方米/人" in notice
    assert "实测 1.5 平方米/人，规定不少于 3 平方米/人" in notice
    finding = Finding.objects.get()
    page = client.get(reverse("inspections:finding", args=[finding.pk])).content.decode()
    assert 'data-testid="measured">实测 1.5 平方米/人' in page
    api = client.get(f"/api/v1/findings/{finding.pk}/").json()
    assert (api["measured_value"], api["limit"]) == ("1.50", "不少于 3 平方米/人")
    items = client.get("/api/v1/checklists/").json()["results"][0]["items"]
    limits = {
        i["code"]: (i["limit_min"], i["limit_max"])
        for i in items
        if i["limit_min"] or i["limit_max"]
    }
    assert limits == {"2.08": ("3.00", None), "2.12": (None, "6.00"), "2.13": ("5.00", None)}


# -- the wording ([fidelity] item 9) ---------------------------------------------------------


def test_every_item_is_a_statement_without_a_double_negative(campaign):
    items = ChecklistItem.objects.filter(template__campaign=campaign)
    assert items.count() == 79
    for item in items:
        assert "是否" not in item.text and not item.text.endswith(("？", "?")), item.code
        assert "是否未" not in item.text and "未…" not in item.text
    texts = dict(items.values_list("code", "text"))
    assert texts["2.10"] == "培训场所所在建筑内不设宿舍，学员和员工均不在此住宿"
    # The notice: 是否购买场所责任险、人身意外伤害险 — bought, not merely suggested.
    assert "已为参训学员购买人身意外伤害险" in texts["1.18"] and "提示" not in texts["1.18"]


def test_a_problem_without_a_note_says_the_statement_was_not_met(cast, places, campaign):
    inspection = start(cast.xiaodian, places.xiaodian)
    answer_all(cast.xiaodian, inspection)
    save(cast.xiaodian, inspection, {"1.09": {"value": "non_compliant", "note": ""}})
    inspection.refresh_from_db()
    services.inspection_submit(
        inspection=inspection, actor=cast.xiaodian, scope=scope_for(cast.xiaodian),
        version=inspection.version, result="rectify", rectify_deadline=timezone.localdate() + WEEK,
    )  # fmt: skip
    assert Finding.objects.get().description == "未达到要求：设施设备和场所定期消毒，并留存消毒记录"


def test_the_fee_table_labels_the_non_subject_time_cap_as_the_2022_national_rule(
    client, cast, campaign
):
    client.force_login(cast.province)
    body = client.get(reverse("campaign:detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="fee-source-2022">※' in body
    assert "※ 非学科类 3 个月 / 60 课时的上限出自 2022 年教育部等十三部门" in body
    assert "51 号文未作此要求" in body
