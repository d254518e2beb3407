"""The problem list, rectification (report / re-inspect), the rectification notice."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_filters import rest_framework as filters

from accounts.mixins import ScopedViewMixin
from accounts.roles import Department, Section
from accounts.scope import Scope, get_in_scope_or_404
from campaign.models import ChecklistItem
from core.paging import NarrowPaginator
from core.photos import jpeg_response
from core.regions import within_region
from institutions.selectors import region_list
from selfcheck.selectors import said_compliant
from tabular.download import ledger_download, title_region_name

from . import receipts, selectors, services
from .exporters import ProblemLedger
from .models import Finding, Inspection, Round

LIST_FILTERS = (
    "q", "region", "section", "severity", "status", "department", "deadline_from", "deadline_to",
    "campaign", "self_said",
)  # fmt: skip
OVERDUE = "overdue"
SAID_COMPLIANT = "compliant"


class FindingFilterSet(filters.FilterSet):
    """The problem list's filters, shared by the page and its export; they only narrow."""

    q = filters.CharFilter(field_name="task__institution__name", lookup_expr="icontains")
    region = filters.CharFilter(method="filter_region")
    section = filters.ChoiceFilter(choices=Section.choices)
    severity = filters.ChoiceFilter(choices=ChecklistItem.Severity.choices)
    status = filters.ChoiceFilter(
        choices=[*Finding.Status.choices, (OVERDUE, gettext_lazy("已逾期"))],
        method="filter_status",
    )
    department = filters.ChoiceFilter(field_name="task__department", choices=Department.choices)
    # The dashboards count one campaign's problems; their links open that campaign's list.
    campaign = filters.NumberFilter(field_name="task__inspection__round__campaign_id")
    # Problems where the institution's own self-inspection had said the item was 合规: the
    # boards' count of self-assessments the officials contradicted opens this list.
    self_said = filters.ChoiceFilter(
        choices=[(SAID_COMPLIANT, gettext_lazy("机构自查称合规"))], method="filter_self_said"
    )
    # The effective deadline: a problem sent back is due on its own new date.
    deadline_from = filters.DateFilter(method="filter_deadline_from")
    deadline_to = filters.DateFilter(method="filter_deadline_to")

    class Meta:
        model = Finding
        fields = list(LIST_FILTERS)

    def filter_region(self, queryset, name, value):
        return within_region(queryset, value, path="task__institution__county__code")

    def filter_deadline_from(self, queryset, name, value):
        return queryset.filter(selectors.deadline_q("gte", value))

    def filter_deadline_to(self, queryset, name, value):
        return queryset.filter(selectors.deadline_q("lte", value))

    def filter_self_said(self, queryset, name, value):
        return queryset.filter(
            said_compliant(
                institution="task__institution",
                campaign="task__inspection__round__campaign",
                code="item__code",
                before="task__inspection__submitted_at",
            )
        )

    def filter_status(self, queryset, name, value):
        if value == OVERDUE:
            return queryset.filter(selectors.overdue_q())
        return queryset.filter(status=value)


