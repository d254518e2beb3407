"""Who may see which complaint, and how much of it. The scope module answers for regions;
this module adds the rules of §四 on top, and every page, export and API asks here.

- Education (county, city, province) sees the cases in its regions; the province reads.
- Public security sees only the cases referred to the police, in its regions.
- Sector departments, should they ever be given `complaints.view`, see their sector's
  institutions only, and never a suspected offence against a minor.
- The auditor reads everything in its region (`complaints.audit`, which only the auditor
  holds: it opens no other page), and each look at a minor-offence case is logged.
- The details of a suspected offence against a minor (description, institution, contact,
  attachments) are shown only to its assigned officers, the police (once referred) and the
  auditor; other officers see that the case exists, its status and deadline, so they can
  assign it. The city's reviewer of a reason not to refer reads the case on its page while
  the reason waits for them (`can_read_for_review`), and gains no other right by it.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.roles import Department
from accounts.scope import Scope

from .models import Case, Category, Referral

VIEW = "complaints.view"
CHANGE = "complaints.change"
AUDIT = "complaints.audit"
POLICE = Department.PUBLIC_SECURITY


def may_open(scope: Scope) -> bool:
    """The complaint pages open to roles with `complaints.view`, and to the auditor."""
    return scope.can(VIEW) or scope.can(AUDIT)


def _audited_q(scope: Scope) -> list[Q]:
    # Every case in the auditor's regions, details included; nothing for anyone else.
    return [scope.q(AUDIT, region="county__code")] if scope.can(AUDIT) else []


def annotate(queryset: QuerySet, user) -> QuerySet:
    """Adds `has_referral` and `is_assigned` (to this user), which the rules below use."""
    assigned = Case.assignees.through.objects.filter(case_id=OuterRef("pk"), user_id=user.pk)
    return queryset.annotate(
        has_referral=Exists(Referral.objects.filter(case_id=OuterRef("pk"))),
        is_assigned=Exists(assigned),
    )


def _police_q(scope: Scope) -> list[Q]:
    # The referred cases in the regions of the user's public security grants.
    if POLICE not in scope.departments(VIEW):
        return []
    return [scope.q(VIEW, region="county__code", departments={POLICE}) & Q(has_referral=True)]


def readable_q(scope: Scope) -> Q:
    held = scope.departments(VIEW)
    parts = _police_q(scope)
    if Department.EDUCATION in held:
        parts.append(scope.q(VIEW, region="county__code", departments={Department.EDUCATION}))
    others = held - {POLICE, Department.EDUCATION}
    if others:
        # Never a minor-offence case; a sector department only in its own sector.
        inside = scope.q(
            VIEW, region="county__code", sector="institution__sector", departments=others
        )
        parts.append(inside & ~Q(category=Category.MINOR_OFFENCE))
    parts += _audited_q(scope)
    return reduce(or_, parts) if parts else Q(pk__in=[])


def details_q(scope: Scope) -> Q:
    """Of the readable cases, those whose details this user may see (needs `annotate`)."""
    parts = [~Q(category=Category.MINOR_OFFENCE), Q(is_assigned=True)]
    parts += _police_q(scope)
    parts += _audited_q(scope)
    # Not the no-referral reviewer: they read one case on its page while it waits for them
    # (`can_read_for_review`), never through lists, exports or the API.
    return reduce(or_, parts)


def can_see_details(case: Case, scope: Scope, user) -> bool:
    """The rule of `details_q`, asked of one case (annotated or not)."""
    if hasattr(case, "shows_details"):
        return bool(case.shows_details)
    if case.category != Category.MINOR_OFFENCE:
        return True
    if scope.covers_region(AUDIT, case.county_id):
        return True
    if is_police_for(case, scope) and case.referrals.exists():
        return True
    return case.assignees.filter(pk=user.pk).exists()


def can_change(case: Case, scope: Scope) -> bool:
    """Triage (assign, reclassify) is the education office's, in its regions."""
    return scope.covers_region(CHANGE, case.county_id)


def can_handle(case: Case, scope: Scope, user) -> bool:
    """Refer, link, close, reveal the contact: triage rights and sight of the details."""
    return can_change(case, scope) and can_see_details(case, scope, user)


def is_police_for(case: Case, scope: Scope) -> bool:
    return scope.covers_region(VIEW, case.county_id, departments={POLICE})


def can_answer_referral(case: Case, scope: Scope, user) -> bool:
    """The police unit records its receipt and feedback; the education officer handling the
    case may record them from the unit's paper reply."""
    return is_police_for(case, scope) or can_handle(case, scope, user)


# Who reviews a decision not to refer a suspected offence against a minor to the police.
# Chinese practice puts that decision above the case handler: the State Council's rules on
# handing suspected crimes to public security (国务院令第310号, 第五条) have the agency's
# head approve "移送 / 不移送", and the mandatory-reporting opinion on offences against minors
# (强制报告制度, 2020) makes referral the default duty. A county education office has no
# "lead" role of its own here (its officers are peers), and §四(一) of the notice puts the
# cities in charge of overseeing the counties, so the reviewer is an education officer
# holding `complaints.change` at city (or province) level over the case's county, and never
# someone handling the case or who proposed the reason: nobody approves their own decision.


def _is_reviewer_for(case: Case, scope: Scope) -> bool:
    return scope.covers_region(
        CHANGE, case.county_id, departments={Department.EDUCATION}, levels={"city", "province"}
    )


def can_read_for_review(case: Case, scope: Scope, user) -> bool:
    """A reviewer reads what they are asked to approve: the details of a minors' case whose
    no-referral reason waits for review, on its page, in their city. Reading only: handling
    (`can_handle`: refer, close, reveal the contact …) stays with the rule above, and the
    sight ends with the review."""
    return (
        case.category == Category.MINOR_OFFENCE
        and case.is_open
        and case.no_referral_pending
        and _is_reviewer_for(case, scope)
        and not case.referrals.exists()
    )


def can_review_no_referral(case: Case, scope: Scope, user) -> bool:
    """May approve (or send back) the handler's reason for not referring this case."""
    if not _is_reviewer_for(case, scope):
        return False
    if case.no_referral_proposed_by_id == user.pk:
        return False
    return not case.assignees.filter(pk=user.pk).exists()
