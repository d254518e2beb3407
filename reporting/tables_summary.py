"""The figures of a city summary as labelled rows and tables, the one reading of the
figures JSON that the page, the Word and PDF documents and the roll-ups share."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy  # spelled out: makemessages misses `_l`

from accounts.roles import Section


def yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def key_figures(f: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """Groups of (label, value): what the province asks, in the notice's order."""
    t, s, p, fees, c, pub = (
        f["total"], f["sampling"], f["personnel"], f["fees"], f["complaints"], f["publicity"],
    )  # fmt: skip
    return [
        (_("排查整改"), [
            (_("培训机构（登记在册）"), t["institutions"]),
            (_("在营机构（应排查）"), t["total"]),
            (_("已排查机构"), t["screened"]),
            (_("排查率（%）"), t["rate"]),
            (_("发现问题"), t["found"]),
            (_("其中重大隐患"), t["major"]),
            (_("已整改"), t["rectified"]),
            (_("已复查销号"), t["closed"]),
            (_("逾期未销号"), t["overdue"]),
            # The county phase is 排查整改: what county screening found, and how much of it
            # is verified closed. Figures frozen before these existed show a dash.
            (_("县级排查发现问题"), t.get("screening_found", "—")),
            (_("其中已整改销号"), t.get("screening_closed", "—")),
            (_("其中逾期未销号"), t.get("screening_late", "—")),
            # 自查自评 (§三(二)); figures frozen before it was counted show a dash.
            (_("已提交自查的机构"), t.get("self_checked", "—")),
            (_("自查率（%）"), t.get("self_rate", "—")),
            (_("自查称合规、检查发现的重大隐患"), t.get("contradicted", "—")),
        ]),
        (_("市级抽查"), [
            (_("应抽取县（市、区）"), s["required_counties"]),
            (_("已检查县（市、区）"), s["inspected_counties"]),
            (_("应抽查机构"), s["required_institutions"]),
            (_("已抽查机构"), s["inspected_institutions"]),
            (_("达到抽查数量要求"), yes_no(s["met"])),
        ]),
        (_("从业人员准入"), [
            (_("登记从业人员"), p["staff"]),
            (_("全国平台信息完整"), p.get("platform_complete", "—")),
            (_("已完成犯罪记录查询"), p["checked"]),
            (_("查询发现有犯罪记录"), p["records"]),
            (_("责令清退"), p["dismissals_ordered"]),
            (_("已清退"), p["dismissed"]),
        ]),
        (_("收费安全监管"), [
            (_("核查收费记录"), fees["charges"]),
            (_("违规收费"), fees["violations"]),
            (_("超限金额（元）"), fees["over_limit_amount"]),
            (_("已退费金额（元）"), fees["refunded_amount"]),
            (_("未办结"), fees["open"]),
        ]),
        (_("投诉举报"), [
            (_("受理投诉举报"), c["cases"]),
            (_("已办结"), c["closed"]),
            (_("移送公安"), c["referred"]),
            (_("公安已反馈"), c["referrals_answered"]),
        ]),
        (_("安全教育宣传"), [
            (_("宣传活动"), pub["activities"]),
            (_("开展次数"), pub["times"]),
            (_("覆盖人数"), pub["reached"]),
            (_("覆盖机构"), pub["institutions_reached"]),
        ]),
        (_("查处问责"), _enforcement_items(f.get("enforcement"))),
    ]  # fmt: skip


def _enforcement_items(e: dict | None) -> list[tuple[str, object]]:
    """Actions taken (enforcement/); figures frozen before they were counted show a dash."""
    e = e or {}
    return [
        (_("处理措施（项）"), e.get("actions", "—")),
        (_("涉及机构"), e.get("institutions", "—")),
        (_("约谈"), e.get("interview", "—")),
        (_("责令整改"), e.get("order", "—")),
        (_("停业整顿"), e.get("suspension", "—")),
        (_("罚款"), e.get("fine", "—")),
        (_("罚款金额（元）"), e.get("fined_amount", "—")),
        (_("移送"), e.get("referral", "—")),
        (_("问责"), e.get("accountability", "—")),
    ]


def section_table(f: dict) -> tuple[list[str], list[list[object]]]:
    """Problems by checklist section (一…六) and severity."""
    headers = [_("检查内容"), _("重大隐患"), _("一般问题"), _("合计")]
    rows = []
    for value, label in Section.choices:
        counts = f["sections"].get(value, {"major": 0, "general": 0})
        rows.append(
            [str(label), counts["major"], counts["general"], counts["major"] + counts["general"]]
        )
    rows.append([
        _("合计"), sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows),
    ])  # fmt: skip
    return headers, rows


