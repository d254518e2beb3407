"""The sampling record (抽样记录) as a spreadsheet: parameters above, drawn institutions below."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Region
from institutions.models import Institution
from tabular.export import ListExporter

from .models import Draw
from .selectors import department_label, draw_attempt, member_labels


class SamplingRecord(ListExporter):
    sheet_title = "抽样记录"
    headers = [
        "序号",
        "来源",
        "机构名称",
        "统一社会信用代码",
        "所在县区",
        "必查原因",
        "检查组",
        "缺员部门",
    ]
    widths = [6, 10, 34, 22, 12, 30, 30, 16]

    def __init__(self, draw: Draw):
        self.draw = draw
        ids = [*draw.institutions, *[m["id"] for m in draw.must_include]]
        self.institutions = Institution.objects.select_related("county").in_bulk(ids)
        self.names = member_labels(draw, (u for team in draw.teams.values() for u in team))
        self.regions = dict(Region.objects.values_list("code", "name"))

    def title_line(self) -> str:
        return _("%(round)s抽样记录") % {"round": self.draw.round}

    def summary(self) -> list[tuple[str, object]]:
        draw = self.draw
        confirmed = (
            timezone.localtime(draw.confirmed_at).replace(tzinfo=None) if draw.confirmed_at else ""
        )
        counties = "、".join(self.regions.get(c, c) for c in draw.counties)
        return [
            (_("抽样编号"), draw.pk),
            (_("本轮第几次抽样"), draw_attempt(draw)["number"]),
            (_("状态"), draw.get_status_display()),
            (_("算法"), draw.algorithm),
            (_("随机种子"), draw.seed),
            (_("抽样框机构数"), draw.frame_size),
            (_("抽样框校验值（SHA-256）"), draw.frame_sha256),
            (_("县级单位数"), len(draw.county_units)),
            (_("机构抽取比例"), draw.params.get("institution_ratio", "")),
            (_("每个抽中县区至少一家"), draw.params.get("stratified", False)),
            (_("应抽县区数"), draw.required_counties),
            (_("抽中县区"), f"{len(draw.counties)}：{counties}" if draw.counties else "—"),
            (_("应抽机构数"), draw.required_institutions),
            (_("随机抽中机构数"), len(draw.institutions)),
            (_("必查机构数"), len(self._must())),
            (_("抽样人"), str(draw.created_by or _("命令行"))),
            (_("确认时间"), confirmed),
            (_("重抽原因"), draw.redraw_reason or "—"),
        ]

    def _must(self):
        random_ids = set(self.draw.institutions)
        return [m for m in self.draw.must_include if m["id"] not in random_ids]

    def rows(self):
        draw = self.draw
        entries = [(i, _("随机抽取"), "") for i in draw.institutions]
        entries += [(m["id"], _("必查"), m["reason"]) for m in self._must()]
        for number, (pk, kind, reason) in enumerate(entries, start=1):
            institution = self.institutions.get(pk)
            team = [self.names.get(u, "?") for u in draw.teams.get(str(pk), [])]
            yield [
                number,
                kind,
                institution.name if institution else f"#{pk}",
                institution.credit_code if institution else "",
                institution.county.name if institution else "",
                reason,
                "、".join(team),
                "、".join(department_label(d) for d in draw.shortages.get(str(pk), [])),
            ]
