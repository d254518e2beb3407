"""The city summary as documents: Word laid out as an official report (GB/T 9704 habits:
A4, 仿宋 three-size body, 黑体 first-level headings, 小标宋 title, fixed 28-point lines),
PDF with an embedded subset of the installed Noto CJK font, and the province's roll-ups
(Word with every city's narrative, xlsx with the figures side by side). Pages are numbered
at the foot, "— 1 —", and every text goes through `xml_text`: a control character stored in
a narrative or a name must not make python-docx refuse the whole document.

Every document is built from a `SummaryDocument`: a submitted summary's comes from its
frozen snapshot, a draft's from live figures (`document_for`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import shutil
import subprocess  # noqa: S404 - fc-list, a fixed argument list, to find the installed CJK font
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import Campaign
from core.models import Region
from tabular.export import ListExporter, xml_text

from .models import CitySummary
from .selectors_sections import SectionView, section_views
from .selectors_summary import city_figures, latest_submission, summary_figures
from .tables_summary import (
    ROLLUP_COLUMNS,
    county_table,
    key_figures,
    overview_text,
    section_table,
)

BODY_FONT, HEADING_FONT, TITLE_FONT = "仿宋_GB2312", "黑体", "方正小标宋简体"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class SummaryDocument:
    campaign: Campaign
    city: Region
    figures: dict
    narratives: dict[str, str]
    issuer: str
    day: dt.date
    frozen: bool  # from a submission's snapshot
    revision: int = 0
    # The other departments' parts (SummarySection), printed after the narrative.
    departments: list[SectionView] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("关于%(city)s开展%(campaign)s的工作总结") % {
            "city": self.city.name, "campaign": self.campaign.name,
        }  # fmt: skip

    @property
    def recipient(self) -> str:
        return _("%(province)s教育厅：") % {"province": self.campaign.province.name}

    @property
    def opening(self) -> str:
        basis = _("《%(campaign)s工作方案》") % {"campaign": self.campaign.name}
        if self.campaign.document_number:
            basis = f"{basis}（{self.campaign.document_number}）"
        return _(
            "根据%(basis)s要求，我市组织开展校外培训机构安全隐患排查整治工作。现将有关情况总结如下："
        ) % {"basis": basis}

    @property
    def computed_label(self) -> str:
        """When the figures were computed, as "2023-12-18 09:30"."""
        return self.figures["computed_at"][:16].replace("T", " ")

    @property
    def note(self) -> str:
        """A line under the title on a draft: these figures are not a submitted report."""
        if self.frozen:
            return ""
        return _("（草稿，数据截至%(at)s）") % {
            "at": self.figures["computed_at"][:16].replace("T", " ")
        }

    def sections(self) -> list[tuple[str, str]]:
        numbers = ["二", "三", "四", "五", "六", "七", "八", "九", "十"]
        headed = [(label, self.narratives.get(name, "")) for name, label in CitySummary.SECTIONS]
        # Each department's part under its own heading, "六、消防救援部门工作情况".
        headed += [
            (_("%(department)s工作情况") % {"department": part.name}, part.text)
            for part in self.departments
        ]
        return [(f"{n}、{label}", text) for n, (label, text) in zip(numbers, headed, strict=False)]


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document_for(summary: CitySummary | None, *, campaign: Campaign, city: Region,
                 revision: int | None = None) -> SummaryDocument:  # fmt: skip
    """The document of a summary: a given or the last submission when frozen (or asked
    for), else the draft with live figures."""
    from .services_summary import default_issuer

    submission = None
    if summary is not None and revision:
        submission = summary.submissions.filter(number=revision).first()
    elif summary is not None and summary.is_frozen:
        submission = latest_submission(summary)
    if submission is not None:
        return SummaryDocument(
            campaign=campaign, city=city, figures=submission.figures,
            narratives=submission.narratives, issuer=submission.issuer or default_issuer(city),
            day=timezone.localdate(submission.submitted_at), frozen=True,
            revision=submission.number, departments=section_views(summary, submission),
        )  # fmt: skip
    return SummaryDocument(
        campaign=campaign, city=city,
        figures=summary_figures(summary, campaign=campaign, city=city),
        narratives=summary.narratives() if summary else {},
        issuer=(summary.issuer if summary else "") or default_issuer(city),
        day=timezone.localdate(), frozen=False, departments=section_views(summary),
    )  # fmt: skip


# -- Word -----------------------------------------------------------------------------------


def _docx():
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    # The page number's line about 7 mm under the text block, as GB/T 9704 places it.
    section.footer_distance = Cm(2.2)
    _page_number_footer(section)
    return document


def _page_number_footer(section) -> None:
    """The page number centred at the foot of every page, "— 1 —": a PAGE field, which
    Word and WPS fill in per page, between em dashes (python-docx has no API for fields)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def run(text: str = "", field: str = "", instruction: str = "") -> None:
        r = paragraph.add_run(text)
        _font(r, "宋体", 14)  # GB/T 9704: 4号 (14 pt) 宋体 Arabic numerals
        if field:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), field)
            r._r.append(node)
        if instruction:
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = instruction
            r._r.append(node)

    run("— ")
    run(field="begin")
    run(instruction=" PAGE ")
    run(field="separate")
    run("1")  # shown until the field is updated: Word and WPS do so when they lay out the pages
    run(field="end")
    run(" —")


