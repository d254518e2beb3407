"""Everyone's home page after login: the page of their role, with the figures of the
progress boards (dashboards.py) for their region."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from accounts import selectors
from accounts.roles import Role, Section
from accounts.scope import scope_for
from institutions.selectors import institution_counts_by_child_region, institution_list
from sampling.selectors import my_assignments

from .views import dashboard_context


@login_required
def home(request):
    """Everyone lands here after login and sees the page of their role."""
    scope = scope_for(request.user)
    if scope.can("portal.use"):
        # An institution's own account: the institution side (portal), nothing of officials.
        return redirect("portal:home")
    if not scope.can("dashboard.view"):
        if scope.can("audit.view"):
            return redirect("audit_log")
        raise PermissionDenied
    grant = selectors.primary_grant(user=request.user)
    region = grant.region
    context = {
        "grant": grant,
        "region": region,
        "sections": [s for s in Section if s in scope.sections("dashboard.view")],
    }
    # The card lists the first 200; its heading counts them all.
    assigned = my_assignments(request.user)
    context["my_assignments"] = list(assigned[:200])
    context["my_assignments_total"] = (
        assigned.count()
        if len(context["my_assignments"]) == 200
        else len(context["my_assignments"])
    )
    if scope.can("inspections.view"):
        # The progress figures (progress/dashboards.py) count the register and the screening
        # in the same two grouped statements, so the dashboard stays fast at 120,000 rows.
        context.update(dashboard_context(scope=scope, region=region))
    else:
        institutions = institution_list(scope=scope, permission="dashboard.view").filter(
            county__code__startswith=region.prefix
        )
        context.update(
            institution_total=institutions.count(),
            risky_total=institutions.filter(is_risky=True).count(),
            subject_total=institutions.filter(category="subject").count(),
        )
        if region.level != "county":
            context["by_child_region"] = institution_counts_by_child_region(
                scope=scope, region=region
            )
    template = {
        Role.COUNTY_OFFICER: "progress/county.html",
        Role.CITY_STAFF: "progress/city.html",
        Role.PROVINCE_STAFF: "progress/province.html",
        Role.DEPARTMENT_USER: "progress/department.html",
        Role.VETTING_OFFICER: "progress/department.html",
        Role.ADMIN: "progress/admin.html",
    }[grant.role]
    return render(request, template, context)
