"""机构端: the pages an institution's own account sees. Each needs `portal.use` (every other
role gets 403) and reads through `Scope.own_institution`, so nothing of another institution
can be asked for: an id of another institution's row is 404, as if it did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from accounts.mixins import ScopedViewMixin
from accounts.scope import get_in_scope_or_404
from core.photos import MAX_UPLOAD_BYTES, jpeg_response
from inspections import receipts
from inspections.models import Finding
from inspections.views_problems import ReportForm
from selfcheck.models import SelfAnswer
from selfcheck.selectors import own_self_inspection

from . import selectors


class PortalMixin(ScopedViewMixin):
    permission = "portal.use"

    def own(self):
        institution = selectors.own_institution(scope=self.scope)
        if institution is None:
            # An institution role whose account link is gone acts for nobody.
            raise PermissionDenied
        return institution


class HomeView(PortalMixin, TemplateView):
    """The institution's home: who it is on the register, and the problems found at its
    premises with their requirement, deadline and state."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        institution = self.own()
        today = timezone.localdate()
        problems = list(selectors.own_problems(scope=self.scope))
        for problem in problems:
            problem.is_overdue = problem.overdue_on(today)
        pending = [p for p in problems if p.status not in Finding.DONE]
        self_check = own_self_inspection(scope=self.scope)
        return super().get_context_data(
            self_check=self_check,
            self_open=self_check.answers.filter(
                value=SelfAnswer.Value.NON_COMPLIANT, fixed_at__isnull=True
            ).count()
            if self_check
            else 0,
            institution=institution,
            pending=pending,
            closed=[p for p in problems if p.status in Finding.DONE],
            overdue_count=sum(1 for p in pending if p.is_overdue),
            **kwargs,
        )


class ProblemView(PortalMixin, View):
    """One problem of the institution's: what was found, what to do by when, and the receipt
    (整改回执) it sends when fixed: a note and photos, at most 6 at a time."""

    template_name = "portal/problem.html"

    def problem(self):
        self.own()
        return get_in_scope_or_404(selectors.own_problems(scope=self.scope), pk=self.kwargs["pk"])

    def page(self, problem, form, status=200):
        problem.is_overdue = problem.overdue_on(timezone.localdate())
        context = {
            "problem": problem,
            "form": form,
            "photos": list(problem.receipt_photos.all()),
            "may_report": problem.status not in Finding.DONE,
            "photos_at_once": receipts.PHOTOS_PER_RECEIPT,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        problem = self.problem()
        # Its own last receipt to correct; an officer's record of the report stays theirs.
        own_note = problem.report_note if problem.reported_by_id == request.user.pk else ""
        return self.page(problem, ReportForm(initial={"note": own_note}))

    def post(self, request, pk):
        problem = self.problem()
        form = ReportForm(request.POST)
        uploads = request.FILES.getlist("photos")
        too_big = [u.name for u in uploads if u.size > MAX_UPLOAD_BYTES]
        if len(uploads) > receipts.PHOTOS_PER_RECEIPT:
            # Refused before any is read into memory.
            form.add_error(
                None, _("每次最多上传 %(n)d 张照片") % {"n": receipts.PHOTOS_PER_RECEIPT}
            )
        elif too_big:
            form.add_error(None, _("“%(name)s”超过 15 MB，请压缩后再上传") % {"name": too_big[0]})
        if not form.is_valid():
            return self.page(problem, form, status=400)
        try:
            receipts.receipt_submit(
                finding=problem,
                actor=request.user,
                scope=self.scope,
                note=form.cleaned_data["note"],
                photos=[(upload.read(), upload.name) for upload in uploads],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.page(problem, form, status=400)
        messages.success(request, _("整改回执已报送，等待检查部门复查销号"))
        return redirect("portal:home")


class ReceiptPhotoView(PortalMixin, View):
    """A photo of the institution's own receipt."""

    def get(self, request, pk):
        self.own()
        photos = receipts.receipt_photos_for_institution(scope=self.scope)
        return jpeg_response(get_in_scope_or_404(photos, pk=pk).image)