def _font(run, name: str, size: float, bold: bool = False) -> None:
    """Set a run's font for Latin and East Asian text alike: Word picks the East Asian
    font from w:eastAsia, which python-docx's `font.name` alone does not set."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, *, font=BODY_FONT, size=16.0, bold=False, align=None,
               indent=True):  # fmt: skip
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        paragraph.alignment = align
    _font(paragraph.add_run(xml_text(text)), font, size, bold)
    return paragraph


def _table(document, headers: list[str], rows: list[list[object]], size: float = 10.5) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(xml_text(str(header))), HEADING_FONT, size)
    for row in rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            paragraph = cell.paragraphs[0]
            if index:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(xml_text(str(value))), BODY_FONT, size)
    document.add_paragraph()


def _narrative(document, text: str) -> None:
    # Cleaned before splitting: a stored soft line break (U+000B) starts a paragraph too.
    for line in xml_text(text or _("（未填写）")).split("\n"):
        if line.strip():
            _paragraph(document, line.strip())


def _write_city(document, doc: SummaryDocument) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    _paragraph(document, _("一、基本情况"), font=HEADING_FONT, indent=True)
    _paragraph(document, overview_text(doc.figures))
    rows = [
        [group, label, value] for group, items in key_figures(doc.figures) for label, value in items
    ]
    _paragraph(document, _("表1  主要数据"), font=HEADING_FONT, size=12,
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)  # fmt: skip
    _table(document, [_("类别"), _("指标"), _("数值")], rows)
    _paragraph(document, _("表2  发现问题分类情况"), font=HEADING_FONT, size=12,
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)  # fmt: skip
    _table(document, *section_table(doc.figures))
    _paragraph(document, _("表3  各县（市、区）工作情况"), font=HEADING_FONT, size=12,
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)  # fmt: skip
    _table(document, *county_table(doc.figures), size=8)
    for heading, text in doc.sections():
        _paragraph(document, heading, font=HEADING_FONT)
        _narrative(document, text)


def summary_docx(doc: SummaryDocument) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = _docx()
    document.core_properties.title = xml_text(doc.title)
    _paragraph(document, doc.title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER,
               indent=False)  # fmt: skip
    if doc.note:
        _paragraph(document, doc.note, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(document, "")
    _paragraph(document, doc.recipient, indent=False)
    _paragraph(document, doc.opening)
    _write_city(document, doc)
    _paragraph(document, "")
    _paragraph(document, doc.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _paragraph(document, chinese_date(doc.day), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- PDF --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CJKFont:
    path: str
    index: int
    family: str


@functools.cache
def cjk_fonts() -> dict[str, CJKFont]:
    """The installed Simplified Chinese fonts fpdf2 can embed ({"body": …, "heading": …}),
    found with fontconfig; empty when there is none (the PDF link is then hidden)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return {}
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [fc_list, ":lang=zh-cn", "-f", "%{file}\t%{index}\t%{family[0]}\t%{style[0]}\n"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {}
    found: list[tuple[str, int, str, str]] = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[0].lower().endswith((".ttf", ".otf", ".ttc")):
            found.append((parts[0], int(parts[1] or 0), parts[2], parts[3]))

    def pick(*wanted: str) -> CJKFont | None:
        for words in wanted:
            for path, index, family, style in sorted(found):
                text = f"{family} {style}"
                if all(w in text for w in words.split()) and "Mono" not in family:
                    return CJKFont(path, index, family)
        return None

    body = pick("Serif SC Regular", "SC Regular", "Regular", "")
    if body is None:
        return {}
    heading = pick("Sans SC Bold", "Sans SC Regular", "SC Bold") or body
    return {"body": body, "heading": heading}


def pdf_available() -> bool:
    return bool(cjk_fonts())


def _numbered_pdf(*, bottom: float):
    """An A4 FPDF numbering its pages at the foot as GB/T 9704 does: "— 1 —", 7 mm under
    the text block (`bottom` mm high), in the "body" font the caller adds."""
    from fpdf import FPDF  # here, not at the top: it takes a second, and few requests need it

    class NumberedPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-(bottom - 7))
            self.set_font("body", size=14)
            self.cell(0, 7, f"— {self.page_no()} —", align="C")

    pdf = NumberedPDF(format="A4")
    pdf.set_auto_page_break(True, margin=bottom)
    return pdf


