"""Pages of the city work summaries: the list, one city's summary (live figures while it is
a draft, the narrative form, submit, history), the province's review, the documents and
the province's roll-up. Thin: access through the scope, writes through services_summary.

A city outside the user's scope, or a campaign of another province, is the same 404 as one
that does not exist.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from accounts.audit import audit_log
from accounts.mixins import ScopedViewMixin
from accounts.models import AuditEvent
from accounts.roles import SUMMARY_SECTION_DEPARTMENTS
from accounts.scope import get_in_scope_or_404, scope_for
from core.text import small_int
from tabular.download import XLSX

from . import documents_summary as documents
from . import selectors_summary as selectors
from . import services_summary as services
from .models import CitySummary
from .selectors_sections import department_name, section_list
from .tables_summary import county_table, key_figures, section_table

PDF = "application/pdf"


class NarrativeForm(forms.Form):
    organisation = forms.CharField(label=gettext_lazy("工作组织开展情况"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    experiences = forms.CharField(label=gettext_lazy("典型经验做法"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    problems = forms.CharField(label=gettext_lazy("存在的问题"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    next_steps = forms.CharField(label=gettext_lazy("下一步工作打算"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 6}))  # fmt: skip
    issuer = forms.CharField(label=gettext_lazy("落款单位"), required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def narratives(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name, _label in CitySummary.SECTIONS}


class ReviewForm(forms.Form):
    # No max_length here: the browser sends each line break as "\r\n", so the length is
    # the service's to measure, after normalising, with its own message.
    comment = forms.CharField(label=gettext_lazy("审核意见"), required=False, strip=False,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    # The submission the reviewer read: a decision never lands on a newer one.
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class SectionForm(forms.Form):
    """One department's part of the summary; its length and characters are the service's to
    measure, after line breaks are normalised, with its own message."""

    text = forms.CharField(label=gettext_lazy("本部门工作情况"), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 5}))  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _send(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _audit_export(request, what: str, **detail) -> None:
    audit_log(kind=AuditEvent.Kind.EXPORT, actor=request.user, request=request,
              detail={"ledger": what, **detail})  # fmt: skip


class SummaryListView(ScopedViewMixin, TemplateView):
    """Every city the user may see, with its summary's status; province: the roll-up."""

    permission = selectors.VIEW
    template_name = "reporting/summary/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaigns = selectors.summary_campaigns(self.scope)
        wanted = small_int(self.request.GET.get("campaign", ""))
        campaign = (
            campaigns.filter(pk=wanted).first() if wanted is not None else None
        ) or selectors.active_summary_campaign(self.scope)
        rows = selectors.city_rows(self.scope, campaign) if campaign else []
        context.update(
            campaign=campaign, campaigns=campaigns, rows=rows,
            deadline=selectors.summary_deadline(campaign) if campaign else None,
            # The reviewer's view (who is still to send) is for those who receive the
            # summaries, province education; the province's other departments read them and
            # download the roll-ups (summary.review lets them) but decide nothing.
            can_review=any(self.scope.receives_summary(r.city.code) for r in rows),
            can_rollup=self.scope.can(selectors.REVIEW),
            waiting=[r for r in rows if r.pending],
        )  # fmt: skip
        return context


class _CityMixin(ScopedViewMixin):
    """Resolves the campaign and the city from the URL, inside the scope (else 404)."""

    def setup_city(self, campaign: int, city: str) -> None:
        self.campaign = get_in_scope_or_404(selectors.summary_campaigns(self.scope), pk=campaign)
        self.city = selectors.city_in_scope(self.scope, self.campaign, city)
        if self.city is None:
            raise Http404
        self.summary = selectors.summary_for(self.campaign, self.city)


