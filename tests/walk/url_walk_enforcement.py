"""URL-walk expectations for 查处问责 (merged into tests/walk/test_url_walk.py)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Everyone who reads the registers reads the actions (enforcement.view); the admin too.
PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
# Recording is for officers who reach the 平城区 institution; the admin keeps registers only.
RECORD_PINGCHENG = roles(403, anonymous=302, xiaodian=404, pingcheng=200, taiyuan=404, province=200)


def _pingcheng_action(places) -> dict:
    """A suspension recorded at the 平城区 institution by its county officer, to withdraw."""
    import datetime as dt

    from accounts.models import User
    from enforcement.models import EnforcementAction

    action, _ = EnforcementAction.objects.get_or_create(
        institution=places.pingcheng, kind="suspension", document_number="同消停字第1号",
        defaults={"trigger": "suspension", "section": "", "basis": "停业整改",
                  "department": "education", "taken_on": dt.date(2023, 11, 20),
                  "recorded_by": User.objects.get(username="pingcheng")},
    )  # fmt: skip
    return {"pk": action.pk}


EXPECT: dict = {
    "enforcement:list": (None, PAGE),
    "enforcement:create": (lambda p: {"pk": p.pingcheng.pk}, RECORD_PINGCHENG),
    "ledgers:enforcement": (None, PAGE),
    # Withdrawing: whoever may record on the action's trigger at the institution.
    "enforcement:withdraw": (_pingcheng_action, RECORD_PINGCHENG),
}
