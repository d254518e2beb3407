"""URL-walk expectations for 账号管理 (merged into tests/walk/test_url_walk.py): the province
admin manages every account, everyone else gets 403 (a city admin's 404 for another city is
tests/onboarding/test_manage.py's). The account opened is the 平城区 officer's."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]
OK, LOGIN = "ok", "login"


def _roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


def _pingcheng(places):
    from accounts.models import User

    return {"pk": User.objects.get(username="pingcheng").pk}


def _pingcheng_grant(places):
    from accounts.models import RoleGrant

    grant = RoleGrant.objects.get(user__username="pingcheng")
    return {"pk": grant.user_id, "grant_pk": grant.pk}


ADMIN_PAGE = _roles(403, anonymous=302, admin=200)
ADMIN_POST_ONLY = _roles(403, anonymous=302, admin=405)
ADMIN_WRITE = _roles(403, anonymous=LOGIN, admin=OK)

EXPECT: dict = {
    "onboarding:users": (None, ADMIN_PAGE),
    "onboarding:user_new": (None, ADMIN_PAGE),
    "onboarding:user": (_pingcheng, ADMIN_PAGE),
    "onboarding:user_active": (_pingcheng, ADMIN_POST_ONLY),
    "onboarding:user_password_reset": (_pingcheng, ADMIN_POST_ONLY),
    "onboarding:grant_add": (_pingcheng, ADMIN_POST_ONLY),
    "onboarding:grant_remove": (_pingcheng_grant, ADMIN_POST_ONLY),
}

WRITE_EXPECT: dict = {
    "onboarding:user_active": ADMIN_WRITE,
    "onboarding:user_password_reset": ADMIN_WRITE,
    "onboarding:grant_add": ADMIN_WRITE,
    "onboarding:grant_remove": ADMIN_WRITE,
}
