"""Control characters are refused at every way in: forms, the API, spreadsheet imports.

One such character (\\x0b, as Word's manual line break pastes) in a stored institution name
broke every xlsx ledger that carried the row; the public complaint form let anyone store
one. The rule lives in core/text.py and is the default of every CharField.
"""

import importlib
import io
import json
import pkgutil
import zipfile

import pytest
from django import forms
from django.urls import reverse
from rest_framework import serializers

from complaints.forms import PublicComplaintForm
from complaints.models import Case
from core.text import (
    MULTILINE_STYLE,
    ControlCharacterValidator,
    control_character_message,
    parse_json,
)
from institutions.models import Institution
from personnel.models import StaffMember
from tests.api.test_api import institution_body
from tests.complaints import test_complaints_pages
from tests.complaints.test_complaints_pages import form_data
from tests.institutions.test_import import HEADER, check, code, errors, xlsx
from tests.institutions.test_institution_pages import form_data as institution_form
from tests.personnel.test_personnel import NUMBER

pytestmark = pytest.mark.django_db
_fresh_rate_limits = test_complaints_pages._fresh_rate_limits

PROJECT_APPS = ("accounts", "api", "campaign", "clock", "complaints", "fees", "inspections",
                "institutions", "ops", "personnel", "progress", "reporting", "sampling")  # fmt: skip


# -- the rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "multiline", "refused_at"),
    [
        ("博雅\x0b舞蹈", False, "第 3 个字符是垂直制表符（U+000B）"),
        ("博雅\x0b舞蹈", True, "第 3 个字符是垂直制表符（U+000B）"),
        ("a\x00", True, "第 2 个字符是空字符（U+0000）"),
        ("第一行\n第二行", False, "第 4 个字符是换行符（U+000A）"),
        ("价格\x85", True, "第 3 个字符是控制字符（U+0085）"),
        ("x\ud800", True, "第 2 个字符（U+D800）不是有效的文字"),
        ("第一行\r\n\t第二行", True, None),
        ("普通文字 Ordinary text，标点。", False, None),
    ],
)
def test_the_rule_names_the_refused_character_and_where_it_is(text, multiline, refused_at):
    message = control_character_message(text, multiline=multiline)
    if refused_at is None:
        assert message is None
    else:
        assert refused_at in message


