"""The product runs on an air-gapped intranet, in Chinese first with English switchable."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
# src=, href=, url( or @import pointing at another host (protocol-relative included).
OUTSIDE = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//(?!127\.0\.0\.1|localhost)"""
    r"""|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:url\()?["']?(?:https?:)?//""",
    re.I,
)


def _own_files():
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".css", ".js", ".txt"}:
                yield path
    for path in ROOT.glob("*/templates/**/*.html"):
        yield path


def test_no_template_or_static_file_loads_from_an_outside_host():
    offenders = []
    for path in _own_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in OUTSIDE.finditer(text):
            offenders.append(
                f"{path.relative_to(ROOT)}: {text[match.start() : match.start() + 60]!r}"
            )
    assert offenders == []


def test_the_scan_would_catch_a_cdn_link():
    assert OUTSIDE.search('<script src="https://cdn.example.com/x.js">')
    assert OUTSIDE.search("<link href='//fonts.example.com/css'>")
    assert OUTSIDE.search("body{background:url(https://example.com/a.png)}")
    assert not OUTSIDE.search('<a href="/institutions/">')


def test_vendored_libraries_carry_version_and_licence():
    vendor = ROOT / "static" / "vendor"
    for name in ("bootstrap-5.3.9", "htmx-2.0.11", "echarts-5.6.0"):
        assert (vendor / name / "LICENSE").is_file(), name
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    for line in ("Bootstrap 5.3.9", "htmx 2.0.11", "ECharts 5.6.0"):
        assert line in readme


@pytest.mark.parametrize("who", ["province", "xiaodian", "auditor"])
def test_rendered_pages_load_nothing_from_outside(client, cast, places, who):
    client.force_login(getattr(cast, who))
    for url in (reverse("home"), reverse("institutions:list"), reverse("audit_log")):
        response = client.get(url, follow=True)
        assert not OUTSIDE.search(response.content.decode()), url


def test_pages_are_chinese_by_default_and_english_on_request(client, cast):
    client.force_login(cast.province)
    assert "省级工作台" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "Province dashboard" in page and "省级工作台" not in page


def test_an_english_browser_still_gets_chinese(client, db):
    page = client.get(reverse("login"), headers={"accept-language": "en-US,en;q=0.9"})
    assert "用户名" in page.content.decode()


def _po_entries(path: Path) -> dict[tuple[str, str], tuple[str, bool]]:
    """(msgctxt, msgid) → (msgstr, fuzzy) from a .po file (enough of the format for our own
    catalogues; obsolete `#~` entries are left out, as gettext leaves them out)."""
    entries, key = {}, None
    current = {"msgctxt": "", "msgid": "", "msgstr": "", "fuzzy": False}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,"):
            current["fuzzy"] = current["fuzzy"] or "fuzzy" in line
        elif line.startswith(("msgctxt ", "msgid ", "msgstr ")):
            key, _space, literal = line.partition(" ")
            current[key] = eval(literal)  # noqa: S307 - a quoted literal from our own file
        elif line.startswith('"') and key:
            current[key] += eval(line)  # noqa: S307
        elif not line.strip():
            if current["msgid"]:
                entries[(current["msgctxt"], current["msgid"])] = (
                    current["msgstr"],
                    current["fuzzy"],
                )
            current = {"msgctxt": "", "msgid": "", "msgstr": "", "fuzzy": False}
            key = None
    return entries


def _untranslated_or_fuzzy(path: Path) -> list[str]:
    return [
        msgid for (_ctx, msgid), (msgstr, fuzzy) in _po_entries(path).items() if fuzzy or not msgstr
    ]


def test_the_catalogue_check_catches_an_untranslated_and_a_fuzzy_entry(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        'msgid "工作台"\nmsgstr "Dashboard"\n\n'
        'msgid "未译"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "共 %(n)s 家"\nmsgstr "%(n)s institutions"\n\n'
        '#~ msgid "已删除"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    assert _untranslated_or_fuzzy(po) == ["未译", "共 %(n)s 家"]


def test_english_catalogue_is_complete_and_compiled():
    """locale/en/LC_MESSAGES/django.po is the one source of the English: after makemessages,
    every new or fuzzy entry gets its English there before compilemessages."""
    po = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    entries = _po_entries(po)
    assert len(entries) > 50
    assert _untranslated_or_fuzzy(po) == []
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for (context, msgid), (msgstr, _fuzzy) in entries.items()
        if "%" not in msgid
        and (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], "run: python manage.py compilemessages"
