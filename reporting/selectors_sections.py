"""Reads for the other departments' parts of a city's work summary (`SummarySection`).

Whoever may read the summary reads its parts (the summary's own scope check comes first);
which parts a user may write is the scope's answer (`Scope.summary_section_departments`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import SUMMARY_SECTION_DEPARTMENTS, Department

from .models import CitySummary, SummarySection, SummarySubmission

SECTION = "summary.section"


def _order(department: str) -> int:
    return SUMMARY_SECTION_DEPARTMENTS.index(department)


def department_name(department: str) -> str:
    """The department's Chinese name as a summary prints it: "消防救援部门"."""
    return _("%(department)s部门") % {"department": Department(department).label}


@dataclass
class SectionView:
    """One department's part as a page or document shows it."""

    department: str
    text: str
    author: str
    updated_at: str  # "2023-12-18 09:30"

    @property
    def name(self) -> str:
        return department_name(self.department)


def section_list(summary: CitySummary | None) -> list[SummarySection]:
    """The summary's live parts, in the notice's order of the departments."""
    if summary is None:
        return []
    rows = summary.sections.select_related("updated_by")
    return sorted(rows, key=lambda s: _order(s.department))


def _author(user) -> str:
    return user.get_full_name() or user.username


def frozen_sections(summary: CitySummary) -> list[dict]:
    """The parts a submission freezes: those with text, as JSON-ready values."""
    return [
        {
            "department": s.department,
            "text": s.text,
            "author": _author(s.updated_by),
            "updated_at": timezone.localtime(s.updated_at).isoformat(timespec="seconds"),
        }
        for s in section_list(summary)
        if s.text.strip()
    ]


def section_views(
    summary: CitySummary | None, submission: SummarySubmission | None = None
) -> list[SectionView]:
    """The parts to show: a submission's frozen ones, else the summary's live ones."""
    rows = (
        submission.sections
        if submission is not None
        else frozen_sections(summary)
        if summary is not None
        else []
    )
    known = [r for r in rows if r.get("department") in SUMMARY_SECTION_DEPARTMENTS]
    return [
        SectionView(r["department"], r["text"], r["author"], r["updated_at"][:16].replace("T", " "))
        for r in sorted(known, key=lambda r: _order(r["department"]))
    ]