def _project_classes(base):
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            if info.name.startswith(("ops.load", "ops.scale")):
                continue
            importlib.import_module(info.name)
    seen, todo = [], [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                seen.append(sub)
    return seen


def _rules(field) -> list:
    return [v for v in field.validators if isinstance(v, ControlCharacterValidator)]


def test_every_char_field_of_every_form_carries_the_rule():
    checked = 0
    for form_class in _project_classes(forms.BaseForm):
        for name, field in form_class.base_fields.items():
            if isinstance(field, forms.CharField):
                rules = _rules(field)
                assert len(rules) == 1, f"{form_class.__qualname__}.{name}"
                assert rules[0].multiline == isinstance(field.widget, forms.Textarea)
                checked += 1
    assert checked > 50
    # Fields made in a form's __init__ get it as well.
    made = forms.CharField(widget=forms.Textarea)
    assert _rules(made) == [ControlCharacterValidator(multiline=True)]


def test_every_char_field_of_every_serializer_carries_the_rule():
    checked = 0
    for serializer_class in _project_classes(serializers.Serializer):
        for name, field in serializer_class().fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                rules = _rules(field)
                assert len(rules) == 1, f"{serializer_class.__qualname__}.{name}"
                assert rules[0].multiline == (field.style == MULTILINE_STYLE)
                checked += 1
    assert checked > 10
    # Free text declared on a serializer keeps its line breaks.
    from inspections.api import FindingReportSerializer

    assert FindingReportSerializer(data={"note": "一、已整改\n二、已复查"}).is_valid()


# -- forms and the API ------------------------------------------------------------------


def test_the_public_complaint_form_refuses_a_control_character_and_saves_nothing(client, cast):
    client.get(reverse("complaints_public:form"))
    data = form_data(client, institution_name="博雅\x0b舞蹈")
    response = client.post(reverse("complaints_public:form"), data)
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert not Case.objects.exists()
    # The form itself says which field, should the request get past the early check.
    form = PublicComplaintForm(data=data)
    assert not form.is_valid() and "U+000B" in form.errors["institution_name"][0]


def test_the_complaint_description_keeps_its_line_breaks_and_refuses_the_rest(client, cast):
    client.get(reverse("complaints_public:form"))
    data = form_data(client, description="第一段。\r\n\t第二段。")
    form = PublicComplaintForm(data=data)
    form.is_valid()
    assert "description" not in form.errors
    form = PublicComplaintForm(
        data={**data, "description": "机构收了一年学费。\x0c现在关门不退费。"}
    )
    assert not form.is_valid() and "换页符" in form.errors["description"][0]


def test_the_institution_form_refuses_a_control_character_and_writes_nothing(client, cast):
    client.force_login(cast.xiaodian)
    response = client.post(reverse("institutions:create"), institution_form(name="星火\x0b街舞"))
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert not Institution.objects.exists()
    # A single-line field refuses a line break too (a browser never sends one in an input).
    response = client.post(reverse("institutions:create"), institution_form(name="星火\n街舞"))
    assert response.status_code == 200 and "换行符（U+000A）" in response.content.decode()
    assert not Institution.objects.exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("星火\x0b街舞", "垂直制表符（U+000B）"),
        ("星火\x00街舞", "空字符（U+0000）"),
        ("星火\ud800街舞", "U+D800"),
    ],  # fmt: skip
)
def test_the_institution_api_refuses_a_control_character_and_writes_nothing(
    client, cast, places, name, reason
):
    client.force_login(cast.xiaodian)
    body = json.dumps(institution_body(name=name))
    response = client.post(reverse("api:institution-list"), body, content_type="application/json")
    assert response.status_code == 400 and reason in json.dumps(response.json(), ensure_ascii=False)
    assert Institution.objects.count() == 3
    response = client.patch(
        reverse("api:institution-detail", args=[places.xiaodian.pk]),
        json.dumps({"address": f"长治路{name}"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    places.xiaodian.refresh_from_db()
    assert "街舞" not in places.xiaodian.address


def test_the_staff_form_refuses_a_control_character_and_writes_nothing(client, cast, places):
    client.force_login(cast.xiaodian)
    data = {"institution": places.xiaodian.pk, "name": "孙\x0b七", "id_number": NUMBER,
            "post": "cleaner", "platform_complete": "true"}  # fmt: skip
    response = client.post(reverse("personnel:create"), data)
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    assert not StaffMember.objects.exists()
    response = client.post(reverse("personnel:create"), {**data, "name": "孙\t七"})
    assert response.status_code == 200 and "制表符（U+0009）" in response.content.decode()
    assert not StaffMember.objects.exists()


def test_the_json_reader_keeps_line_breaks_in_free_text_and_refuses_the_rest():
    assert parse_json('{"note": "一\\n二\\t三"}', text="multiline") == {"note": "一\n二\t三"}
    for body in ('{"note": "一\\u000b二"}', '{"n\\u0000": 1}', '["\\ud800"]'):
        with pytest.raises(ValueError, match="字符"):
            parse_json(body, text="multiline")


# -- imports ----------------------------------------------------------------------------


def test_an_import_reports_a_control_character_with_its_row_and_column(cast, places):
    admin = cast.admin
    lines = [",".join(HEADER),
             f"小店区博雅\x0b舞蹈培训学校,{code()},非学科类,文化艺术,小店区,80",
             f"迎泽区育才数学培训学校,{code('140106')},学科类,,140106,1\x1f20"]  # fmt: skip
    run = check(admin, "\n".join(lines).encode(), name="名录.csv")
    found = errors(run)
    assert [(row, column) for row, column, _reason in found] == [
        (2, "机构名称（A列）"), (3, "可容纳学生数（F列）")
    ]  # fmt: skip
    assert "垂直制表符（U+000B）" in found[0][2] and "U+001F" in found[1][2]
    assert Institution.objects.count() == 3


def test_an_xlsx_cell_with_a_control_character_is_a_row_error(cast):
    # Excel keeps such a character as the escape _x000B_; openpyxl refuses to write one, so
    # the escape is put into the saved file's XML.
    data = xlsx(
        [
            HEADER,
            ["小店区博雅PLACEHOLDER舞蹈培训学校", code(), "非学科类", "文化艺术", "小店区", 80],
        ]
    )
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info).replace(b"PLACEHOLDER", b"_x000B_"))
    run = check(cast.admin, out.getvalue())
    ((row, column, reason),) = errors(run)
    assert (row, column) == (2, "机构名称（A列）") and "垂直制表符（U+000B）" in reason
    assert not Institution.objects.exists()


def test_an_import_reads_a_tab_or_line_break_inside_a_cell_as_a_space(cast):
    lines = [",".join(HEADER), f'"小店区\t博雅舞蹈\n培训学校",{code()},非学科类,文化艺术,小店区,80']
    run = check(cast.admin, "\n".join(lines).encode(), name="名录.csv")
    assert run.error_count == 0 and run.created_count == 1
