"""Text nobody types: the one rule on control characters, and JSON read with limits.

A control character (C0, DEL, C1) in a stored text breaks every xlsx ledger that carries
the row, and a NUL or a lone surrogate cannot be stored by PostgreSQL at all; none of them
is ever meant. So every form, serializer and import refuses them through
`ControlCharacterValidator` (installed on every CharField by `install_on_char_fields`,
called from `OpsConfig.ready`), requests are checked early by
`ops.middleware.InputCheckMiddleware`, and request JSON is read by `parse_json`.
Multi-line text keeps tab, line feed and carriage return; single-line text keeps none.
"""

from __future__ import annotations

import json
import math
import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

_SURROGATES = "\ud800-\udfff"
# Every Cc character: C0, DEL and C1; plus lone surrogates, which no UTF-8 text can hold.
_SINGLE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_SURROGATES}]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SURROGATES}]")
# What PostgreSQL cannot store at all (text and jsonb): NUL and lone surrogates.
_UNSTORABLE = re.compile(f"[\x00{_SURROGATES}]")

_NAMES = {
    "\x00": gettext_noop("空字符"),
    "\t": gettext_noop("制表符"),
    "\n": gettext_noop("换行符"),
    "\x0b": gettext_noop("垂直制表符"),
    "\x0c": gettext_noop("换页符"),
    "\r": gettext_noop("回车符"),
    "\x7f": gettext_noop("删除符"),
}


def find_control_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(1-based position, character) of the first character the rule refuses, or None."""
    match = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    return (match.start() + 1, match.group()) if match else None


def _describe(position: int, char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        return _("第 %(position)d 个字符（%(code)s）不是有效的文字，请删除后重新填写。") % {
            "position": position,
            "code": code,
        }
    name = _(_NAMES[char]) if char in _NAMES else _("控制字符")
    return _(
        "不能包含控制字符：第 %(position)d 个字符是%(name)s（%(code)s），请删除后重新填写。"
    ) % {
        "position": position,
        "name": name,
        "code": code,
    }


def control_character_message(text: str, *, multiline: bool = False) -> str | None:
    """The Chinese reason `text` is refused, naming the character's position and code."""
    found = find_control_character(text, multiline=multiline)
    return _describe(*found) if found else None


