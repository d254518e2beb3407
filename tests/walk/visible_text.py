"""What an official reads on a page, and the words in it that belong in a terminal or a
traceback ("manage.py", "--region", "None", "accounts.User"…): shared by the two walks that
scan every page (tests/walk/test_pages_with_linked_records.py, test_no_developer_words.py)."""

import re
from html.parser import HTMLParser

APPS = (
    "accounts|core|institutions|onboarding|tabular|campaign|inspections|sampling|personnel"
    "|fees|complaints|enforcement|clock|progress|reporting|api|ops|auth|contenttypes"
)
DEVELOPER_WORDS = re.compile(
    r"manage\.py|\bpython3?\b|\bpip install\b|\bsudo\b|\bmake demo\b|\bcelery\b"
    r"|(?<![\w-])--[a-z][a-z_-]+"  # a command-line option: --role, --region
    r"|Traceback|\bException\b|\bstdout\b|\bstderr\b|\bDEBUG\b|object at 0x"
    r"|\bNone\b|\bnull\b|\bundefined\b|\bNaN\b|\bTrue\b|\bFalse\b"
    r"|\bpk\b|\bid=|\{\{|\{%"  # a key, or a template tag left unrendered
    rf"|\b(?:{APPS})\.[A-Z][A-Za-z]+\b"  # a model label: accounts.User
)
# Attributes whose text a reader sees or hears.
SHOWN = {"placeholder", "title", "aria-label", "alt"}
# Developer pages by nature: the API's schema and its Swagger documentation.
FOR_DEVELOPERS = {"api_schema", "api_docs"}


class _VisibleText(HTMLParser):
    SKIP = {"script", "style", "template", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        attrs = dict(attrs)
        self.parts += [attrs[a] or "" for a in SHOWN if a in attrs]
        if tag in ("input", "button") and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def developer_words(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return sorted({m.group(0) for m in DEVELOPER_WORDS.finditer(text)})
