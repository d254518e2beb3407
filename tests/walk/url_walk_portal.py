"""URL-walk expectations for institutions' own accounts (merged into tests/walk/test_url_walk.py):
机构账号 on the register (the county's education officers and admins; the institution lies in
平城区, so the 小店区 officer's write is 404) and the institution side (机构端), which only an
institution's own account opens. The cast's `institution` is the account of the 小店区
institution (tests/walk/conftest.py)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]
OK, LOGIN = "ok", "login"


def _roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


def _pingcheng_institution(places):
    return {"pk": places.pingcheng.pk}


def _pingcheng_account(places):
    from accounts.models import User
    from accounts.scope import scope_for
    from institutions.accounts import institution_account_open
    from institutions.models import InstitutionAccount

    found = InstitutionAccount.objects.filter(institution=places.pingcheng).first()
    if found is None:
        officer = User.objects.get(username="pingcheng")
        found, _password = institution_account_open(
            institution=places.pingcheng, actor=officer, scope=scope_for(officer)
        )
    return {"pk": found.pk}


def _pingcheng_problem(places):
    from tests.walk.url_walk_problems import _finding

    return _finding(places)


def _pingcheng_receipt_photo(places):
    """A receipt photo on the 平城区 institution's problem (sent by its own account)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from accounts.models import User
    from inspections.models import Finding, ReceiptPhoto

    finding = Finding.objects.get(pk=_pingcheng_problem(places)["pk"])
    photo = finding.receipt_photos.first()
    if photo is None:
        out = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(out, "JPEG")
        photo = ReceiptPhoto(
            finding=finding, sha256="a" * 64, uploaded_by=User.objects.get(username="pingcheng")
        )
        photo.image.save("walk.jpg", ContentFile(out.getvalue()), save=False)
        photo.save()
    return {"pk": photo.pk}


def _pingcheng_self_inspection(places):
    """The 平城区 institution's submitted self-inspection, 1.01 not met, with a photo."""
    from campaign.services import campaign_seed_2023
    from institutions.models import InstitutionAccount
    from selfcheck.models import SelfInspection

    campaign_seed_2023(province_code="140000")
    found = SelfInspection.objects.filter(institution=places.pingcheng).first()
    if found is None:
        from tests.selfcheck.test_selfcheck import self_inspected

        account = InstitutionAccount.objects.get(pk=_pingcheng_account(places)["pk"])
        found = self_inspected(account.user, non_compliant=("1.01",))
    return found


def _pingcheng_self(places):
    return {"pk": _pingcheng_self_inspection(places).pk}


def _pingcheng_self_photo(places):
    from selfcheck.models import SelfPhoto

    record = _pingcheng_self_inspection(places)
    return {"pk": SelfPhoto.objects.filter(answer__self_inspection=record).first().pk}


def _pingcheng_self_item(places):
    record = _pingcheng_self_inspection(places)
    return {"pk": record.answers.get(item__code="1.01").pk}


def _pingcheng_batch(places):
    """A finished batch of 平城区 started by its officer, its sheet not yet taken."""
    from django.utils import timezone

    from accounts.models import User
    from institutions.account_batches import KEEP, _seal
    from institutions.models import AccountBatch

    batch = AccountBatch.objects.filter(county_id="140213").first()
    if batch is None:
        batch = AccountBatch.objects.create(
            county_id="140213", created_by=User.objects.get(username="pingcheng"),
            status=AccountBatch.Status.DONE, opened=1,
            sheet=_seal([{"name": "平城区启明美术培训学校", "credit_code": "x", "username": "x",
                          "password": "x"}]),
            sheet_until=timezone.now() + KEEP,
        )  # fmt: skip
    return {"pk": batch.pk}


def _pingcheng_staff(places):
    from tests.factories.personnel import StaffFactory

    return {"pk": StaffFactory(institution=places.pingcheng).pk}


def _pingcheng_fee(places):
    import datetime as dt
    from decimal import Decimal

    from accounts.models import User
    from fees.models import FeeRecord

    record = FeeRecord.objects.filter(institution=places.pingcheng).first()
    if record is None:
        record = FeeRecord.objects.create(
            institution=places.pingcheng, amount=Decimal("1000"), period_from=dt.date(2023, 9, 1),
            period_to=dt.date(2023, 11, 30), charged_on=dt.date(2023, 9, 1), supervised=True,
            natural_key="walk", source=FeeRecord.Source.MANUAL,
            created_by=User.objects.get(username="pingcheng"),
        )  # fmt: skip
    return {"pk": record.pk}


COUNTY_POST_ONLY = _roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405)
PINGCHENG_PAGE = _roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)
PORTAL_POST_ONLY = _roles(403, anonymous="login")
COUNTY_WRITE = _roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, admin=OK)

