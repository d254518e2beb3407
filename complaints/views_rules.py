"""The complaint time limits page (处置时限): each category's deadline for handling a case and
the police's receipt and feedback, per province, changed by whoever manages its campaigns."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import ScopedViewMixin

from . import rules
from .forms import CategoryRulesForm


class CategoryRulesView(ScopedViewMixin, View):
    permission = rules.MANAGE
    template_name = "complaints/category_rules.html"

    def province(self, request):
        provinces = rules.managed_provinces(self.scope)
        if not provinces:
            # A campaign manager of a city only: province-wide rules are not theirs.
            raise PermissionDenied
        asked = request.POST.get("province") or request.GET.get("province")
        if not asked:
            return provinces[0], provinces
        province = next((p for p in provinces if p.code == asked), None)
        if province is None:
            raise Http404  # another province's rules: as if there were none
        return province, provinces

    def get(self, request):
        province, provinces = self.province(request)
        form = CategoryRulesForm(rules=rules.category_rules(province))
        return self.page(request, form, province, provinces)

    def post(self, request):
        province, provinces = self.province(request)
        form = CategoryRulesForm(request.POST, rules=rules.category_rules(province))
        try:
            rules.category_rules_update(
                province=province, actor=request.user, scope=self.scope, values=form.values()
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(None if field == "__all__" else field, problem)
            return self.page(request, form, province, provinces)
        messages.success(
            request, _("已保存。新的时限适用于此后登记、分办和移送的案件，已有案件的期限不变。")
        )
        return redirect(f"{request.path}?province={province.code}")

    def page(self, request, form, province, provinces):
        return render(
            request, self.template_name,
            {"form": form, "province": province, "provinces": provinces},
        )  # fmt: skip
