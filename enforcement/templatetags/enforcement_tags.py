"""The 查处问责 panel on the institution page, computed through the same scope."""

from django import template

from accounts.scope import scope_for

from .. import selectors

register = template.Library()


@register.inclusion_tag("enforcement/_institution_panel.html", takes_context=True)
def enforcement_panel(context, institution):
    scope = scope_for(context["request"].user)
    if not scope.covers_institution(
        selectors.VIEW, county_code=institution.county_id, sector=institution.sector
    ):
        return {"visible": False}
    actions = selectors.institution_actions(scope=scope, institution=institution)
    selectors.mark_withdrawable(scope, actions)
    return {
        "visible": True,
        "institution": institution,
        "actions": actions,
        "can_record": scope.can(selectors.PERMISSION) and selectors.may_record(scope, institution),
    }