@deconstructible
class ControlCharacterValidator:
    """The one rule, as a Django validator (forms, models, DRF serializers accept it)."""

    code = "control_character"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        # Fields that hold more than a string (JSON, lists) are checked where they are parsed.
        if isinstance(value, str):
            message = control_character_message(value, multiline=self.multiline)
            if message:
                raise ValidationError(message, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and self.multiline == other.multiline


def storable(value):
    """`value` (str, or dicts and lists of them) with NUL and lone surrogates replaced by
    U+FFFD: for records that must be written whatever a request carried (the audit log)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def small_int(value, *, max_digits: int = 9) -> int | None:
    """`value` as a non-negative int when it is 1 to `max_digits` ASCII digits, else None.

    Why not `str.isdigit()`: it is true for "²" and other Unicode digits that `int()` and a
    pk lookup refuse (a 500), and for full-width "１２" that nobody types into a URL; and a
    40-digit number overflows the integer column. A value this refuses is an unknown one.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (0 < len(value) <= max_digits and value.isascii() and value.isdigit()):
        return None
    return int(value)


# -- installed on every CharField -------------------------------------------------------


# DRF's mark of a multi-line field (a ModelSerializer gives it to a model TextField); a
# serializer declaring free text itself passes `style=MULTILINE_STYLE`.
MULTILINE_STYLE = {"base_template": "textarea.html"}


def install_on_char_fields() -> None:
    """Make the rule the default of every Django form CharField and DRF serializer CharField
    (and their subclasses: e-mail, URL, slug, regex, django-filter's text filters).

    Why patch the classes rather than offer a project base field: a base is forgotten by the
    next form written with `forms.CharField`, and ModelForms and ModelSerializers build their
    fields themselves. Patched here, the rule holds for every field built after `ready()`;
    `tests/ops/test_input_text.py` walks every form and serializer class to prove it. A field is
    multi-line when Django gives it a Textarea, or DRF the textarea style (both what a model
    TextField gets); a widget must be chosen when the field is built, not swapped in later.
    """
    from django import forms
    from django.core.validators import ProhibitNullCharactersValidator
    from rest_framework import serializers
    from rest_framework.validators import ProhibitSurrogateCharactersValidator

    # Ours refuses NUL and lone surrogates too, with a message that says where they are.
    replaced = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)

    def add(field, multiline: bool) -> None:
        if any(isinstance(v, ControlCharacterValidator) for v in field.validators):
            return
        field.validators[:] = [v for v in field.validators if not isinstance(v, replaced)]
        field.validators.append(ControlCharacterValidator(multiline=multiline))

    def form_multiline(field) -> bool:
        return isinstance(field.widget, forms.Textarea)

    def serializer_multiline(field) -> bool:
        return field.style.get("base_template") == MULTILINE_STYLE["base_template"]

    for cls, multiline in (
        (forms.CharField, form_multiline),
        (serializers.CharField, serializer_multiline),
    ):
        if getattr(cls.__init__, "_control_characters", False):
            continue
        original = cls.__init__

        def __init__(self, *args, _original=original, _multiline=multiline, **kwargs):
            _original(self, *args, **kwargs)
            add(self, _multiline(self))

        __init__._control_characters = True
        cls.__init__ = __init__

    # Form classes defined before ready() (imported by an app's own ready) built their
    # fields unpatched: give those fields the rule too.
    for form_class in _subclasses(forms.BaseForm):
        for field in getattr(form_class, "base_fields", {}).values():
            if isinstance(field, forms.CharField):
                add(field, form_multiline(field))


def _subclasses(cls) -> list:
    found, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


# -- JSON with limits -------------------------------------------------------------------

MAX_JSON_DEPTH = 32


class JsonRefused(ValueError):
    """A request body refused; str(exc) is the Chinese message for the user."""


def _constant(name: str):
    raise JsonRefused(_("提交的内容含有无效数值（NaN 或无穷大）"))


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 reads as infinity
        raise JsonRefused(_("提交的内容含有无效数值（NaN 或无穷大）"))
    return number


def _too_deep(max_depth: int) -> JsonRefused:
    return JsonRefused(_("提交的内容嵌套层数过多（最多 %(depth)d 层）") % {"depth": max_depth})


def _check(value, *, max_depth: int, multiline: bool) -> None:
    # Iterative, so a deep value cannot exhaust the stack here either.
    todo = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise _too_deep(max_depth)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            todo.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            if multiline:
                found = find_control_character(item, multiline=True)
            else:
                match = _UNSTORABLE.search(item)
                found = (match.start() + 1, match.group()) if match else None
            if found:
                raise JsonRefused(_describe(*found))


def parse_json(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, text: str = "storable"):
    """A request's JSON, or JsonRefused with a Chinese message: not UTF-8, not JSON, nested
    deeper than `max_depth`, NaN / Infinity / a number out of float range, or a string
    PostgreSQL cannot store (NUL, lone surrogate). With text="multiline" every string must
    also pass the multi-line rule (for bodies whose strings are all stored as free text)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused(_("提交的内容格式不正确")) from None
    try:
        value = json.loads(body, parse_constant=_constant, parse_float=_finite_float)
    except JsonRefused:
        raise
    except RecursionError:
        # The parser recurses once per level: a body nested a thousand deep ends here.
        raise _too_deep(max_depth) from None
    except ValueError:
        raise JsonRefused(_("提交的内容格式不正确")) from None
    _check(value, max_depth=max_depth, multiline=text == "multiline")
    return value
