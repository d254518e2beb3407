"""URL-walk expectations for staff vetting (merged into tests/walk/test_url_walk.py).

Every object lies in 平城区. Nobody in the standing cast holds `staff.reveal` (public
security does), and only county officers hold `staff.change`.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _dismissal(places):
    """A 平城区 staff member in a batch, found disqualified, dismissed with evidence."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import User
    from personnel.models import BackgroundCheck, CheckBatch, Dismissal
    from tests.factories_personnel import StaffFactory

    existing = Dismissal.objects.filter(institution=places.pingcheng).first()
    if existing is not None:
        return existing
    officer = User.objects.get(username="pingcheng")
    staff = StaffFactory(institution=places.pingcheng)
    batch = CheckBatch.objects.create(
        region=places.pingcheng.county, basis="region", created_by=officer
    )
    done = BackgroundCheck.objects.create(
        batch=batch, staff=staff, status="done", outcome="record", category="drugs",
        checked_on=timezone.localdate(), reference="PC-1",
    )  # fmt: skip
    BackgroundCheck.objects.create(batch=batch, staff=StaffFactory(institution=places.pingcheng))
    dismissal = Dismissal(check_result=done, staff=staff, institution=places.pingcheng,
                          deadline=timezone.localdate(), status="closed", evidence_name="a.pdf")  # fmt: skip
    dismissal.evidence.save("a.pdf", ContentFile(b"%PDF-1.4"), save=False)
    dismissal.save()
    return dismissal


def _staff(places):
    return {"pk": _dismissal(places).staff_id}


def _batch(places):
    return {"pk": _dismissal(places).check_result.batch_id}


def _pending_check(places):
    return {"pk": _dismissal(places).check_result.batch.checks.get(status="pending").pk}


def _done_check(places):
    return {"pk": _dismissal(places).check_result_id}


def _dismissal_pk(places):
    return {"pk": _dismissal(places).pk}


def _run(places):
    from accounts.models import User
    from tabular.models import ImportRun

    run, _ = ImportRun.objects.get_or_create(
        created_by=User.objects.get(username="pingcheng"), kind="staff",
        defaults={"file_name": "a.csv", "file": "", "file_sha256": "0" * 64, "status": "checked"},
    )  # fmt: skip
    return {"pk": run.pk}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
PAGE_PINGCHENG = roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
# The admin loads staff lists too (MISSION: admins import institution, staff and fee lists).
CHANGE = roles(403, anonymous=302, xiaodian=200, pingcheng=200, admin=200)
CHANGE_PINGCHENG = roles(403, anonymous=302, xiaodian=404, pingcheng=200, admin=200)
REVEAL = roles(403, anonymous=302)
OWN_RUN = roles(404, anonymous=302, pingcheng=200, auditor=403, outsider=403)
POST_ONLY_VIEW = roles(405, anonymous=302, auditor=403, outsider=403)
POST_ONLY_CHANGE = roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405)
API = roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT: dict = {
    "personnel:list": (None, PAGE),
    "personnel:create": (None, CHANGE),
    "personnel:detail": (_staff, PAGE_PINGCHENG),
    "personnel:edit": (_staff, CHANGE_PINGCHENG),
    "personnel:reveal": (_staff, REVEAL),
    "personnel:export": (None, PAGE),
    "personnel:import": (None, CHANGE),
    "personnel:import_template": (None, CHANGE),
    "personnel:import_run": (_run, OWN_RUN),
    "personnel:import_run_errors": (_run, OWN_RUN),
    "personnel:import_run_confirm": (_run, POST_ONLY_VIEW),
    "personnel:batches": (None, PAGE),
    "personnel:batch_create": (None, CHANGE),
    "personnel:batch": (_batch, PAGE_PINGCHENG),
    "personnel:batch_export": (_batch, PAGE_PINGCHENG),
    "personnel:batch_export_full": (_batch, REVEAL),
    "personnel:result_import": (None, CHANGE),
    "personnel:result_template": (None, CHANGE),
    "personnel:result": (_pending_check, CHANGE_PINGCHENG),
    "personnel:dismissals": (None, PAGE),
    "personnel:dismissal": (_dismissal_pk, PAGE_PINGCHENG),
    "personnel:dismissal_close": (_dismissal_pk, POST_ONLY_CHANGE),
    "personnel:dismissal_evidence": (_dismissal_pk, PAGE_PINGCHENG),
    "api:staff-list": (None, API),
    "api:staff-detail": (_staff, API_PINGCHENG),
    "api:background-check-list": (None, API),
    "api:background-check-detail": (_done_check, API_PINGCHENG),
}

CHANGE_PINGCHENG_WRITE = roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, admin=OK)
WRITE_EXPECT: dict = {
    "personnel:dismissal_close": CHANGE_PINGCHENG_WRITE,
    # Another's run is looked up before the import right: 太原市 and province staff, who read
    # staff but may not load them, get 404 for it rather than 403.
    "personnel:import_run_confirm": roles(
        404, anonymous=LOGIN, pingcheng=OK, auditor=403, outsider=403
    ),
}
