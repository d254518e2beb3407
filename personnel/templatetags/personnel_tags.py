"""The staff-vetting panel on the institution page, computed through the same scope."""

from django import template

from accounts.scope import scope_for

from .. import selectors

register = template.Library()


@register.inclusion_tag("personnel/_institution_panel.html", takes_context=True)
def staff_panel(context, institution):
    user = context["request"].user
    scope = scope_for(user)
    # The institution's own county and sector, never a spot-check assignment: being drawn
    # to inspect an institution opens its page, not the names of its staff.
    if not scope.covers_institution(
        "staff.view", county_code=institution.county_id, sector=institution.sector
    ):
        return {"visible": False}
    sees_results = selectors.can_see_results(scope, institution)
    compliance = selectors.institution_compliance(scope=scope, institution=institution)
    return {
        "visible": True,
        "institution": institution,
        "c": compliance,
        "unchecked": compliance.unchecked[:20],
        "more_unchecked": max(len(compliance.unchecked) - 20, 0),
        "sees_results": sees_results,
        "can_change": scope.covers_institution(
            "staff.change", county_code=institution.county_id, sector=institution.sector
        ),
    }


@register.simple_tag(takes_context=True)
def sees_dismissals(context) -> bool:
    """Whether the dismissals tab means anything to this user (it implies a result)."""
    request = context.get("request")
    return request is not None and selectors.sees_any_results(scope_for(request.user))
