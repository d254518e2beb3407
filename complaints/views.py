"""Officer pages: the case list and ledger, entry, the case page with triage and referral."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as Switch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.scope import Scope, get_in_scope_or_404, scope_for
from core.regions import within_region
from inspections.selectors import inspection_list, task_list
from institutions.selectors import region_list
from tabular.download import ledger_download, title_region_name

from . import access, attachments, no_referral, rules, selectors, services
from .exporters import ComplaintLedger
from .forms import (
    AckForm,
    CloseForm,
    FeedbackForm,
    LinkForm,
    NoReferralForm,
    NoReferralReviewForm,
    OfficerComplaintForm,
    ReferForm,
    RevealForm,
    TriageForm,
)  # fmt: skip
from .models import Attachment, Case, Category, Channel

LIST_FILTERS = ("q", "region", "status", "category", "channel", "overdue")


class ComplaintsMixin(LoginRequiredMixin):
    """`complaints.view` (or the auditor's `complaints.audit`, access.may_open) opens the pages;
    `require` names a further permission a page needs (e.g. complaints.change)."""

    require = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.scope: Scope = scope_for(request.user)
        if not access.may_open(self.scope):
            raise PermissionDenied
        if self.require:
            self.scope.require(self.require)
        return super().dispatch(request, *args, **kwargs)

    def cases(self) -> QuerySet:
        return selectors.case_list(scope=self.scope, user=self.request.user)

    def get_case(self, pk) -> Case:
        return get_in_scope_or_404(self.cases(), pk=pk)


def filtered_cases(qs: QuerySet, params) -> QuerySet:
    now = timezone.now()
    qs = qs.annotate(
        is_overdue=Switch(When(selectors.overdue_q(now), then=Value(True)),
                          default=Value(False), output_field=BooleanField())
    )  # fmt: skip
    if q := (params.get("q") or "").strip():
        # Searching by institution reads details: only among the cases whose details show.
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(shows_details=True) & (Q(institution__name__icontains=q) | Q(institution_name__icontains=q))
        )  # fmt: skip
    if region := params.get("region"):
        qs = within_region(qs, region, path="county__code")
    if (status := params.get("status")) in Case.Status.values:
        qs = qs.filter(status=status)
    if (category := params.get("category")) in Category.values:
        qs = qs.filter(category=category)
    if (channel := params.get("channel")) in Channel.values:
        qs = qs.filter(channel=channel)
    if params.get("overdue") == "1":
        qs = qs.filter(is_overdue=True)
    return qs.order_by("-received_at", "-id")


class CaseListView(ComplaintsMixin, TemplateView):
    template_name = "complaints/case_list.html"

    def get_context_data(self, **kwargs):
        qs = filtered_cases(self.cases(), self.request.GET)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            page=page,
            filters={n: self.request.GET.get(n, "") for n in LIST_FILTERS},
            regions=region_list(scope=self.scope).exclude(level="province").order_by("code")
            if self.scope.can(access.VIEW) else [],
            statuses=Case.Status.choices, categories=Category.choices, channels=Channel.choices,
            can_create=self.scope.can(access.CHANGE),
            can_set_rules=bool(rules.managed_provinces(self.scope)),
            export_query=self.request.GET.urlencode(),
            **kwargs,
        )  # fmt: skip


def complaint_ledger(*, scope, user, params, request=None) -> ComplaintLedger:
    """The ledger for these query parameters (the download and a background run)."""
    if not access.may_open(scope):
        raise PermissionDenied
    qs = filtered_cases(selectors.case_list(scope=scope, user=user), params)
    qs = qs.prefetch_related("referrals")

    def log_reads() -> None:
        # The file carries the details of the minor cases this user may see: each is a read.
        for case in qs.filter(shows_details=True, category=Category.MINOR_OFFENCE):
            services.log_minor_read(case=case, actor=user, request=request, via="export")

    region = title_region_name(scope=scope, user=user, params=params) if scope.can(
        access.VIEW) else ""  # fmt: skip
    return ComplaintLedger(qs, region_name=region, on_write=log_reads)


class CaseExportView(ComplaintsMixin, View):
    """The complaint/referral ledger, filtered as the list; contacts always masked."""

    def get(self, request):
        ledger = complaint_ledger(
            scope=self.scope, user=request.user, params=request.GET, request=request
        )
        return ledger_download(
            request=request, ledger=ledger, key="complaints", basename="投诉举报与移送台账"
        )


class CaseCreateView(ComplaintsMixin, TemplateView):
    require = access.CHANGE
    template_name = "complaints/case_form.html"

    def _prefixes(self) -> list[str]:
        return sorted(self.scope.region_prefixes(access.CHANGE))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", OfficerComplaintForm(prefixes=self._prefixes()))
        return super().get_context_data(**kwargs)

    def post(self, request):
        form = OfficerComplaintForm(request.POST, request.FILES, prefixes=self._prefixes())
        if form.is_valid():
            data = form.cleaned_data
            try:
                case, code = services.case_create(
                    actor=request.user, scope=self.scope, channel=data["channel"],
                    category=data["category"], county_code=data["county"],
                    institution=services.resolve_institution(data["county"], data["institution_name"]),
                    institution_name=data["institution_name"], description=data["description"],
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                    received_at=data["received_at"],
                    files=[attachments.read_upload(f) for f in data["files"]],
                )  # fmt: skip
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("已登记 %(number)s。查询码 %(code)s 只显示这一次，如反映人需要请告知。")
                    % {"number": case.number, "code": code},
                )
                return redirect("complaints:detail", pk=case.pk)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error.messages[0])
    else:
        form.add_error(None, "；".join(exc.messages))


class CaseDetailView(ComplaintsMixin, TemplateView):
    template_name = "complaints/case_detail.html"

    def get_context_data(self, **kwargs):
        case = kwargs.pop("case", None) or self.get_case(self.kwargs["pk"])
        scope, now = self.scope, timezone.now()
        user = self.request.user
        handler_sight = access.can_see_details(case, scope, user)
        # The no-referral reviewer reads the case here while it waits for them, nothing more.
        details = handler_sight or access.can_read_for_review(case, scope, user)
        if details:
            # Every rendering that shows a minor case's details is a read, whatever brought
            # it about: a visit, a page shown again after a refused action, a contact reveal.
            services.log_minor_read(case=case, actor=user, request=self.request, via="page")
        can_change, can_handle = (
            access.can_change(case, scope),
            access.can_handle(case, scope, user),
        )
        can_answer = access.can_answer_referral(case, scope, user)
        referrals = list(case.referrals.select_related("sent_by", "acknowledged_by", "feedback_by"))
        for referral in referrals:
            referral.late = referral.overdue_at(now)
        forms = {}
        if can_change and case.is_open:
            forms["triage_form"] = TriageForm(
                officers=services.assignable_officers(case),
                lock_category=case.is_minor_offence and not handler_sight,
                initial={"category": case.category, "assignees": list(case.assignees.all())},
            )
        if can_handle and case.is_open:
            forms["refer_form"] = ReferForm(initial={"police_unit": _default_unit(case)})
            forms["close_form"] = CloseForm()
            if case.institution_id:
                forms["link_form"] = _link_form(case, scope)
        minor_open = case.is_minor_offence and case.is_open and not referrals
        if minor_open and can_handle and not case.no_referral_approved:
            forms["no_referral_form"] = NoReferralForm()
        can_review = (
            minor_open
            and case.no_referral_pending
            and (access.can_review_no_referral(case, scope, user))
        )
        if can_review:
            forms["no_referral_review_form"] = NoReferralReviewForm()
            # The proposal this page shows; the approval is refused if it changed meanwhile.
            # Taken from the case, not from a form sent back, so a reviewer refused for a stale
            # proposal approves the one now shown above.
            proposed_stamp = case.no_referral_proposed_at.isoformat()
        else:
            proposed_stamp = ""
        if can_answer:
            forms["ack_form"], forms["feedback_form"] = AckForm(), FeedbackForm()
        if can_handle and case.contact_masked and not kwargs.get("contact"):
            forms["reveal_form"] = RevealForm()
        forms.update({k: v for k, v in kwargs.items() if k.endswith("_form")})
        return super().get_context_data(
            case=case, details=details, referrals=referrals,
            # Attachments are served to handlers only (AttachmentView, `details_q`).
            attachments=list(case.attachments.all()) if handler_sight else [],
            assignees=list(case.assignees.all()), is_overdue=case.overdue_at(now),
            can_change=can_change, can_handle=can_handle, can_answer=can_answer,
            history=case.history.select_related("history_user").order_by("-history_date")[:30]
            if details else [],
            contact=kwargs.get("contact"), close_blocker=no_referral.close_blocker(case),
            proposed_stamp=proposed_stamp, **forms,
        )  # fmt: skip

    def get(self, request, *args, **kwargs):
        return detail_response(request, self.get_context_data(**kwargs))


def detail_response(request, context, status=200):
    """The case page; never kept by a browser or proxy cache (details, a revealed contact)."""
    response = render(request, CaseDetailView.template_name, context, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _default_unit(case: Case) -> str:
    return _("%(county)s公安（分）局") % {"county": case.county.name}


def _link_form(case: Case, scope: Scope, data=None) -> LinkForm:
    return LinkForm(
        data,
        inspections=inspection_list(scope=scope).filter(institution_id=case.institution_id),
        tasks=task_list(scope=scope).filter(institution_id=case.institution_id),
        initial={"inspection": case.inspection_id, "task": case.task_id},
    )


class _CaseAction(ComplaintsMixin, View):
    """POST only: run one service on the case, then back to its page (errors shown there)."""

    form_name = ""
    done = ""

    def form(self, case, data):
        raise NotImplementedError

    def act(self, case, form):
        raise NotImplementedError

    def allowed(self, case) -> bool:
        """The service's own check on this case, asked before the form: a user it would
        refuse gets 403 for an empty or invalid form too, never the form's errors."""
        return True

    def post(self, request, pk):
        case = self.get_case(pk)
        if not self.allowed(case):
            raise PermissionDenied
        form = self.form(case, request.POST)
        if form.is_valid():
            try:
                self.act(case, form)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, self.done)
                return redirect("complaints:detail", pk=case.pk)
        view = CaseDetailView(request=request, kwargs={"pk": pk}, scope=self.scope)
        context = view.get_context_data(case=case, **{self.form_name: form})
        return detail_response(request, context, status=400)