EXPECT: dict = {
    "institutions:account_open": (_pingcheng_institution, COUNTY_POST_ONLY),
    "institutions:account_reset": (_pingcheng_account, COUNTY_POST_ONLY),
    "institutions:account_active": (_pingcheng_account, COUNTY_POST_ONLY),
    # 批量开通机构账号: the county's education officers and admins; a batch's sheet is its
    # requester's alone (another officer or an admin gets 404).
    "institutions:account_batches": (
        None,
        _roles(403, anonymous=302, xiaodian=200, pingcheng=200, admin=200),
    ),
    "institutions:account_batch_sheet": (_pingcheng_batch, COUNTY_POST_ONLY),
    "portal:home": (None, _roles(403, anonymous=302)),
    # Its own lists (staff, fee records); the 平城区 institution's staff member is 404 to it.
    "portal:staff": (None, _roles(403, anonymous=302)),
    "portal:staff_create": (None, _roles(403, anonymous=302)),
    "portal:staff_edit": (_pingcheng_staff, _roles(403, anonymous=302)),
    "portal:fees": (None, _roles(403, anonymous=302)),
    # Its API (session only: an institution holds no token); the 平城区 rows are 404 to it.
    "api:org-problem-list": (None, _roles(403, anonymous=401)),
    "api:org-problem-detail": (_pingcheng_problem, _roles(403, anonymous=401)),
    "api:org-staff-list": (None, _roles(403, anonymous=401)),
    "api:org-staff-detail": (_pingcheng_staff, _roles(403, anonymous=401)),
    "api:org-fee-record-list": (None, _roles(403, anonymous=401)),
    "api:org-fee-record-detail": (_pingcheng_fee, _roles(403, anonymous=401)),
    "portal:fee_create": (None, _roles(403, anonymous=302)),
    # The 平城区 institution's problem and photo: the cast's institution (小店区) gets 404.
    "portal:problem": (_pingcheng_problem, _roles(403, anonymous=302)),
    "portal:receipt_photo": (_pingcheng_receipt_photo, _roles(403, anonymous=302)),
    # 自查自评: officials read the submitted ones in their scope; only an institution fills
    # its own (the cast's institution, in 小店区, gets 404 for the 平城区 one's rows).
    "selfcheck:list": (None, _roles(200, anonymous=302, auditor=403, outsider=403)),
    "selfcheck:detail": (_pingcheng_self, PINGCHENG_PAGE),
    "selfcheck:photo": (_pingcheng_self_photo, PINGCHENG_PAGE),
    "portal:selfcheck": (None, _roles(403, anonymous=302)),
    "portal:selfcheck_save": (None, _roles(403, anonymous=302)),
    "portal:selfcheck_submit": (None, _roles(403, anonymous=302)),
    "portal:selfcheck_amend": (None, _roles(403, anonymous=302)),
    "portal:selfcheck_photo_upload": (lambda p: {"code": "1.01"}, _roles(403, anonymous=302)),
    "portal:selfcheck_fix": (_pingcheng_self_item, _roles(403, anonymous=302)),
    "portal:selfcheck_photo": (_pingcheng_self_photo, _roles(403, anonymous=302)),
    "inspections:receipt_photo": (
        _pingcheng_receipt_photo,
        _roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403),
    ),
}

WRITE_EXPECT: dict = {
    "institutions:account_batch_sheet": _roles(
        403, anonymous="login", xiaodian=404, pingcheng="ok", admin=404
    ),
    "portal:selfcheck_save": PORTAL_POST_ONLY,
    "portal:selfcheck_submit": PORTAL_POST_ONLY,
    "portal:selfcheck_amend": PORTAL_POST_ONLY,
    "portal:selfcheck_photo_upload": PORTAL_POST_ONLY,
    "portal:selfcheck_fix": PORTAL_POST_ONLY,
    "institutions:account_open": COUNTY_WRITE,
    "institutions:account_reset": COUNTY_WRITE,
    "institutions:account_active": COUNTY_WRITE,
}

# The institution's own account is expected as the outsider (signed in, no official's role)
# on every pattern but these; it holds no API token either (api.services.may_hold_tokens).
INSTITUTION: dict = {
    "home": 302,  # to its own page, portal:home
    "portal:home": 200,
    "portal:problem": 404,
    "portal:receipt_photo": 404,
    # Its own self-inspection: the form, and the POST-only steps (405 to a GET); the 平城区
    # institution's item and photo are not there for it.
    "portal:selfcheck": 200,
    "portal:staff": 200,
    "api:org-problem-list": 200,
    "api:org-problem-detail": 404,
    "api:org-staff-list": 200,
    "api:org-staff-detail": 404,
    "api:org-fee-record-list": 200,
    "api:org-fee-record-detail": 404,
    "portal:staff_create": 200,
    "portal:staff_edit": 404,
    "portal:fees": 200,
    "portal:fee_create": 200,
    "portal:selfcheck_save": 405,
    "portal:selfcheck_submit": 405,
    "portal:selfcheck_amend": 405,
    "portal:selfcheck_photo_upload": 405,
    "portal:selfcheck_fix": 405,
    "portal:selfcheck_photo": 404,
    # Its bell: what the re-inspection made of its receipts.
    "notifications": 200,
    "notifications_read_all": 405,
    "notification_read": 405,
}
INSTITUTION_WRITES: dict = {
    "notifications_read_all": OK,
    "notification_read": 404,
    # The cast's institution has not begun its self-inspection: each step finds none (404);
    # tests/selfcheck walks them with one begun.
    "portal:selfcheck_save": 404,
    "portal:selfcheck_submit": 404,
    "portal:selfcheck_amend": 404,
    "portal:selfcheck_photo_upload": 404,
    "portal:selfcheck_fix": 404,
}
