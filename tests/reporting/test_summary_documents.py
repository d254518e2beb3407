"""The city summary's Word and PDF files, and the province's Word roll-up, as printed.

- Text stored with control characters (before the save cleaned them, or past it) never
  breaks a document: python-docx refuses them, so every download was a 500.
- Pages are numbered at the foot as GB/T 9704 has it: "— 1 —".

`make test` installs Debian's Noto CJK fonts (as the image does), so the PDF is built with
the real font here as in production.
"""

import io
import re

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn

from reporting import documents_summary as documents
from reporting.models import CitySummary, SummarySubmission
from reporting.selectors_summary import city_figures
from tests.reporting import test_summary
from tests.reporting.test_summary import TEXTS, _docx_text, _url, save

# The summary tests' fixtures, shared under the same names.
campaign, taiyuan_city, world = test_summary.campaign, test_summary.taiyuan_city, test_summary.world

SOILED = TEXTS | {"organisation": "第一段\x0b第二段\x07", "problems": "问题\x0c其二\x01"}


@pytest.fixture
def pdf_font():
    """The PDF needs an installed CJK font; `make test` installs Noto CJK."""
    assert documents.pdf_available(), "no CJK font: run `make test` (it installs fonts-noto-cjk)"


def pdf_page_texts(data: bytes) -> list[str]:
    """Each page's text, decoded through its fonts' ToUnicode maps (fpdf2 writes glyph
    codes of two bytes, not characters)."""
    texts = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            maps = {str(name): _unicode_map(font) for name, font in page.Resources.Font.items()}
            codes, parts = {}, []
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    codes = maps.get(str(operands[0]), {})
                elif str(operator) in ("Tj", "TJ"):
                    strings = operands[0] if str(operator) == "TJ" else [operands[0]]
                    for item in strings:
                        if isinstance(item, pikepdf.String):
                            raw = bytes(item)
                            parts += [codes.get(raw[i : i + 2], "") for i in range(0, len(raw), 2)]
            texts.append("".join(parts))
    return texts


def _unicode_map(font) -> dict[bytes, str]:
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    found = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            found[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, first in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(first, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                found[code.to_bytes(2, "big")] = chr(start + offset)
    return found


def page_field(paragraph) -> list[str]:
    """A footer paragraph as its text runs and field codes, in order: ["— ", "begin",
    "PAGE", ..., "end", " —"]."""
    out = []
    for node in paragraph._p.iter(qn("w:t"), qn("w:instrText"), qn("w:fldChar")):
        if node.tag == qn("w:fldChar"):
            out.append(node.get(qn("w:fldCharType")))
        else:
            out.append(node.text.strip() if node.tag == qn("w:instrText") else node.text)
    return out


def assert_numbered_pages(data: bytes) -> None:
    document = Document(io.BytesIO(data))
    for section in document.sections:
        (paragraph,) = [
            p for p in section.footer.paragraphs if p.text or p._p.xpath(".//w:fldChar")
        ]
        parts = page_field(paragraph)
        assert parts[0] == "— " and parts[-1] == " —"
        assert parts[1] == "begin" and parts[2] == "PAGE" and parts[-2] == "end"
        assert paragraph.alignment == 1  # centred


# -- control characters ---------------------------------------------------------------------


def test_a_draft_stored_with_control_characters_downloads_as_word_and_pdf(
    client, world, cast, taiyuan_city, pdf_font
):
    CitySummary.objects.create(
        campaign=world, city=taiyuan_city, issuer="太原市教育局\x1f", updated_by=cast.taiyuan,
        **{name: SOILED[name] for name, _label in CitySummary.SECTIONS},
    )  # fmt: skip
    type(world).objects.filter(pk=world.pk).update(name=f"{world.name}\x0b")
    client.force_login(cast.taiyuan)
    response = client.get(_url("word", world))
    assert response.status_code == 200
    text, document = _docx_text(response.content)
    assert "第一段\n第二段" in text and "问题\n其二" in text and "太原市教育局" in text
    assert "\x0b" not in document.core_properties.title
    response = client.get(_url("pdf", world))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    pikepdf.open(io.BytesIO(response.content)).close()


def test_a_submission_frozen_with_control_characters_downloads_and_rolls_up(
    client, world, cast, taiyuan_city, pdf_font
):
    summary = CitySummary.objects.create(
        campaign=world, city=taiyuan_city, status=CitySummary.Status.SUBMITTED, revision=1,
        submitted_at=timezone.now(), updated_by=cast.taiyuan,
    )  # fmt: skip
    SummarySubmission.objects.create(
        summary=summary, number=1, figures=city_figures(campaign=world, city=taiyuan_city),
        narratives=SOILED, issuer="太原市教育局\x1f", submitted_at=timezone.now(),
        submitted_by=cast.taiyuan,
    )  # fmt: skip
    client.force_login(cast.taiyuan)
    text, _document = _docx_text(client.get(_url("word", world)).content)
    assert "第一段\n第二段" in text
    assert client.get(_url("pdf", world)).status_code == 200
    client.force_login(cast.province)
    response = client.get(reverse("summaries:rollup_docx", args=[world.pk]))
    assert response.status_code == 200
    text, _document = _docx_text(response.content)
    assert "问题\n其二" in text


# -- page numbers ---------------------------------------------------------------------------


def test_the_word_summary_and_the_rollup_number_their_pages_at_the_foot(
    client, world, cast, taiyuan_city
):
    save(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.taiyuan)
    assert_numbered_pages(client.get(_url("word", world)).content)
    client.force_login(cast.province)
    assert_numbered_pages(client.get(reverse("summaries:rollup_docx", args=[world.pk])).content)


def test_the_pdf_summary_numbers_each_page_at_the_foot(client, world, cast, taiyuan_city, pdf_font):
    save(cast.taiyuan, world, taiyuan_city)
    client.force_login(cast.taiyuan)
    response = client.get(_url("pdf", world))
    assert response.status_code == 200
    pages = pdf_page_texts(response.content)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert text.endswith(f"— {number} —"), (number, text[-40:])
