"""The dashboards' tables as ledgers (xlsx / csv), on the one export base."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Section, Sector
from campaign.models import ChecklistItem
from institutions.models import Institution
from tabular.export import ListExporter

from .dashboards import SEVERITIES, Board, first_screened


def _title(what: str, region_name: str) -> str:
    return _("%(region)s%(what)s（导出时间：%(time)s）") % {
        "region": region_name,
        "what": what,
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }


class ScreeningLedger(ListExporter):
    """The institutions behind a coverage figure (not yet screened, or screened)."""

    headers = [
        "机构名称", "统一社会信用代码", "所在市", "所在县区", "类别", "行业", "地址", "联系电话",
        "首次排查提交时间",
    ]  # fmt: skip
    widths = [34, 22, 10, 12, 10, 10, 34, 16, 18]

    def __init__(self, queryset: QuerySet, *, campaign, what: str, region_name: str):
        self.queryset = queryset
        self.campaign = campaign
        self.what = what
        self.region_name = region_name
        self.sheet_title = what

    def title_line(self) -> str:
        return _title(self.what, self.region_name)

    def rows(self):
        categories = dict(Institution.Category.choices)
        sectors = dict(Sector.choices)
        batch: list[Institution] = []
        for institution in self.queryset.iterator(chunk_size=2000):
            batch.append(institution)
            if len(batch) == 2000:
                yield from self._rows(batch, categories, sectors)
                batch = []
        yield from self._rows(batch, categories, sectors)

    def _rows(self, batch, categories, sectors):
        first = first_screened(self.campaign, [i.pk for i in batch])
        for institution in batch:
            at = first.get(institution.pk)
            county = institution.county
            yield [
                institution.name,
                institution.credit_code,
                county.parent.name if county.parent else "",
                county.name,
                categories.get(institution.category, institution.category),
                sectors.get(institution.sector, ""),
                institution.address,
                institution.phone,
                timezone.localtime(at).replace(tzinfo=None) if at else None,
            ]


class BoardLedger(ListExporter):
    """One table of a dashboard: regions side by side, sectors, problems, trend, late regions."""

    def __init__(self, board: Board, table: str):
        self.board = board
        self.table = table
        spec = TABLES[table]
        self.sheet_title = str(spec["title"]())
        self.headers = [str(h) for h in spec["headers"]()]
        self.widths = [16] * len(self.headers)
        self.widths[0] = 20

    def title_line(self) -> str:
        return _title(self.sheet_title, self.board.region.name)

    def rows(self):
        yield from TABLES[self.table]["rows"](self.board)


def _region_rows(board: Board):
    rows = board.children or [board.total]
    ranked = {f.code: n for n, f in enumerate(board.behind, start=1)}
    for f in rows:
        yield [
            f.name, ranked.get(f.code, ""), f.total, f.screened, f.unscreened, f"{f.coverage}%",
            f.found, f.open, f.reported, f.closed, f.overdue, f.major, len(f.flags),
            f.screening_found, f.screening_closed, f.screening_late,
            _("是") if f.done else _("否"), f.staff, f.staff_platform,
            f.self_checked, f"{f.self_check_rate}%", f.contradicted,
        ]  # fmt: skip
    if board.children:
        t = board.total
        yield [
            _("合计"), "", t.total, t.screened, t.unscreened, f"{t.coverage}%", t.found, t.open,
            t.reported, t.closed, t.overdue, t.major, len(t.flags),
            t.screening_found, t.screening_closed, t.screening_late,
            _("是") if t.done else _("否"), t.staff, t.staff_platform,
            t.self_checked, f"{t.self_check_rate}%", t.contradicted,
        ]  # fmt: skip


def _sector_rows(board: Board):
    for _sector, label, total, screened in board.sector_rows():
        yield [label or _("学科类（无行业）"), total, screened, total - screened]


def _problem_rows(board: Board):
    sections = dict(Section.choices)
    for section in board.sections:
        counts = [board.total.problems.get((section, s), 0) for s in SEVERITIES]
        yield [sections.get(section, section), *counts, sum(counts)]


def _trend_rows(board: Board):
    for day in board.trend:
        yield [day.day, day.screened, day.cumulative]


def _flag_rows(board: Board):
    for flag in board.flags:
        yield [
            flag.region.name, flag.phase.get_kind_display(), flag.deadline,
            timezone.localtime(flag.since).replace(tzinfo=None), flag.missing,
        ]  # fmt: skip


TABLES = {
    "regions": {
        "title": lambda: _("各地区排查整改进度"),
        "headers": lambda: [
            _("地区"),
            _("落后排名"),
            _("应排查机构"),
            _("已排查"),
            _("未排查"),
            _("排查率"),
            _("发现问题"),
            _("待整改"),
            _("已报整改"),
            _("已销号"),
            _("已逾期"),
            _("重大隐患"),
            _("逾期标记"),
            _("排查发现问题"),
            _("其中已复查销号"),
            _("其中逾期未销号"),
            _("排查整改已完成"),
            _("从业人员"),
            _("平台信息完整"),
            _("已提交自查"),
            _("自查率"),
            _("自查称合规的重大隐患"),
        ],  # fmt: skip
        "rows": _region_rows,
    },
    "sectors": {
        "title": lambda: _("分行业排查进度"),
        "headers": lambda: [_("行业"), _("应排查机构"), _("已排查"), _("未排查")],
        "rows": _sector_rows,
    },
    "problems": {
        "title": lambda: _("分板块问题统计"),
        "headers": lambda: [
            _("板块"),
            *[str(ChecklistItem.Severity(s).label) for s in SEVERITIES],
            _("合计"),
        ],
        "rows": _problem_rows,
    },
    "trend": {
        "title": lambda: _("每日排查进度"),
        "headers": lambda: [_("日期"), _("当日首次排查机构"), _("累计已排查")],
        "rows": _trend_rows,
    },
    "flags": {
        "title": lambda: _("逾期地区"),
        "headers": lambda: [_("地区"), _("阶段"), _("截止日期"), _("标记时间"), _("未完成情况")],
        "rows": _flag_rows,
    },
}