class TriageView(_CaseAction):
    require = access.CHANGE
    form_name = "triage_form"

    @property
    def done(self):
        return _("已分办")

    def form(self, case, data):
        locked = case.is_minor_offence and not access.can_see_details(
            case, self.scope, self.request.user
        )
        return TriageForm(data, officers=services.assignable_officers(case), lock_category=locked)

    def act(self, case, form):
        d = form.cleaned_data
        services.case_triage(
            case=case, actor=self.request.user, scope=self.scope, category=d["category"],
            assignees=list(d["assignees"]), deadline=d["deadline"], note=d["note"],
            request=self.request,
        )  # fmt: skip


class LinkView(_CaseAction):
    require = access.CHANGE
    form_name = "link_form"

    @property
    def done(self):
        return _("已关联")

    def form(self, case, data):
        if not access.can_handle(case, self.scope, self.request.user):
            raise PermissionDenied
        return _link_form(case, self.scope, data)

    def act(self, case, form):
        services.case_link(
            case=case, actor=self.request.user, scope=self.scope,
            inspection=form.cleaned_data["inspection"], task=form.cleaned_data["task"],
        )  # fmt: skip


class ReferView(_CaseAction):
    require = access.CHANGE
    form_name = "refer_form"

    @property
    def done(self):
        return _("已移送公安，并通知了该地区的公安用户")

    def form(self, case, data):
        return ReferForm(data)

    def act(self, case, form):
        services.referral_create(case=case, actor=self.request.user, scope=self.scope,
                                 **form.cleaned_data)  # fmt: skip


