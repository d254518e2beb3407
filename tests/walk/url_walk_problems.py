"""URL-walk expectations for this feature's pages (merged into tests/walk/test_url_walk.py).

Each entry: "namespace:name": (kwargs factory taking `places` or None, {cast member: status}).
Use the helpers `roles` below; the cast is defined in tests/walk/test_url_walk.py.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _pingcheng_inspection(places):
    """A submitted inspection of the 平城区 institution with problems in sections 一 and 二."""
    from accounts.models import User
    from inspections.models import Inspection
    from tests.inspections.test_problems import inspected, seed_campaign

    existing = Inspection.objects.filter(institution=places.pingcheng, status="submitted").first()
    if existing is not None:
        return existing
    seed_campaign()
    return inspected(User.objects.get(username="pingcheng"), places.pingcheng)


def _inspection(places):
    return {"pk": _pingcheng_inspection(places).pk}


def _finding(places):
    return {"pk": _pingcheng_inspection(places).tasks.get(department="education").findings.get().pk}


def _task(places):
    return {"pk": _pingcheng_inspection(places).tasks.get(department="education").pk}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
PAGE_PINGCHENG = roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
# Report and re-inspect are POST only; county officers and city staff hold the right.
POST_ONLY = roles(403, anonymous=302, xiaodian=405, pingcheng=405, taiyuan=405)
API = roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT: dict = {
    "inspections:problems": (None, PAGE),
    "inspections:problems_export": (None, PAGE),
    "inspections:finding": (_finding, PAGE_PINGCHENG),
    "inspections:finding_report": (_finding, POST_ONLY),
    "inspections:finding_verify": (_finding, POST_ONLY),
    "inspections:notice": (_inspection, PAGE_PINGCHENG),
    "api:inspection-list": (None, API),
    "api:inspection-detail": (_inspection, API_PINGCHENG),
    "api:rectification-list": (None, API),
    "api:rectification-detail": (_task, API_PINGCHENG),
}

RECTIFY_PINGCHENG = roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, taiyuan=404)
WRITE_EXPECT: dict = {
    "inspections:finding_report": RECTIFY_PINGCHENG,
    "inspections:finding_verify": RECTIFY_PINGCHENG,
}
