"""The city summaries' card on the province dashboard: each city's status, late ones first."""

from django import template

from accounts.scope import scope_for

from .. import selectors_summary as selectors

register = template.Library()


@register.inclusion_tag("reporting/summary/_board_summaries.html", takes_context=True)
def summary_board(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    scope = scope_for(user)
    if user is None or not scope.can(selectors.VIEW):
        return {"rows": None}
    campaign = selectors.active_summary_campaign(scope)
    rows = selectors.city_rows(scope, campaign) if campaign else []
    rows.sort(key=lambda r: (not r.late, not r.pending, r.city.code))
    return {
        "campaign": campaign,
        "rows": rows,
        "deadline": selectors.summary_deadline(campaign) if campaign else None,
        "late": sum(1 for r in rows if r.late and r.pending),
        "done": sum(1 for r in rows if not r.pending),
    }