class CloseView(_CaseAction):
    require = access.CHANGE
    form_name = "close_form"

    @property
    def done(self):
        return _("已办结")

    def form(self, case, data):
        return CloseForm(data)

    def act(self, case, form):
        services.case_close(case=case, actor=self.request.user, scope=self.scope,
                            result=form.cleaned_data["result"])  # fmt: skip


class NoReferralProposeView(_CaseAction):
    require = access.CHANGE
    form_name = "no_referral_form"

    @property
    def done(self):
        return _("已提出不移送理由，等待市级教育部门审核")

    def form(self, case, data):
        return NoReferralForm(data)

    def act(self, case, form):
        no_referral.no_referral_propose(
            case=case, actor=self.request.user, scope=self.scope,
            reason=form.cleaned_data["reason"], request=self.request,
        )  # fmt: skip


class NoReferralReviewView(_CaseAction):
    require = access.CHANGE
    form_name = "no_referral_review_form"

    @property
    def done(self):
        return _("已审核")

    def allowed(self, case) -> bool:
        return access.can_review_no_referral(case, self.scope, self.request.user)

    def form(self, case, data):
        return NoReferralReviewForm(data)

    def act(self, case, form):
        no_referral.no_referral_review(
            case=case, actor=self.request.user, scope=self.scope,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"], proposed_at=form.cleaned_data["proposed_at"],
            request=self.request,
        )  # fmt: skip


