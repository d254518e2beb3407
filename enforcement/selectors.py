"""Reads for 查处问责. Every function takes the acting user's scope.

Who sees what: actions on institutions in the user's `enforcement.view` regions, in the
checklist sections their departments own (a suspension, in no one section, with the
institution); an action taken on the vetting flags (§三) only by those who may read check
results there (`personnel.selectors.results_q`), since an overdue dismissal implies a
criminal record. Withdrawn actions stay listed (struck through) but are never counted or
published: `counted` leaves them out.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.roles import SECTIONS_BY_DEPARTMENT, SECTOR_BY_DEPARTMENT, Department, Section
from accounts.scope import Scope
from campaign.models import ChecklistItem
from core.regions import within_region
from inspections.models import Finding, Inspection
from institutions.models import Institution
from personnel.selectors import institution_compliance, results_q

from .models import EnforcementAction

VIEW, PERMISSION = "enforcement.view", "enforcement.record"
Trigger = EnforcementAction.Trigger

# A suspension is ordered for a major hazard to premises or fire safety (MISSION.md, "A
# major hazard escalates at once and can order a suspension").
SUSPENSION_SECTIONS = frozenset({Section.SAFETY, Section.FIRE})
# The sections a trigger may lie in (a finding: its own, any of the six).
TRIGGER_SECTIONS = {
    Trigger.FINDING: frozenset(Section.values),
    Trigger.SUSPENSION: SUSPENSION_SECTIONS,
    Trigger.PERSONNEL: frozenset({Section.STAFF}),
}


def departments_for(scope: Scope, institution: Institution, sections) -> frozenset[str]:
    """The departments the user may record actions for at this institution, on a trigger
    lying in `sections`."""
    acting = scope.departments_at(
        PERMISSION, county_code=institution.county_id, sector=institution.sector
    )
    return frozenset(d for d in acting if SECTIONS_BY_DEPARTMENT[d] & set(sections))


def action_sections(action: EnforcementAction) -> frozenset[str]:
    """The sections an action's trigger lies in (a suspension: §一 and §二)."""
    return frozenset({action.section}) if action.section else SUSPENSION_SECTIONS


def owners(institution: Institution, sections) -> frozenset[str]:
    """The departments that may have taken an action on a trigger in `sections` at this
    institution: those owning one of the sections, a sector department only for its trade.
    Who took it is recorded, whoever records it (a county education officer may enter the
    fire brigade's fine)."""
    return frozenset(
        d for d in Department.values
        if SECTIONS_BY_DEPARTMENT[d] & set(sections)
        and SECTOR_BY_DEPARTMENT.get(d, institution.sector) == institution.sector
    )  # fmt: skip


def counted(qs: QuerySet) -> QuerySet:
    """The actions that count (summary figures, the public page): not withdrawn."""
    return qs.filter(withdrawn_at__isnull=True)


def may_withdraw(scope: Scope, action: EnforcementAction) -> bool:
    """Whoever may record on the action's trigger at its institution may withdraw it."""
    return action.withdrawn_at is None and bool(
        departments_for(scope, action.institution, action_sections(action))
    )


def mark_withdrawable(scope: Scope, actions) -> None:
    """Set `can_withdraw` on each action shown, for the 撤销 link (asked once per
    institution, not per row)."""
    if not scope.can(PERMISSION):
        for action in actions:
            action.can_withdraw = False
        return
    cache: dict[tuple[int, str], bool] = {}
    for action in actions:
        key = (action.institution_id, action.section)
        if key not in cache:
            cache[key] = may_withdraw(scope, action)
        action.can_withdraw = action.withdrawn_at is None and cache[key]


def may_record(scope: Scope, institution: Institution) -> bool:
    return bool(departments_for(scope, institution, Section.values))


def action_list(*, scope: Scope, permission: str = VIEW, filters=None) -> QuerySet:
    qs = scope.institutions(
        EnforcementAction.objects.select_related(
            "institution__county", "recorded_by", "withdrawn_by"
        ),
        permission,
        path="institution",
    )
    # Only the checklist sections the reader owns, as for the problems themselves
    # (inspections.selectors.finding_list): a fire officer reads no action, basis or note on
    # a minors' or fee problem. A suspension lies in no one section ("", read with the
    # institution).
    qs = qs.filter(Q(section="") | Q(section__in=scope.sections(permission)))
    qs = qs.filter(~Q(section=Section.STAFF) | results_q(scope, path="institution"))
    return _filter(qs, filters or {})