COUNTY_COLUMNS = (
    ("total", gettext_lazy("在营机构")), ("screened", gettext_lazy("已排查")),
    ("rate", gettext_lazy("排查率%")), ("self_rate", gettext_lazy("自查率%")),
    ("found", gettext_lazy("发现问题")),
    ("major", gettext_lazy("重大隐患")), ("rectified", gettext_lazy("已整改")),
    ("closed", gettext_lazy("已销号")), ("overdue", gettext_lazy("逾期")),
    ("staff_platform", gettext_lazy("平台信息完整")), ("staff_checked", gettext_lazy("人员已查询")),
    ("dismissed", gettext_lazy("已清退")), ("fee_violations", gettext_lazy("收费违规")),
    ("complaints", gettext_lazy("投诉举报")), ("referred", gettext_lazy("移送公安")),
    ("publicity", gettext_lazy("宣传活动")), ("actions", gettext_lazy("处理措施")),
    ("self_checked", gettext_lazy("已自查")),
)  # fmt: skip


def county_table(f: dict) -> tuple[list[str], list[list[object]]]:
    """The per-county breakdown, with the city's total as the last row. A column that a
    submission frozen before it existed lacks shows a dash, not a zero nobody counted."""
    headers = [_("县（市、区）")] + [str(label) for _key, label in COUNTY_COLUMNS]
    rows = [[r["name"]] + [r.get(k, "—") for k, _l in COUNTY_COLUMNS] for r in f["counties"]]
    rows.append([_("合计")] + [f["total"].get(k, "—") for k, _l in COUNTY_COLUMNS])
    return headers, rows


def overview_text(f: dict) -> str:
    """The opening paragraph of 基本情况, the figures in the words a report uses."""
    t, s, p, fees, c, pub = (
        f["total"], f["sampling"], f["personnel"], f["fees"], f["complaints"], f["publicity"],
    )  # fmt: skip
    return _(
        "全市共有校外培训机构%(institutions)d家，其中在营%(total)d家，已完成排查%(screened)d家，"
        "排查率%(rate)s%%；共发现问题%(found)d个，其中重大隐患%(major)d个，已整改%(rectified)d个，"
        "已复查销号%(closed)d个，逾期未销号%(overdue)d个。市级抽查应抽查机构%(ri)d家，"
        "已抽查%(ii)d家（县区%(ic)d/%(rc)d个）。核查从业人员%(staff)d人，已完成犯罪记录查询"
        "%(checked)d人，清退%(dismissed)d人。发现违规收费%(fv)d起，退费%(refunded)s元。"
        "受理投诉举报%(cases)d件，移送公安%(referred)d件。开展安全教育宣传活动%(pub)d场，"
        "覆盖%(reached)d人。"
    ) % {
        "institutions": t["institutions"], "total": t["total"], "screened": t["screened"],
        "rate": t["rate"], "found": t["found"], "major": t["major"],
        "rectified": t["rectified"], "closed": t["closed"], "overdue": t["overdue"],
        "ri": s["required_institutions"], "ii": s["inspected_institutions"],
        "ic": s["inspected_counties"], "rc": s["required_counties"], "staff": p["staff"],
        "checked": p["checked"], "dismissed": p["dismissed"], "fv": fees["violations"],
        "refunded": fees["refunded_amount"], "cases": c["cases"], "referred": c["referred"],
        "pub": pub["activities"], "reached": pub["reached"],
    }  # fmt: skip


ROLLUP_COLUMNS = (
    ("institutions", gettext_lazy("机构数")), ("total", gettext_lazy("在营机构")),
    ("screened", gettext_lazy("已排查")), ("rate", gettext_lazy("排查率（%）")),
    ("found", gettext_lazy("发现问题")), ("major", gettext_lazy("重大隐患")),
    ("rectified", gettext_lazy("已整改")), ("closed", gettext_lazy("已复查销号")),
    ("overdue", gettext_lazy("逾期未销号")), ("staff", gettext_lazy("从业人员")),
    ("staff_platform", gettext_lazy("平台信息完整")), ("staff_checked", gettext_lazy("已查询")),
    ("staff_records", gettext_lazy("有犯罪记录")), ("dismissed", gettext_lazy("已清退")),
    ("fee_violations", gettext_lazy("违规收费")), ("refunded", gettext_lazy("退费金额（元）")),
    ("complaints", gettext_lazy("投诉举报")), ("referred", gettext_lazy("移送公安")),
    ("publicity", gettext_lazy("宣传活动")), ("actions", gettext_lazy("处理措施")),
    ("self_checked", gettext_lazy("已自查")),
)  # fmt: skip
