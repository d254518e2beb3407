"""The demo's institution accounts (机构账号, issue #21): three 太原市 institutions sign in to
the institution side (`/org/`), each in another state of the campaign, so a newcomer sees what
an institution sees without typing anything (ops/demo/rectification.py puts the counties in
their states):

- `jigou_zhenggai` (杏花岭区): screened, its problems still to rectify and past their deadline;
- `jigou_xiaohao` (迎泽区): screened, every problem re-inspected and closed (or none found);
- `jigou_weijian` (小店区): not screened yet.

Each is opened by its county's officer through the county's service
(institutions/accounts.py), with the demo password and no forced change. Idempotent: an
existing demo login is left as it is.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Subquery

from accounts.models import User
from accounts.scope import Scope
from inspections.models import Finding, Inspection
from institutions.accounts import institution_account_open
from institutions.models import Institution, InstitutionAccount

from .rectification import DONE, NOT_RECTIFIED

# (login, the state its institution is in, where to look: county and the county officer who
# opens the account, in order; a small demo (`seed_demo --institutions 200`) may have no
# institution in that state in the first county)
DEMO_ACCOUNTS = [
    ("jigou_zhenggai", "pending",
     [(NOT_RECTIFIED, "county_xinghualing"), ("140105", "county_xiaodian")]),
    ("jigou_xiaohao", "closed", [(DONE, "county_yingze"), ("140105", "county_xiaodian")]),
    ("jigou_weijian", "unscreened", [("140105", "county_xiaodian")]),
]  # fmt: skip


def _pick(county: str, state: str) -> Institution | None:
    problems = Finding.objects.filter(task__institution=OuterRef("pk"))
    pending = problems.exclude(status__in=Finding.DONE)
    open_count = pending.values("task__institution").annotate(n=Count("pk")).values("n")
    screened = Inspection.objects.filter(
        institution=OuterRef("pk"), status=Inspection.Status.SUBMITTED
    )
    base = (
        Institution.objects.filter(county_id=county, status=Institution.Status.OPERATING)
        .exclude(Exists(InstitutionAccount.objects.filter(institution=OuterRef("pk"))))
        .annotate(has_pending=Exists(pending), screened=Exists(screened))
    )
    if state == "pending":
        # The most problems still open, so the one or two a visitor closes leave some.
        found = base.filter(has_pending=True).annotate(n=Subquery(open_count[:1]))
        return found.order_by("-n", "pk").first()
    if state == "closed":
        return base.filter(screened=True, has_pending=False).order_by("pk").first()
    return base.filter(screened=False).order_by("pk").first()


def institution_accounts_demo_create(*, password: str) -> list[tuple[str, str]]:
    """Open the demo's institution accounts; returns (username, institution name) of each."""
    made = []
    for username, state, places in DEMO_ACCOUNTS:
        existing = InstitutionAccount.objects.filter(user__username=username).first()
        if existing is not None:
            made.append((username, existing.institution.name))
            continue
        found = (
            (User.objects.filter(username=officer_name).first(), _pick(county, state))
            for county, officer_name in places
        )
        officer, institution = next(((o, i) for o, i in found if o and i), (None, None))
        if institution is None:
            continue
        institution_account_open(
            institution=institution, actor=officer, scope=Scope.for_user(officer),
            username=username, password=password,
        )  # fmt: skip
        made.append((username, institution.name))
    return made