def _filter(qs: QuerySet, filters) -> QuerySet:
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(
            Q(institution__name__icontains=q) | Q(document_number__icontains=q)
            | Q(basis__icontains=q)
        )  # fmt: skip
    if region := (filters.get("region") or "").strip():
        qs = within_region(qs, region, path="institution__county__code")
    if (kind := (filters.get("kind") or "").strip()) in EnforcementAction.Kind.values:
        qs = qs.filter(kind=kind)
    if (trigger := (filters.get("trigger") or "").strip()) in Trigger.values:
        qs = qs.filter(trigger=trigger)
    for name, lookup in (("from", "taken_on__gte"), ("to", "taken_on__lte")):
        try:
            day = parse_date((filters.get(name) or "").strip())
        except ValueError:
            day = None
        if day is not None:
            qs = qs.filter(**{lookup: day})
    return qs


def institution_actions(*, scope: Scope, institution: Institution) -> list[EnforcementAction]:
    return list(action_list(scope=scope).filter(institution=institution))


def bases(*, scope: Scope, institution: Institution) -> list[tuple[str, str]]:
    """What the user may record an action on at this institution, as (value, label) for
    the form: "finding:<id>", "suspension:<inspection id>", "personnel"."""
    return [(value, label) for value, label, _sections in bases_with_sections(
        scope=scope, institution=institution
    )]  # fmt: skip


def department_choices(institution: Institution, offered) -> frozenset[str]:
    """The departments the form offers as 处理部门: every owner of a section one of the
    offered bases lies in (the service checks the one chosen against the chosen trigger)."""
    return owners(institution, {s for _value, _label, sections in offered for s in sections})


def bases_with_sections(
    *, scope: Scope, institution: Institution
) -> list[tuple[str, str, frozenset[str]]]:
    """`bases`, each with the sections its trigger lies in."""
    choices: list[tuple[str, str, frozenset[str]]] = []
    sections = {
        s for d in departments_for(scope, institution, Section.values)
        for s in SECTIONS_BY_DEPARTMENT[d]
    }  # fmt: skip
    if not sections:
        return choices
    findings = (
        Finding.objects.filter(
            task__institution=institution, task__inspection__status=Inspection.Status.SUBMITTED,
            severity=ChecklistItem.Severity.MAJOR, section__in=sections,
        )
        .exclude(status=Finding.Status.WITHDRAWN)
        .select_related("item", "task__inspection")
        .order_by("-task__inspection__submitted_at", "item__code")
    )  # fmt: skip
    for f in findings:
        day = timezone.localdate(f.task.inspection.submitted_at)
        label = _("重大隐患 %(code)s %(text)s（%(day)s，%(status)s）") % {
            "code": f.item.code, "text": f.item.text, "day": day.isoformat(),
            "status": f.get_status_display(),
        }  # fmt: skip
        choices.append((f"finding:{f.pk}", label, frozenset({f.section})))
    if sections & SUSPENSION_SECTIONS:
        suspended = Inspection.objects.filter(
            institution=institution, status=Inspection.Status.SUBMITTED,
            result=Inspection.Result.SUSPEND,
        ).select_related("round").order_by("-submitted_at")  # fmt: skip
        for i in suspended:
            day = timezone.localdate(i.submitted_at)
            label = _("停业整改：%(day)s %(level)s") % {
                "day": day.isoformat(), "level": i.round.get_level_display(),
            }  # fmt: skip
            choices.append((f"suspension:{i.pk}", label, SUSPENSION_SECTIONS))
    if Section.STAFF in sections:
        compliance = institution_compliance(scope=scope, institution=institution)
        if compliance.accountable:
            label = _("从业人员问责：%(reasons)s") % {"reasons": _("；").join(compliance.reasons)}
            choices.append(("personnel", label, frozenset({Section.STAFF})))
    return choices


def acting_departments(scope: Scope, institution: Institution) -> frozenset[str]:
    return departments_for(scope, institution, Section.values)
