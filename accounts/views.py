from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from institutions.selectors import institution_counts_by_child_region, institution_list
from progress.views import dashboard_context
from sampling.selectors import my_assignments

from . import selectors
from .mixins import ScopedViewMixin
from .models import AuditEvent, Notification
from .notifications import notifications_mark_read
from .roles import Role, Section
from .scope import get_in_scope_or_404, scope_for


@login_required
def home(request):
    """Everyone lands here after login and sees the page of their role."""
    scope = scope_for(request.user)
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


class AuditLogView(ScopedViewMixin, TemplateView):
    permission = "audit.view"
    template_name = "accounts/audit_log.html"

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        username = self.request.GET.get("username", "").strip()
        events = selectors.audit_event_list(scope=self.scope, kind=kind, username=username)
        return super().get_context_data(
            page=Paginator(events, 50).get_page(self.request.GET.get("page")),
            kinds=AuditEvent.Kind.choices,
            kind=kind,
            username=username,
            **kwargs,
        )


class NotificationListView(ScopedViewMixin, TemplateView):
    permission = "dashboard.view"
    template_name = "accounts/notifications.html"

    def get_context_data(self, **kwargs):
        notes = Notification.objects.filter(user=self.request.user)
        return super().get_context_data(
            page=Paginator(notes, 30).get_page(self.request.GET.get("page")), **kwargs
        )


class NotificationReadView(ScopedViewMixin, View):
    """Mark one notification (or, without a pk, all of them) read; go to what it points at."""

    permission = "dashboard.view"

    def post(self, request, pk=None):
        if pk is None:
            notifications_mark_read(user=request.user)
            return redirect("notifications")
        note = get_in_scope_or_404(Notification.objects.filter(user=request.user), pk=pk)
        notifications_mark_read(user=request.user, pk=note.pk)
        return redirect(
            note.link
            if url_has_allowed_host_and_scheme(note.link, None) and note.link
            else "notifications"
        )