def summary_pdf(doc: SummaryDocument) -> bytes:
    """The same report as a PDF; only when `pdf_available()`."""
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    fonts = cjk_fonts()
    pdf = _numbered_pdf(bottom=30)
    pdf.set_margins(28, 30, 26)
    for name, font in fonts.items():
        pdf.add_font(name, "", font.path, collection_font_number=font.index)
    pdf.set_title(xml_text(doc.title))
    pdf.set_creator("安全守护")
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, font="body", size=14.0, align="J", indent=True, height=9.0):
        pdf.set_font(font, size=size)
        text = ("\u3000\u3000" if indent else "") + xml_text(text)
        pdf.multi_cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(headers, rows, size=9.0):
        pdf.set_font("body", size=size)
        heading_face = FontFace(family="heading", emphasis="", fill_color=(221, 235, 247))
        with pdf.table(
            text_align="CENTER", line_height=size * 0.6, headings_style=heading_face
        ) as t:
            header = t.row()
            for h in headers:
                header.cell(xml_text(str(h)))
            for row in rows:
                cells = t.row()
                for value in row:
                    cells.cell(xml_text(str(value)))
        pdf.ln(3)

    line(doc.title, font="heading", size=18, align="C", indent=False, height=11)
    if doc.note:
        line(doc.note, size=11, align="C", indent=False)
    pdf.ln(4)
    line(doc.recipient, indent=False)
    line(doc.opening)
    line(_("一、基本情况"), font="heading")
    line(overview_text(doc.figures))
    rows = [[g, label, v] for g, items in key_figures(doc.figures) for label, v in items]
    line(_("表1  主要数据"), font="heading", size=11, align="C", indent=False)
    table([_("类别"), _("指标"), _("数值")], rows)
    line(_("表2  发现问题分类情况"), font="heading", size=11, align="C", indent=False)
    table(*section_table(doc.figures))
    line(_("表3  各县（市、区）工作情况"), font="heading", size=11, align="C", indent=False)
    table(*county_table(doc.figures), size=6.5)
    for heading, text in doc.sections():
        line(heading, font="heading")
        for paragraph in xml_text(text or _("（未填写）")).split("\n"):
            if paragraph.strip():
                line(paragraph.strip())
    pdf.ln(6)
    line(doc.issuer, align="R", indent=False)
    line(chinese_date(doc.day), align="R", indent=False)
    return bytes(pdf.output())


# -- the province's roll-up -------------------------------------------------------------------


@dataclass
class RollupRow:
    city: Region
    summary: CitySummary | None
    figures: dict
    frozen: bool
    late: bool