class SummaryDetailView(_CityMixin, TemplateView):
    permission = selectors.VIEW
    template_name = "reporting/summary/detail.html"

    def get(self, request, campaign, city, **kwargs):
        self.setup_city(campaign, city)
        return self.render_page()

    def section_forms(self, bound=None, bound_department: str = "") -> list[tuple]:
        """(department, its name, form) for each part the user writes, while it may change."""
        summary = self.summary
        if summary is None or not summary.is_editable:
            return []
        writable = self.scope.summary_section_departments(self.city.code)
        live = {s.department: s for s in section_list(summary)}
        forms_ = []
        for department in SUMMARY_SECTION_DEPARTMENTS:
            if department not in writable:
                continue
            form = bound if bound is not None and department == bound_department else None
            if form is None:
                current = live.get(department)
                form = SectionForm(
                    initial={"text": current.text if current else "",
                             "version": current.version if current else 0},
                    auto_id=f"id_{department}_%s",
                )  # fmt: skip
            forms_.append((department, department_name(department), form))
        return forms_

    def render_page(self, *, form=None, review_form=None, section_form=None,
                    section_department="", status=200):  # fmt: skip
        summary = self.summary
        # The narrative is the city education bureau's; other city staff write their part.
        can_edit = self.scope.writes_summary(self.city.code) and (
            summary is None or summary.is_editable
        )
        # Only those who receive the summary (province education) see the review buttons.
        can_review = (
            self.scope.receives_summary(self.city.code)
            and summary is not None
            and summary.status == CitySummary.Status.SUBMITTED
        )
        if can_edit and form is None:
            initial = summary.narratives() if summary else {}
            form = NarrativeForm(initial={
                **initial, "version": summary.version if summary else 0,
                "issuer": summary.issuer if summary else services.default_issuer(self.city),
            })  # fmt: skip
        doc = documents.document_for(summary, campaign=self.campaign, city=self.city)
        context = {
            "campaign": self.campaign, "city": self.city, "summary": summary, "doc": doc,
            "figures": doc.figures, "key_figures": key_figures(doc.figures),
            "section_table": section_table(doc.figures), "county_table": county_table(doc.figures),
            "form": form if can_edit else None,
            "review_form": (review_form or ReviewForm()) if can_review else None,
            "section_forms": self.section_forms(section_form, section_department),
            # A department's writer before the bureau began: say when the part can be written.
            "section_waiting": summary is None
            and bool(self.scope.summary_section_departments(self.city.code)),
            "events": summary.events.select_related("actor") if summary else [],
            "submissions": summary.submissions.select_related("submitted_by") if summary else [],
            "deadline": selectors.summary_deadline(self.campaign),
            "pdf_available": documents.pdf_available(),
        }  # fmt: skip
        return render(self.request, self.template_name, context, status=status)


