"""机构端 · its own lists (#21): the institution keeps its staff list and enters its fee
records, through the county's own services (`personnel.services`, `fees.services`), which
allow it for its own institution alone (`Scope.acts_for`). The same validation and
encryption: ID numbers are encrypted, and the institution sees its own staff's masked like
everyone else; a charge is checked against the rule table the moment it is saved, so the
institution sees a violation before the county does. Another institution's row is 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from accounts.scope import get_in_scope_or_404
from core.forms import refusal_on_form
from fees import services as fee_services
from fees.forms import FeeRecordForm
from fees.models import FeeViolation
from institutions.models import Institution
from personnel import services as staff_services
from personnel.forms import StaffForm

from . import selectors
from .views import PortalMixin

PAGE_SIZE = 200


def _own_only(form: forms.Form, institution: Institution) -> None:
    """The institution field offers the institution itself, chosen already."""
    form.fields["institution"].queryset = Institution.objects.filter(pk=institution.pk)
    form.fields["institution"].initial = institution.pk
    form.fields["institution"].empty_label = None


class StaffListView(PortalMixin, View):
    def get(self, request):
        institution = self.own()
        staff = selectors.own_staff(scope=self.scope).order_by("-employed_until", "name", "pk")
        return render(
            request,
            "portal/staff_list.html",
            {"institution": institution, "staff": staff[:PAGE_SIZE], "total": staff.count()},
        )


class _StaffFormView(PortalMixin, View):
    editing = False

    def staff(self):
        return None

    def form(self, institution, data=None, initial=None):
        form = StaffForm(data, institutions=Institution.objects.none(), editing=self.editing,
                         initial=initial)  # fmt: skip
        _own_only(form, institution)
        return form

    def page(self, form, status=200):
        return render(
            self.request,
            "portal/staff_form.html",
            {"form": form, "staff": self.staff(), "institution": self.own()},
            status=status,
        )

    def values(self, form) -> dict:
        data = dict(form.cleaned_data)
        data["post"] = data.get("post") or ""
        data["teacher_certificate"] = data.get("teacher_certificate") or ""
        return data


class StaffCreateView(_StaffFormView):
    def get(self, request):
        return self.page(self.form(self.own()))

    def post(self, request):
        form = self.form(self.own(), request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            staff = staff_services.staff_create(
                actor=request.user, scope=self.scope, **self.values(form)
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.page(form, status=400)
        messages.success(request, _("已新增人员“%(name)s”") % {"name": staff.name})
        return redirect("portal:staff")


class StaffEditView(_StaffFormView):
    editing = True

    def staff(self):
        return get_in_scope_or_404(selectors.own_staff(scope=self.scope), pk=self.kwargs["pk"])

    def initial(self, staff):
        fields = ["name", "post", "employed_from", "employed_until", "teacher_certificate",
                  "platform_complete"]  # fmt: skip
        return {"institution": staff.institution_id, **{f: getattr(staff, f) for f in fields}}

    def get(self, request, pk):
        staff = self.staff()
        return self.page(self.form(self.own(), initial=self.initial(staff)))

    def post(self, request, pk):
        staff = self.staff()
        form = self.form(self.own(), request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            staff_services.staff_update(
                staff=staff, actor=request.user, scope=self.scope, **self.values(form)
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.page(form, status=400)
        messages.success(request, _("已保存"))
        return redirect("portal:staff")


class FeeListView(PortalMixin, View):
    def get(self, request):
        institution = self.own()
        records = selectors.own_fee_records(scope=self.scope).order_by("-charged_on", "-pk")
        open_violations = FeeViolation.objects.filter(institution=institution).exclude(
            status__in=FeeViolation.DONE
        )
        return render(
            request,
            "portal/fee_list.html",
            {
                "institution": institution,
                "records": records[:PAGE_SIZE],
                "total": records.count(),
                "open_violations": open_violations.count(),
            },
        )


class FeeCreateView(PortalMixin, View):
    def form(self, data=None):
        form = FeeRecordForm(data)
        _own_only(form, self.own())
        return form

    def page(self, form, status=200):
        return render(
            self.request,
            "portal/fee_form.html",
            {"form": form, "institution": self.own()},
            status=status,
        )

    def get(self, request):
        return self.page(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            _record, changes = fee_services.fee_record_create(
                actor=request.user, scope=self.scope, **form.cleaned_data
            )
        except ValidationError as exc:
            refusal_on_form(form, exc)
            return self.page(form, status=400)
        if changes.found:
            messages.warning(
                request,
                _(
                    "已录入。该笔收费不符合收费规则，已列为违规收费，请按规定退费整改；县级部门可以看到"
                ),
            )
        else:
            messages.success(request, _("已录入收费记录，符合收费规则"))
        return redirect("portal:fees")


urlpatterns = [
    path("staff/", StaffListView.as_view(), name="staff"),
    path("staff/new/", StaffCreateView.as_view(), name="staff_create"),
    path("staff/<int:pk>/", StaffEditView.as_view(), name="staff_edit"),
    path("fees/", FeeListView.as_view(), name="fees"),
    path("fees/new/", FeeCreateView.as_view(), name="fee_create"),
]