def rollup_rows(campaign: Campaign, rows) -> list[RollupRow]:
    """Each city's figures for the roll-up (rows from `selectors_summary.city_rows`): the
    snapshot of a submitted summary, live city totals for the others."""
    out = []
    for row in rows:
        summary = row.summary
        submission = latest_submission(summary) if summary is not None else None
        if summary is not None and summary.is_frozen and submission is not None:
            out.append(RollupRow(row.city, summary, submission.figures, True, row.late))
        else:
            figures = city_figures(campaign=campaign, city=row.city, per_county=False)
            out.append(RollupRow(row.city, summary, figures, False, row.late))
    return out


class RollupLedger(ListExporter):
    """Every city's figures side by side (xlsx, the ledgers' conventions)."""

    widths = [12, 12, 18, 8, 10] + [11] * len(ROLLUP_COLUMNS)

    def __init__(self, campaign: Campaign, rows: list[RollupRow]):
        self.campaign = campaign
        self.data = rows
        self.sheet_title = _("各市工作总结汇总")
        self.headers = [_("市"), _("状态"), _("首次报送时间"), _("逾期"), _("数据来源")] + [
            str(label) for _key, label in ROLLUP_COLUMNS
        ]

    def title_line(self) -> str:
        return _("%(campaign)s 各市工作总结数据汇总（导出时间：%(at)s）") % {
            "campaign": self.campaign.name,
            "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }

    def rows(self):
        for row in self.data:
            summary = row.summary
            status = summary.get_status_display() if summary else _("未开始")
            submitted = (
                timezone.localtime(summary.submitted_at).replace(tzinfo=None)
                if summary and summary.submitted_at
                else ""
            )
            source = _("报送快照") if row.frozen else _("实时数据")
            total = row.figures["total"] if row.figures else {}
            values = [total.get(key, "") for key, _label in ROLLUP_COLUMNS]
            # Money is kept as a string of yuan in the figures; a number here, to add up.
            values = [
                Decimal(v) if key == "refunded" and v != "" else v
                for (key, _label), v in zip(ROLLUP_COLUMNS, values, strict=True)
            ]
            yield [row.city.name, status, submitted, row.late, source, *values]


def rollup_docx(campaign: Campaign, rows: list[RollupRow]) -> bytes:
    """One Word file: the figures table of every city, then each city's narrative, and the
    cities the province is still waiting for."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = _docx()
    title = _("%(campaign)s各市工作总结汇总") % {"campaign": campaign.name}
    document.core_properties.title = xml_text(title)
    _paragraph(document, title, font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER,
               indent=False)  # fmt: skip
    _paragraph(document, _("（汇总时间：%(at)s）") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
               size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)  # fmt: skip
    waiting = [r.city.name for r in rows if not r.frozen]
    _paragraph(document, _("一、报送情况"), font=HEADING_FONT)
    done = len(rows) - len(waiting)
    text = _("全省%(n)d个市中，已报送%(done)d个。") % {"n": len(rows), "done": done}
    if waiting:
        text += _("尚未报送（或退回修改中）：%(names)s。") % {"names": "、".join(waiting)}
    _paragraph(document, text)
    _paragraph(document, _("二、各市主要数据"), font=HEADING_FONT)
    columns = ROLLUP_COLUMNS[1:9]
    headers = [_("市"), _("状态")] + [str(label) for _k, label in columns]
    table_rows = []
    for r in rows:
        total = r.figures["total"] if r.figures else {}
        status = r.summary.get_status_display() if r.summary else _("未开始")
        table_rows.append([r.city.name, status, *[total.get(k, "") for k, _l in columns]])
    _table(document, headers, table_rows, size=8)
    _paragraph(document, _("三、各市工作总结"), font=HEADING_FONT)
    for r in rows:
        if not r.frozen:
            continue
        submission = latest_submission(r.summary)
        _paragraph(document, f"{r.city.name}（{r.summary.get_status_display()}）", font=HEADING_FONT,
                   size=15, indent=False)  # fmt: skip
        for name, label in CitySummary.SECTIONS:
            _paragraph(document, str(label), font=HEADING_FONT, size=14)
            _narrative(document, submission.narratives.get(name, ""))
        for part in section_views(r.summary, submission):
            _paragraph(document, _("%(department)s工作情况") % {"department": part.name},
                       font=HEADING_FONT, size=14)  # fmt: skip
            _narrative(document, part.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