class SummarySaveView(SummaryDetailView):
    """Save the narrative, or save and submit (the button pressed says which)."""

    permission = selectors.CHANGE
    http_method_names = ["post"]

    def post(self, request, campaign, city):
        self.setup_city(campaign, city)
        if not self.scope.covers_region(self.permission, self.city.code):
            raise Http404
        if not self.scope.writes_summary(self.city.code):
            raise PermissionDenied  # city staff of another department: their part only
        form = NarrativeForm(request.POST)
        if form.is_valid():
            submit = "submit" in request.POST
            action = services.summary_submit if submit else services.summary_save
            try:
                action(
                    campaign=self.campaign, city=self.city, actor=request.user, scope=self.scope,
                    narratives=form.narratives(), version=form.cleaned_data["version"],
                    issuer=form.cleaned_data["issuer"], request=request,
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已报送省级审核") if submit else _("已保存"))
                return redirect("summaries:detail", self.campaign.pk, self.city.code)
        self.summary = selectors.summary_for(self.campaign, self.city)
        return self.render_page(form=form, status=400)


class SummaryReviewView(SummaryDetailView):
    """Province: accept, or return with a comment."""

    permission = selectors.REVIEW
    http_method_names = ["post"]

    def post(self, request, campaign, city):
        self.setup_city(campaign, city)
        if not self.scope.covers_region(self.permission, self.city.code):
            raise Http404
        if not self.scope.receives_summary(self.city.code):
            raise PermissionDenied  # province staff of another department: they only read it
        form = ReviewForm(request.POST)
        if form.is_valid():
            accept = request.POST.get("decision") == "accept"
            action = services.summary_accept if accept else services.summary_return
            try:
                action(
                    campaign=self.campaign, city=self.city, actor=request.user, scope=self.scope,
                    comment=form.cleaned_data["comment"],
                    revision=form.cleaned_data["revision"], request=request,
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已审核通过") if accept else _("已退回修改"))
                return redirect("summaries:detail", self.campaign.pk, self.city.code)
        self.summary = selectors.summary_for(self.campaign, self.city)
        return self.render_page(review_form=form, status=400)


class SummarySectionView(SummaryDetailView):
    """A city department saves its own part of the city's summary: its department users
    (summary.section) or its city staff (summary.change); the scope says which parts."""

    permission = selectors.VIEW
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        # The right is two permissions' (see above), asked of the scope before anything else:
        # a role that writes no part anywhere gets 403, whatever the method.
        if request.user.is_authenticated and not scope_for(request.user).writes_summary_sections():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, campaign, city, department):
        self.setup_city(campaign, city)
        if department not in SUMMARY_SECTION_DEPARTMENTS:
            raise Http404
        form = SectionForm(request.POST, auto_id=f"id_{department}_%s")
        if form.is_valid():
            try:
                services.section_save(
                    campaign=self.campaign, city=self.city, department=department,
                    actor=request.user, scope=self.scope, text=form.cleaned_data["text"],
                    version=form.cleaned_data["version"], request=request,
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已保存本部门内容"))
                return redirect("summaries:detail", self.campaign.pk, self.city.code)
        self.summary = selectors.summary_for(self.campaign, self.city)
        return self.render_page(section_form=form, section_department=department, status=400)


class SubmissionView(SummaryDetailView):
    """One submission as it was sent: its frozen figures and text."""

    template_name = "reporting/summary/submission.html"

    def get(self, request, campaign, city, number):
        self.setup_city(campaign, city)
        if self.summary is None:
            raise Http404
        submission = get_in_scope_or_404(self.summary.submissions.all(), number=number)
        doc = documents.document_for(
            self.summary, campaign=self.campaign, city=self.city, revision=number
        )
        return render(request, self.template_name, {
            "campaign": self.campaign, "city": self.city, "summary": self.summary,
            "submission": submission, "doc": doc, "key_figures": key_figures(doc.figures),
            "section_table": section_table(doc.figures), "county_table": county_table(doc.figures),
            "pdf_available": documents.pdf_available(),
        })  # fmt: skip


def _revision(request) -> int | None:
    """The revision asked for, or None for the current text; one that cannot be a revision
    number is no revision of this summary (404, like an unknown one)."""
    value = request.GET.get("revision", "")
    if not value:
        return None
    number = small_int(value)
    if number is None:
        raise Http404
    return number


class SummaryWordView(_CityMixin, View):
    permission = selectors.VIEW

    def get(self, request, campaign, city):
        self.setup_city(campaign, city)
        revision = _revision(request)
        if revision and (
            self.summary is None or not self.summary.submissions.filter(number=revision).exists()
        ):
            raise Http404
        doc = documents.document_for(self.summary, campaign=self.campaign, city=self.city,
                                     revision=revision)  # fmt: skip
        _audit_export(request, "city_summary", format="docx", city=self.city.code,
                      revision=doc.revision)  # fmt: skip
        name = _("%(city)s工作总结") % {"city": self.city.name}
        return _send(documents.summary_docx(doc), f"{name}.docx", documents.DOCX)


class SummaryPdfView(SummaryWordView):
    def get(self, request, campaign, city):
        self.setup_city(campaign, city)
        if not documents.pdf_available():
            raise Http404
        revision = _revision(request)
        if revision and (
            self.summary is None or not self.summary.submissions.filter(number=revision).exists()
        ):
            raise Http404
        doc = documents.document_for(self.summary, campaign=self.campaign, city=self.city,
                                     revision=revision)  # fmt: skip
        _audit_export(request, "city_summary", format="pdf", city=self.city.code,
                      revision=doc.revision)  # fmt: skip
        name = _("%(city)s工作总结") % {"city": self.city.name}
        return _send(documents.summary_pdf(doc), f"{name}.pdf", PDF)


class _RollupView(ScopedViewMixin, View):
    permission = selectors.REVIEW

    def rows(self, campaign_pk: int):
        self.campaign = get_in_scope_or_404(selectors.summary_campaigns(self.scope), pk=campaign_pk)
        if not self.scope.covers_region(self.permission, self.campaign.province_id):
            raise Http404
        return documents.rollup_rows(self.campaign, selectors.city_rows(self.scope, self.campaign))

    def stamp(self) -> str:
        return timezone.localtime().strftime("%Y%m%d-%H%M")


class RollupXlsxView(_RollupView):
    def get(self, request, campaign):
        rows = self.rows(campaign)
        ledger = documents.RollupLedger(self.campaign, rows)
        _audit_export(request, "summary_rollup", format="xlsx", campaign=self.campaign.pk)
        return _send(ledger.to_xlsx(), f"{_('各市工作总结汇总')}-{self.stamp()}.xlsx", XLSX)


class RollupDocxView(_RollupView):
    def get(self, request, campaign):
        rows = self.rows(campaign)
        _audit_export(request, "summary_rollup", format="docx", campaign=self.campaign.pk)
        data = documents.rollup_docx(self.campaign, rows)
        return _send(data, f"{_('各市工作总结汇总')}-{self.stamp()}.docx", documents.DOCX)