def filtered_findings(*, scope: Scope, params) -> QuerySet:
    """The scoped problem list narrowed by the page's query parameters, each row marked overdue."""
    qs = selectors.finding_list(scope=scope).annotate(
        is_overdue=Case(
            When(selectors.overdue_q(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    qs = FindingFilterSet(data=params, queryset=qs).qs
    if params.get("status") != Finding.Status.WITHDRAWN:
        # Withdrawn by an amendment: never a problem, listed only when asked for.
        qs = qs.exclude(status=Finding.Status.WITHDRAWN)
    return qs.order_by(selectors.effective_deadline(), "task__institution__name", "id")


class ProblemListView(ScopedViewMixin, TemplateView):
    permission = "inspections.view"
    template_name = "inspections/problem_list.html"

    def get_context_data(self, **kwargs):
        qs = filtered_findings(scope=self.scope, params=self.request.GET)
        page = NarrowPaginator(qs, 50).get_page(self.request.GET.get("page"))
        current = {name: self.request.GET.get(name, "").strip() for name in LIST_FILTERS}
        sections = self.scope.sections("inspections.view")
        return super().get_context_data(
            page=page,
            filters=current,
            more_filters_open=any(current[n] for n in LIST_FILTERS if n not in {"q", "region"}),
            regions=region_list(scope=self.scope).exclude(level="province").order_by("code"),
            sections=[(v, label) for v, label in Section.choices if v in sections],
            severities=ChecklistItem.Severity.choices,
            statuses=[*Finding.Status.choices, (OVERDUE, _("已逾期"))],
            departments=Department.choices,
            export_query=self.request.GET.urlencode(),
            **kwargs,
        )


def problem_ledger(*, scope, user, params, request=None) -> ProblemLedger:
    """The problem list for these query parameters (the download and a background run)."""
    qs = filtered_findings(scope=scope, params=params)
    return ProblemLedger(qs, region_name=title_region_name(scope=scope, user=user, params=params))


class ProblemExportView(ScopedViewMixin, View):
    """The problem list as xlsx (or csv), filtered exactly as the page, inside the scope."""

    permission = "inspections.view"

    def get(self, request):
        ledger = problem_ledger(scope=self.scope, user=request.user, params=request.GET)
        return ledger_download(request=request, ledger=ledger, key="problems", basename="问题清单")


class ReportForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("整改情况"),
        max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": gettext_lazy("请填写整改情况")},
    )


class VerifyForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("复查结论"),
        choices=[("yes", gettext_lazy("整改到位，销号")), ("no", gettext_lazy("未整改到位，退回"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": gettext_lazy("请选择复查结论")},
    )
    note = forms.CharField(
        label=gettext_lazy("复查意见"),
        max_length=services.NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    deadline = forms.DateField(
        label=gettext_lazy("新的整改期限"),
        required=False,
        help_text=gettext_lazy("退回整改时必填，不早于今天。"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control"}),
        error_messages={"invalid": gettext_lazy("整改期限格式不正确")},
    )
    # Needed when the new deadline falls after the county phase's deadline (the service
    # decides: it knows the problem's round and campaign).
    deadline_reason = forms.CharField(
        label=gettext_lazy("整改期限晚于排查整改截止日期的理由"),
        max_length=services.DEADLINE_REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        data = super().clean()
        # A problem sent back needs the reason, or the institution cannot act on it, and a
        # new deadline, or it is overdue the moment it is reopened.
        if data.get("passed") is False:
            if not (data.get("note") or "").strip():
                self.add_error("note", _("退回时请写明未整改到位的情况"))
            deadline = data.get("deadline")
            if deadline is None and "deadline" not in self.errors:
                self.add_error("deadline", _("退回整改时请填写新的整改期限"))
            elif deadline is not None and deadline < timezone.localdate():
                self.add_error("deadline", _("新的整改期限不能早于今天"))
        return data


class FindingView(ScopedViewMixin, TemplateView):
    permission = "inspections.view"
    template_name = "inspections/finding.html"

    def get_context_data(self, **kwargs):
        finding = get_in_scope_or_404(
            selectors.finding_list(scope=self.scope).select_related(
                "task__inspection__round__region",
                "task__inspection__round__campaign",
                "task__inspection__created_by",
                "verified_by",
                "withdrawn_by__made_by",
            ),
            pk=self.kwargs["pk"],
        )
        can_change = (
            self.scope.covers_task(
                "rectification.change",
                county_code=finding.task.institution.county_id,
                sector=finding.task.institution.sector,
                department=finding.task.department,
            )
            and finding.section in self.scope.sections("rectification.change")
            and finding.status not in Finding.DONE
        )
        finding.is_overdue = finding.overdue_on(timezone.localdate())
        kwargs.setdefault("report_form", ReportForm())
        kwargs.setdefault("verify_form", VerifyForm())
        round_ = finding.task.inspection.round
        phase_deadline = services.reason_phase_deadline(round_.campaign, round_.level)
        if phase_deadline is not None:
            # The page warns the moment a date after the phase's end is picked.
            kwargs["verify_form"].fields["deadline"].widget.attrs.update(
                {"data-phase-deadline": phase_deadline.isoformat(), "data-reason": "reason-block"}
            )
        return super().get_context_data(
            finding=finding,
            can_change=can_change,
            phase_deadline=phase_deadline,
            history=finding_history(finding),
            receipt_photos=list(finding.receipt_photos.all()),
            receipt_caution=receipts.receipt_caution(finding),
            **kwargs,
        )


def finding_history(finding: Finding) -> list[dict]:
    """What happened to a problem, one line per history row, saying what changed in it."""
    rows = list(
        finding.history.select_related("history_user", "withdrawn_by").order_by(
            "history_date", "history_id"
        )
    )
    lines, previous = [], None
    for row in rows:
        parts = []
        if previous is None:
            parts.append(_("检查发现问题") if row.history_type == "+" else row.get_status_display())
        elif row.verified_at != previous.verified_at:
            text = (
                _("复查合格，销号")
                if row.status == Finding.Status.CLOSED
                else _("复查未通过，退回整改")
            )
            parts.append(text + (f"：{row.verify_note}" if row.verify_note else ""))
        elif row.reported_at != previous.reported_at:
            parts.append(f"{_('已报整改')}：{row.report_note}")
        elif row.status != previous.status:
            text = row.get_status_display()
            if row.status == Finding.Status.WITHDRAWN and row.withdrawn_by:
                text += "：" + _("检查记录更正，更正原因：%(reason)s") % {
                    "reason": row.withdrawn_by.reason
                }
            elif previous.status == Finding.Status.WITHDRAWN:
                text = _("检查记录更正，问题恢复为待整改")
            parts.append(text)
        if previous is not None:
            if row.deadline != previous.deadline and row.deadline:
                parts.append(_("整改期限改为 %(date)s") % {"date": row.deadline.isoformat()})
                if row.deadline_reason:
                    parts.append(_("理由：%(reason)s") % {"reason": row.deadline_reason})
            if row.description != previous.description:
                parts.append(_("问题描述改为：%(text)s") % {"text": row.description})
        if parts:
            lines.append(
                {"when": row.history_date, "who": row.history_user, "text": "；".join(parts)}
            )
        previous = row
    return lines


class _FindingActionView(ScopedViewMixin, View):
    """A POST that changes one problem: fetched inside the scope that may change it."""

    permission = "rectification.change"
    form_class: type[forms.Form]
    form_name: str

    def post(self, request, pk):
        finding = get_in_scope_or_404(
            selectors.finding_list(scope=self.scope, permission="rectification.change"), pk=pk
        )
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.act(finding, form.cleaned_data)
            except ValidationError as exc:
                # Shown above the page: the form may be gone (a problem closed meanwhile).
                messages.error(request, "；".join(exc.messages))
            else:
                return redirect("inspections:finding", pk=finding.pk)
        view = FindingView(request=request, kwargs={"pk": pk}, scope=self.scope)
        context = view.get_context_data(**{self.form_name: form})
        return render(request, FindingView.template_name, context, status=400)

    def act(self, finding: Finding, data: dict) -> None:
        raise NotImplementedError


class FindingReportView(_FindingActionView):
    form_class = ReportForm
    form_name = "report_form"

    def act(self, finding, data):
        services.finding_report(
            finding=finding, actor=self.request.user, scope=self.scope, note=data["note"]
        )
        messages.success(self.request, _("已记录整改情况，等待复查"))


class FindingVerifyView(_FindingActionView):
    form_class = VerifyForm
    form_name = "verify_form"

    def act(self, finding, data):
        services.finding_verify(
            finding=finding,
            actor=self.request.user,
            scope=self.scope,
            passed=data["passed"],
            note=data["note"],
            deadline=None if data["passed"] else data["deadline"],
            deadline_reason=data["deadline_reason"],
        )
        if data["passed"]:
            messages.success(self.request, _("复查合格，问题已销号"))
        else:
            messages.warning(
                self.request,
                _("复查未通过，问题已退回整改，新的整改期限为 %(date)s")
                % {"date": data["deadline"].isoformat()},
            )


class NoticeView(ScopedViewMixin, TemplateView):
    """整改通知书: the printable notice left with the institution after a submitted inspection."""

    permission = "inspections.view"
    template_name = "inspections/notice.html"

    def get_context_data(self, **kwargs):
        inspection = get_in_scope_or_404(
            selectors.inspection_list(scope=self.scope)
            .filter(status=Inspection.Status.SUBMITTED)
            .select_related("round__region", "institution", "site"),
            pk=self.kwargs["pk"],
        )
        # Through the problem list's selector: the reader's sections only, as on the
        # inspection page and in the API (a fire officer never reads a §四 minors finding).
        # Education owns every section, so its notice is the whole one. Withdrawn ones were
        # never problems.
        findings = (
            selectors.finding_list(scope=self.scope)
            .filter(task__inspection=inspection)
            .exclude(status=Finding.Status.WITHDRAWN)
            .select_related("task", "item")
            .order_by("item__order", "item__code", "id")
        )
        short = inspection.round.region.name
        bureau = short + (
            _("教育厅") if inspection.round.level == Round.Level.PROVINCE else _("教育局")
        )
        submitted = timezone.localtime(inspection.submitted_at)
        return super().get_context_data(
            inspection=inspection,
            institution=inspection.institution,
            address=inspection.site.address if inspection.site else inspection.institution.address,
            inspectors="、".join(str(u) for u in inspection.inspectors.order_by("id")),
            findings=findings,
            coverage=self._coverage(),
            bureau=bureau,
            number=_("%(region)s安检〔%(year)d〕第 %(n)d 号")
            % {"region": short, "year": submitted.year, "n": inspection.pk},
            inspected_on=submitted.date(),
            **kwargs,
        )

    def _coverage(self) -> dict | None:
        """What a reader of only some sections' notice covers; None for the whole notice.

        Their notice lists only their sections' problems, so it must say so and may never
        say the inspection found nothing: the conclusion may rest on problems they don't see.
        """
        sections = self.scope.sections(self.permission)
        if sections >= set(Section.values):
            return None
        departments = self.scope.departments(self.permission)
        return {
            "departments": "、".join(
                str(label) for value, label in Department.choices if value in departments
            ),
            "sections": "；".join(
                str(label) for value, label in Section.choices if value in sections
            ),
        }


class ReceiptPhotoView(ScopedViewMixin, View):
    """A photo of an institution's receipt, to the officials who may see its problem."""

    permission = "inspections.view"

    def get(self, request, pk):
        photos = receipts.receipt_photos_for_officials(scope=self.scope)
        return jpeg_response(get_in_scope_or_404(photos, pk=pk).image)


urlpatterns: list = [
    path("problems/", ProblemListView.as_view(), name="problems"),
    path("problems/export/", ProblemExportView.as_view(), name="problems_export"),
    path("problems/<int:pk>/", FindingView.as_view(), name="finding"),
    path("problems/<int:pk>/report/", FindingReportView.as_view(), name="finding_report"),
    path("problems/<int:pk>/verify/", FindingVerifyView.as_view(), name="finding_verify"),
    path("problems/photos/<int:pk>/", ReceiptPhotoView.as_view(), name="receipt_photo"),
    path("<int:pk>/notice/", NoticeView.as_view(), name="notice"),
]