class _ReferralAction(_CaseAction):
    def post(self, request, pk):
        referral = get_in_scope_or_404(
            selectors.referral_list(scope=self.scope, user=request.user), pk=pk
        )
        self.referral = referral
        return super().post(request, referral.case_id)

    def allowed(self, case) -> bool:
        return access.can_answer_referral(case, self.scope, self.request.user)


class AcknowledgeView(_ReferralAction):
    form_name = "ack_form"

    @property
    def done(self):
        return _("已登记公安接收")

    def form(self, case, data):
        return AckForm(data)

    def act(self, case, form):
        services.referral_acknowledge(referral=self.referral, actor=self.request.user,
                                      scope=self.scope, **form.cleaned_data)  # fmt: skip


class FeedbackView(_ReferralAction):
    form_name = "feedback_form"

    @property
    def done(self):
        return _("已登记公安反馈")

    def form(self, case, data):
        return FeedbackForm(data)

    def act(self, case, form):
        services.referral_feedback(referral=self.referral, actor=self.request.user,
                                   scope=self.scope, **form.cleaned_data)  # fmt: skip


class RevealContactView(ComplaintsMixin, View):
    require = access.CHANGE
    template_name = CaseDetailView.template_name

    def post(self, request, pk):
        case = self.get_case(pk)
        if not access.can_handle(case, self.scope, request.user):
            raise PermissionDenied
        form = RevealForm(request.POST)
        contact, status = None, 400
        if form.is_valid():
            try:
                contact = services.contact_reveal(
                    case=case, actor=request.user, scope=self.scope,
                    reason=form.cleaned_data["reason"], request=request,
                )  # fmt: skip
                status = 200
            except ValidationError as exc:
                _errors_to_form(form, exc)
        view = CaseDetailView(request=request, kwargs={"pk": pk}, scope=self.scope)
        context = view.get_context_data(case=case, contact=contact, reveal_form=form)
        return detail_response(request, context, status=status)


_TYPES = {Attachment.Kind.JPG: "image/jpeg", Attachment.Kind.PDF: "application/pdf"}


class AttachmentView(ComplaintsMixin, View):
    """A file, only to those who may see the case's details; never a public media URL."""

    def get(self, request, pk):
        visible = self.cases().filter(shows_details=True).values("pk")
        attachment = get_in_scope_or_404(
            Attachment.objects.filter(case__in=visible).select_related("case"), pk=pk
        )
        services.log_minor_read(case=attachment.case, actor=request.user, request=request,
                                via="attachment")  # fmt: skip
        with attachment.file.open("rb") as handle:
            data = handle.read()
        response = HttpResponse(data, content_type=_TYPES[attachment.kind])
        # Always a download, never rendered in the site's origin; should a browser render
        # it anyway, the sandbox gives it no scripts, forms or same-origin rights.
        response["Content-Disposition"] = content_disposition_header(True, attachment.name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


class ReferralListView(ComplaintsMixin, TemplateView):
    """Referrals to public security: the police's own list, late ones first."""

    template_name = "complaints/referral_list.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        qs = selectors.referral_list(scope=self.scope, user=self.request.user).annotate(
            late=Switch(When(selectors.referral_overdue_q(now), then=Value(True)),
                        default=Value(False), output_field=BooleanField())
        )  # fmt: skip
        if self.request.GET.get("overdue") == "1":
            qs = qs.filter(late=True)
        qs = qs.order_by("-late", "feedback_at", "ack_due", "-id")
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        for referral in page:
            referral.late_step = referral.overdue_at(now)
        return super().get_context_data(
            page=page, overdue_only=self.request.GET.get("overdue") == "1", **kwargs
        )
