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


COUNTY_POST_ONLY = _roles(403, anonymous=302, xiaodian=405, pingcheng=405, admin=405)
COUNTY_WRITE = _roles(403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, admin=OK)

EXPECT: dict = {
    "institutions:account_open": (_pingcheng_institution, COUNTY_POST_ONLY),
    "institutions:account_reset": (_pingcheng_account, COUNTY_POST_ONLY),
    "institutions:account_active": (_pingcheng_account, COUNTY_POST_ONLY),
    "portal:home": (None, _roles(403, anonymous=302)),
    # The 平城区 institution's problem and photo: the cast's institution (小店区) gets 404.
    "portal:problem": (_pingcheng_problem, _roles(403, anonymous=302)),
    "portal:receipt_photo": (_pingcheng_receipt_photo, _roles(403, anonymous=302)),
    "inspections:receipt_photo": (
        _pingcheng_receipt_photo,
        _roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403),
    ),
}

WRITE_EXPECT: dict = {
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
    # Its bell: what the re-inspection made of its receipts.
    "notifications": 200,
    "notifications_read_all": 405,
    "notification_read": 405,
}
INSTITUTION_WRITES: dict = {"notifications_read_all": OK, "notification_read": 404}
