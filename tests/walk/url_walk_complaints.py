"""URL-walk expectations for the complaint pages (merged into tests/walk/test_url_walk.py).

The case used lies in 平城区: its own county officer, province staff, the admin (who reads)
and the auditor (explicit read rule, complaints/access.py) see it; 小店区 and 太原市 do not.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _pingcheng_case(places):
    """A safety complaint about the 平城区 institution, entered by its officer, with a PDF."""
    from accounts.models import User
    from accounts.scope import Scope
    from complaints.models import Case
    from complaints.services import case_create
    from tests import pdfs

    existing = Case.objects.filter(county_id="140213").first()
    if existing is not None:
        return existing
    officer = User.objects.get(username="pingcheng")
    case, _code = case_create(
        actor=officer, scope=Scope.for_user(officer), channel="phone", category="safety_hazard",
        county_code="140213", institution=places.pingcheng, description="教室消防通道堵塞，请核查。",
        files=[("记录.pdf", pdfs.plain())],
    )  # fmt: skip
    return case


def _case(places):
    return {"pk": _pingcheng_case(places).pk}


def _referral(places):
    from accounts.models import User
    from accounts.scope import Scope
    from complaints.services import referral_create

    case = _pingcheng_case(places)
    referral = case.referrals.first()
    if referral is None:
        officer = User.objects.get(username="pingcheng")
        referral = referral_create(case=case, actor=officer, scope=Scope.for_user(officer),
                                   police_unit="大同市公安局平城分局", materials="记录一份")  # fmt: skip
    return {"pk": referral.pk}


def _attachment(places):
    return {"pk": _pingcheng_case(places).attachments.get().pk}


def _pingcheng_run(places):
    from accounts.models import User
    from tabular.models import ImportRun

    run, _ = ImportRun.objects.get_or_create(
        created_by=User.objects.get(username="pingcheng"), kind="complaints",
        defaults={"file_name": "投诉.csv", "file": "imports/c.csv", "file_sha256": "2" * 64,
                  "status": "checked"},
    )  # fmt: skip
    return {"pk": run.pk}


PAGE = roles(200, anonymous=302, outsider=403)
PAGE_PINGCHENG = roles(200, anonymous=302, xiaodian=404, taiyuan=404, outsider=403)
# Entry, triage, referral and import: the education offices (complaints.change).
CHANGE = roles(403, anonymous=302, xiaodian=200, pingcheng=200, taiyuan=200)
POST_ONLY = roles(403, anonymous=302, xiaodian=405, pingcheng=405, taiyuan=405)
# Receipt and feedback: the police and the officers handling the case (checked on POST).
ANSWER = roles(405, anonymous=302, outsider=403)
OWN_RUN = roles(403, anonymous=302, xiaodian=404, pingcheng=200, taiyuan=404)
API = roles(200, anonymous=401, outsider=403)
API_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, outsider=403)
PUBLIC = roles(200)

EXPECT: dict = {
    "complaints:list": (None, PAGE),
    "complaints:export": (None, PAGE),
    "complaints:referrals": (None, PAGE),
    "complaints:rules": (None, roles(403, anonymous=302, admin=200)),
    "complaints:create": (None, CHANGE),
    "complaints:detail": (_case, PAGE_PINGCHENG),
    "complaints:attachment": (_attachment, PAGE_PINGCHENG),
    "complaints:triage": (_case, POST_ONLY),
    "complaints:link": (_case, POST_ONLY),
    "complaints:refer": (_case, POST_ONLY),
    "complaints:close": (_case, POST_ONLY),
    "complaints:no_referral": (_case, POST_ONLY),
    "complaints:no_referral_review": (_case, POST_ONLY),
    "complaints:reveal_contact": (_case, POST_ONLY),
    "complaints:acknowledge": (_referral, ANSWER),
    "complaints:feedback": (_referral, ANSWER),
    "complaints:import": (None, CHANGE),
    "complaints:import_template": (None, CHANGE),
    "complaints:import_run": (_pingcheng_run, OWN_RUN),
    "complaints:import_run_errors": (_pingcheng_run, OWN_RUN),
    "complaints:import_run_confirm": (_pingcheng_run, POST_ONLY),
    "complaints_public:form": (None, PUBLIC),
    "complaints_public:submitted": (None, roles(302)),
    "complaints_public:captcha": (None, PUBLIC),
    "complaints_public:status": (None, PUBLIC),
    "api:complaint-list": (None, API),
    "api:complaint-detail": (_case, API_PINGCHENG),
}

# Handling a case is for the officers of its county (小店区 and 太原市 staff reach no
# 平城区 case: 404); the province and the admin read it without complaints.change (403).
# Receipt and feedback: the police or the officer handling the case; reviewing a decision
# not to refer: complaints.change at city or province level over the case's county.
HANDLE = roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, taiyuan=404)
WRITE_EXPECT: dict = {
    "complaints:triage": HANDLE,
    "complaints:link": HANDLE,
    "complaints:refer": HANDLE,
    "complaints:close": HANDLE,
    "complaints:no_referral": HANDLE,
    "complaints:no_referral_review": HANDLE | {"pingcheng": 403},
    "complaints:reveal_contact": HANDLE,
    "complaints:acknowledge": HANDLE,
    "complaints:feedback": HANDLE,
    "complaints:import_run_confirm": HANDLE,
}
