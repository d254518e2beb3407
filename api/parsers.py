"""The API's request parsers: the same limits as the pages (core.text, ops.middleware).

DRF's own JSON parser turns a body nested a thousand deep into a RecursionError (500) and
takes NaN; a NUL or lone surrogate inside a string reaches PostgreSQL. Form bodies of a
PUT or PATCH never pass the early middleware check (Django parses only POST), so they are
checked here.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.text import JsonRefused, parse_json
from ops.middleware import form_problem


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return parse_json(stream.read().decode(encoding))
        except UnicodeDecodeError:
            raise ParseError(_("提交的内容格式不正确")) from None
        except JsonRefused as exc:
            raise ParseError(str(exc)) from None


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if problem := form_problem(data):
            raise ParseError(problem)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        if problem := form_problem(result.data, result.files):
            raise ParseError(problem)
        return result
