"""URL-walk expectations for the fee supervision pages (merged into tests/walk/test_url_walk.py)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _pingcheng_record(places):
    """A 6,000-yuan charge of the 平城区 institution: one amount_over_limit violation."""
    import datetime as dt
    from decimal import Decimal

    from accounts.models import User
    from accounts.scope import Scope
    from campaign.services import campaign_seed_2023
    from fees.models import FeeRecord
    from fees.services import fee_record_create

    existing = FeeRecord.objects.filter(institution=places.pingcheng).first()
    if existing is not None:
        return existing
    campaign_seed_2023(province_code="140000")
    officer = User.objects.get(username="pingcheng")
    record, _changes = fee_record_create(
        institution=places.pingcheng, actor=officer, scope=Scope.for_user(officer),
        amount=Decimal("6000.00"), period_from=dt.date(2023, 9, 1),
        period_to=dt.date(2023, 11, 30), charged_on=dt.date(2023, 9, 1), supervised=True,
        contract_number="WALK-1",
    )  # fmt: skip
    return record


def _record(places):
    return {"pk": _pingcheng_record(places).pk}


def _violation(places):
    return {"pk": _pingcheng_record(places).violations.get().pk}


def _pingcheng_fee_run(places):
    from accounts.models import User
    from tabular.models import ImportRun

    run, _ = ImportRun.objects.get_or_create(
        created_by=User.objects.get(username="pingcheng"), kind="fees",
        defaults={"file_name": "收费.csv", "file": "imports/f.csv", "file_sha256": "1" * 64,
                  "status": "checked"},
    )  # fmt: skip
    return {"pk": run.pk}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
PAGE_PINGCHENG = roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
# Charges and refunds are kept by county officers and admins (fees.change).
CHANGE = roles(403, anonymous=302, xiaodian=200, pingcheng=200, admin=200)
POST_ONLY = roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405)
# Spreadsheets come in through the roles that import (institutions.import).
IMPORT = roles(403, anonymous=302, xiaodian=200, pingcheng=200, admin=200)
OWN_RUN = roles(403, anonymous=302, xiaodian=404, pingcheng=200, admin=404)
API = roles(200, anonymous=401, auditor=403, outsider=403)
API_PINGCHENG = roles(200, anonymous=401, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT: dict = {
    "fees:records": (None, PAGE),
    "fees:record_create": (None, CHANGE),
    "fees:record": (_record, PAGE_PINGCHENG),
    "fees:refund_create": (_record, POST_ONLY),
    "fees:ledger": (None, PAGE),
    "fees:ledger_export": (None, PAGE),
    "fees:violation_report": (_violation, POST_ONLY),
    "fees:violation_close": (_violation, POST_ONLY),
    "fees:violation_reopen": (_violation, POST_ONLY),
    "fees:import": (None, IMPORT),
    "fees:import_template": (None, IMPORT),
    "fees:import_run": (_pingcheng_fee_run, OWN_RUN),
    "fees:import_run_errors": (_pingcheng_fee_run, OWN_RUN),
    "fees:import_run_confirm": (
        _pingcheng_fee_run,
        roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405),
    ),
    "api:fee-record-list": (None, API),
    "api:fee-record-detail": (_record, API_PINGCHENG),
    "api:fee-violation-list": (None, API),
    "api:fee-violation-detail": (_violation, API_PINGCHENG),
}

# The 平城区 record is kept by its own county officer and the admin.
KEEP_PINGCHENG = roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, admin=OK)
WRITE_EXPECT: dict = {
    "fees:refund_create": KEEP_PINGCHENG,
    "fees:violation_report": KEEP_PINGCHENG,
    "fees:violation_close": KEEP_PINGCHENG,
    "fees:violation_reopen": KEEP_PINGCHENG,
    "fees:import_run_confirm": KEEP_PINGCHENG | {"admin": 404},
}
