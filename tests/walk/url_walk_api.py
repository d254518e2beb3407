"""URL-walk expectations for the API's root and the resources added with it (merged into
tests/walk/test_url_walk.py).

Every object lies in 平城区: its own county officer, province staff and the admin see it;
小店区 and 太原市 get 404. The auditor holds only `audit.view` (403), except where the
complaint rules let it read; POST-only actions answer a GET with 405 once the role may read.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _site(places):
    from tests.walk.test_url_walk import _pingcheng_site

    return {"pk": _pingcheng_site(places).pk}


def _round(places):
    from tests.walk.url_walk_problems import _pingcheng_inspection

    return {"pk": _pingcheng_inspection(places).round_id}


def _refund(places):
    import datetime as dt
    from decimal import Decimal

    from accounts.models import User
    from accounts.scope import Scope
    from fees.services import refund_record
    from tests.walk.url_walk_fees import _pingcheng_record

    record = _pingcheng_record(places)
    refund = record.refunds.first()
    if refund is None:
        officer = User.objects.get(username="pingcheng")
        refund, _closed = refund_record(
            record=record, actor=officer, scope=Scope.for_user(officer), amount=Decimal("100.00"),
            refunded_on=dt.date(2023, 10, 1), payee="家长",
        )  # fmt: skip
    return {"pk": refund.pk}


def _inspection(places):
    from tests.walk.url_walk_problems import _inspection

    return _inspection(places)


def _finding(places):
    from tests.walk.url_walk_problems import _finding

    return _finding(places)


def _dismissal(places):
    from tests.walk.url_walk_vetting import _dismissal_pk

    return _dismissal_pk(places)


def _case(places):
    from tests.walk.url_walk_complaints import _case

    return _case(places)


def _referral(places):
    from tests.walk.url_walk_complaints import _referral

    return _referral(places)


def _notification(places):
    """A notification of the 平城区 officer: nobody else's, whatever their role."""
    from accounts.models import User
    from accounts.notifications import notify

    officer = User.objects.get(username="pingcheng")
    notify(users=[officer], kind="other", title="测试通知", key="walk-api")
    return {"pk": officer.notifications.get(key="walk-api").pk}


def _token(places):
    from accounts.models import User
    from api.models import ApiToken
    from api.services import token_create

    officer = User.objects.get(username="pingcheng")
    token = (
        ApiToken.objects.filter(user=officer).first() or token_create(actor=officer, name="巡查")[0]
    )
    return {"pk": token.pk}


# In tests/walk/test_url_walk.py's cast, only county officers and the admin hold
# institutions.change; county officers and 太原市 staff hold rectification.change.
API = roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
API_POST = roles(405, anonymous=401, auditor=403, outsider=403)
# Complaints: the auditor reads (complaints/access.py).
API_COMPLAINTS = roles(200, anonymous=401, outsider=403)
API_COMPLAINTS_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, outsider=403)
OWN_NOTE = roles(404, anonymous=401, pingcheng=200, auditor=403, outsider=403)
PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
# Anyone with a role may hold API tokens (the auditor too); a token is its owner's alone.
TOKENS = roles(200, anonymous=302, outsider=403)
TOKEN_POST = roles(405, anonymous=302, outsider=403)

EXPECT: dict = {
    "api_docs": (None, PAGE),
    "api_tokens": (None, TOKENS),
    "api_token_revoke": (_token, TOKEN_POST),
    "api:site-list": (None, API),
    "api:site-detail": (_site, API_PINGCHENG),
    "api:round-list": (None, API),
    "api:round-detail": (_round, API_PINGCHENG),
    "api:inspection-evidence": (_inspection, API_PINGCHENG),
    "api:finding-list": (None, API),
    "api:finding-detail": (_finding, API_PINGCHENG),
    "api:finding-report": (_finding, API_POST),
    "api:finding-verify": (_finding, API_POST),
    "api:dismissal-list": (None, API),
    "api:dismissal-detail": (_dismissal, API_PINGCHENG),
    "api:complaint-triage": (_case, roles(405, anonymous=401, outsider=403)),
    "api:referral-list": (None, API_COMPLAINTS),
    "api:referral-detail": (_referral, API_COMPLAINTS_PINGCHENG),
    "api:refund-list": (None, API),
    "api:refund-detail": (_refund, API_PINGCHENG),
    "api:notification-list": (None, API),
    "api:notification-detail": (_notification, OWN_NOTE),
    "api:notification-read": (_notification, API_POST),
    "api:notification-read-all": (None, API_POST),
}

# Where writing needs more than reading: sites are kept by county officers and the admin
# (institutions.change); a finding's report and verification by county officers and 太原市
# staff (rectification.change); triage by the education offices (complaints.change).
SITE_WRITE = roles(403, anonymous=401, xiaodian=OK, pingcheng=OK, admin=OK)
PINGCHENG_RECTIFY = roles(403, anonymous=401, xiaodian=404, pingcheng=OK, taiyuan=404)
WRITE_EXPECT: dict = {
    "api_token_revoke": roles(404, anonymous=LOGIN, pingcheng=OK, outsider=403),
    "api:site-list": SITE_WRITE,
    "api:site-detail": SITE_WRITE | {"xiaodian": 404},
    "api:finding-report": PINGCHENG_RECTIFY,
    "api:finding-verify": PINGCHENG_RECTIFY,
    "api:complaint-triage": PINGCHENG_RECTIFY,
    "api:notification-read": roles(404, anonymous=401, pingcheng=OK, auditor=403, outsider=403),
    "api:notification-read-all": roles(OK, anonymous=401, auditor=403, outsider=403),
}
