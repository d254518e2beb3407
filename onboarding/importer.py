"""The account importer (账号导入): a sheet of people → accounts, each with one grant.

It rides the one import flow (tabular): every row is checked against the delegation rules
(accounts/delegation.py, the uploader's grants as held) before anything is written, and the
accounts are made by `accounts.services.user_create`, all in one transaction or none. A row
whose user name exists already with that very grant is unchanged, so the same file imported
twice changes nothing; any other existing user name is a row error: an account is changed on
its own page, never by a sheet.

The initial passwords are made at write time and leave the write only encrypted, on the run
(`outcome`), to be downloaded once (onboarding/passwords.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.delegation import grant_problems
from accounts.models import User
from accounts.roles import Department, Role
from accounts.scope import Scope
from accounts.selectors import accounts_by_username
from accounts.services import generate_password, user_create
from core.models import Region
from core.text import control_character_message
from tabular.importer import Column, Importer, Plan, PlannedRow, RowError
from tabular.reading import CellError, choice_parser, clean_code, clean_text

from . import passwords

KIND = "accounts"
PERMISSION = "accounts.manage"

_LIMITS = {
    "full_name": User._meta.get_field("full_name").max_length,
    "username": User._meta.get_field("username").max_length,
}
# A cell longer than this is refused before it is read further, and never echoed back.
_RAW_LIMIT = 200
_MOBILE = re.compile(r"1[3-9]\d{9}")
_REGION_CODE = re.compile(r"\d{6}")


def _refuse_raw(value: object, limit: int = _RAW_LIMIT) -> None:
    """NUL and other control characters are refused, not quietly dropped (clean_text drops a
    NUL); an overlong cell is refused without repeating it."""
    if isinstance(value, str):
        if len(value) > limit:
            raise CellError(
                _("内容过长（%(n)d 个字），上限 %(limit)d 个字") % {"n": len(value), "limit": limit}
            )
        if "\x00" in value:
            raise CellError(_("含有空字符（NUL），请删除后重新填写"))
        if message := control_character_message(value):
            raise CellError(message)


def _text(limit: int):
    def parse(value: object) -> str:
        _refuse_raw(value, max(limit, _RAW_LIMIT))
        text = clean_text(value)
        if len(text) > limit:
            raise CellError(_("超过 %(n)d 个字") % {"n": limit})
        return text

    return parse


def parse_username(value: object) -> str:
    text = _text(_LIMITS["username"])(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    try:
        UnicodeUsernameValidator()(text)
    except ValidationError:
        raise CellError(
            _("用户名“%(name)s”只能包含字母、数字和 @ . + - _，不能有空格") % {"name": text}
        ) from None
    return text


def parse_phone(value: object) -> str:
    _refuse_raw(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", clean_text(value))
    phone = re.sub(r"[\s\-]", "", text)
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not _MOBILE.fullmatch(phone):
        raise CellError(_("手机号“%(phone)s”不正确：应为 11 位手机号码") % {"phone": text})
    return phone


def parse_region_code(value: object) -> str:
    _refuse_raw(value)
    code = clean_code(value)
    if code and not _REGION_CODE.fullmatch(code):
        raise CellError(
            _("地区代码“%(code)s”不正确：应为 6 位行政区划代码，如 140105") % {"code": code}
        )
    return code


def _labelled(choices, label: str):
    """The Chinese labels (whatever the uploader's language) and the codes themselves."""
    with translation.override("zh-hans"):
        words = {str(choice.label): choice.value for choice in choices}
    words.update({choice.value: choice.value for choice in choices})
    parse = choice_parser(words, label)

    def limited(value: object):
        _refuse_raw(value, 64)
        return parse(value)

    return limited


def _zh_labels(choices) -> str:
    with translation.override("zh-hans"):
        return "、".join(str(choice.label) for choice in choices)


def columns() -> list[Column]:
    return [
        Column("full_name", "姓名", True, ("真实姓名",), _text(_LIMITS["full_name"])),
        Column("username", "用户名", True, ("登录名", "账号", "帐号"), parse_username,
               "登录用的名字：字母、数字和 @ . + - _"),
        Column("phone", "手机号", False, ("手机", "手机号码", "联系电话"), parse_phone,
               "11 位手机号码"),
        Column("region", "地区代码", True, ("行政区划代码", "地区编码", "区划代码"),
               parse_region_code, "6 位行政区划代码，如 140105（小店区）"),
        Column("role", "角色", True, (), _labelled(Role, "角色"), _zh_labels(Role)),
        Column("department", "部门", False, ("所属部门",), _labelled(Department, "部门"),
               _zh_labels(Department) + "；留空为教育（部门用户必填，且不能为教育）"),
    ]  # fmt: skip


class AccountImporter(Importer):
    kind = KIND
    key = "username"

    def __init__(self, *, actor, progress=None):
        super().__init__(actor=actor, progress=progress)
        self.columns = columns()
        # The uploader's grants as held, like user_create's own check at write time.
        self.scope = Scope.held_by(actor)
        self._regions: dict[str, Region | None] = {}
        self._made: list[dict] = []

    def region(self, code: str) -> Region | None:
        if code not in self._regions:
            self._regions[code] = Region.objects.filter(code=code).first()
        return self._regions[code]

    def key_of(self, values: dict) -> object:
        return values["username"].lower() if values.get("username") else None

    def check_row(self, values: dict, row: int) -> Iterable[RowError]:
        # Blank is education, which a department user may not hold: grant_problems names why.
        values["department"] = values.get("department") or Department.EDUCATION
        region = self.region(values["region"])
        problems = grant_problems(
            self.scope,
            role=values["role"],
            region=region,
            region_code=values["region"],
            department=values["department"],
        )
        for field, reasons in problems.items():
            for reason in reasons:
                yield RowError(row, self.label(field), reason)
        values["region_name"] = region.name if region else ""

    def find_existing(self, keys: list) -> dict:
        return accounts_by_username(usernames=keys)

    def check_existing(self, record, values: dict, row: int) -> Iterable[RowError]:
        grant = (values["role"], values["region"], values["department"])
        if grant in record.grant_keys and self.scope.covers_region(
            PERMISSION, record.region_id or ""
        ):
            return ()
        return (
            RowError(
                row,
                self.label("username"),
                _(
                    "账号“%(name)s”已存在，且与本行的授权不同：请到该账号的页面修改，不能通过导入修改"
                )
                % {"name": record.username},
            ),
        )

    def diff(self, record, values: dict) -> dict:
        return {}  # an existing account is unchanged or an error, never updated

    def describe(self, planned: PlannedRow) -> dict:
        values = planned.values
        return {
            "row": planned.row,
            "full_name": values["full_name"],
            "username": values["username"],
            "region": f"{values['region_name']}（{values['region']}）",
            "role": str(Role(values["role"]).label),
            "department": str(Department(values["department"]).label),
        }

    def write(self, plan: Plan) -> None:
        for planned in plan.creates:
            values = planned.values
            user, password = user_create(
                username=values["username"],
                role=values["role"],
                region_code=values["region"],
                department=values["department"],
                full_name=values["full_name"],
                phone=values.get("phone", ""),
                password=generate_password(),  # never starting like a formula
                actor=self.actor,
                must_change_password=True,
            )
            self._made.append(
                {
                    "full_name": user.full_name,
                    "username": user.username,
                    "password": password,
                    "region": values["region_name"],
                    "role": str(Role(values["role"]).label),
                }
            )

    def outcome(self) -> dict:
        if not self._made:
            return {}
        sealed = passwords.seal(json.dumps(self._made, ensure_ascii=False))
        self._made = []
        return sealed


def template_xlsx() -> bytes:
    """The import template: the header row and one example row."""
    from tabular.export import ListExporter

    class Template(ListExporter):
        sheet_title = "账号"
        headers = [c.template_header for c in columns()]
        widths = [12, 16, 16, 12, 18, 12]

        def rows(self):
            yield ["张三", "zhangsan01", "13800000000", "140105", "县级检查人员", "教育"]

    return Template().to_xlsx()
