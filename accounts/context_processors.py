from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .notifications import unread_count
from .scope import scope_for

# (label, url name, permission needed). The menu shows what the user's scope allows.
NAVIGATION = [
    (_("工作台"), "home", "dashboard.view"),
    # An institution's own account (机构端) sees its own pages alone.
    (_("本机构"), "portal:home", "portal.use"),
    (_("自查自评"), "portal:selfcheck", "portal.use"),
    (_("培训机构"), "institutions:list", "institutions.view"),
    (_("专项行动"), "campaign:list", "dashboard.view"),
    (_("问题清单"), "inspections:problems", "inspections.view"),
    (_("机构自查"), "selfcheck:list", "inspections.view"),
    (_("从业人员"), "personnel:list", "staff.view"),
    (_("收费监管"), "fees:records", "fees.view"),
    (_("投诉举报"), "complaints:list", "complaints.view"),
    (_("查处问责"), "enforcement:list", "enforcement.view"),
    (_("抽查抽样"), "sampling:rounds", "sampling.draw"),
    (_("安全宣传"), "campaign:publicity", "inspections.view"),
    (_("台账"), "ledgers:index", "dashboard.view"),
    (_("工作总结"), "summaries:list", "summary.view"),
    (_("信息公开"), "disclosure:manage", "summary.review"),
    (_("审计日志"), "audit_log", "audit.view"),
    (_("账号管理"), "onboarding:users", "accounts.manage"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    items = [
        {"label": label, "url": reverse(name), "active": request.path == reverse(name)}
        for label, name, permission in NAVIGATION
        if scope.can(permission)
    ]
    unread = unread_count(user) if scope.can("notifications.view") else None
    return {
        "nav_items": items,
        "user_roles": sorted(scope.roles),
        "unread_notifications": unread,
        # The API answers what the register pages show (dashboard.view opens its schema and
        # docs): a county bureau syncs its own system with it. The auditor reads only the
        # audit log and complaints, which the API does not serve: no token for them.
        "can_use_api": scope.can("dashboard.view"),
    }
