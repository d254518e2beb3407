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
    """A draft inspection of the 平城区 institution, started by its own county officer."""
    from accounts.models import User
    from accounts.scope import scope_for
    from campaign.services import campaign_seed_2023
    from inspections.services import inspection_start

    campaign_seed_2023(province_code="140000")
    officer = User.objects.get(username="pingcheng")
    return inspection_start(institution=places.pingcheng, actor=officer, scope=scope_for(officer))


def _inspection(places):
    return {"pk": _pingcheng_inspection(places).pk}


def _answer_photo(places):
    return {"pk": _pingcheng_inspection(places).pk, "code": "1.01"}


def _photo(places):
    """A stored photo of that inspection's first item."""
    from django.core.files.base import ContentFile

    from inspections.models import Answer, Evidence

    inspection = _pingcheng_inspection(places)
    answer = Answer.objects.create(
        inspection=inspection, item=inspection.checklist.items.get(code="1.01")
    )
    evidence = Evidence(answer=answer, sha256="a" * 64, uploaded_by=inspection.created_by)
    evidence.image.save("a.jpg", ContentFile(b"\xff\xd8\xff\xe0 walk"), save=True)
    return {"pk": evidence.pk}


# POST-only endpoints answer a GET with 405 to everyone holding inspections.change, before
# any object is looked up; without the permission it is 403, anonymous goes to the login.
POST_ONLY = roles(403, anonymous=302, xiaodian=405, pingcheng=405, taiyuan=405, province=405)
# Reading a 平城区 record: its county, the province, the (read-only) admin.
READ_PINGCHENG = roles(200, anonymous=302, xiaodian=404, taiyuan=404, auditor=403, outsider=403)

EXPECT: dict = {
    "inspections:start": (lambda p: {"pk": p.pingcheng.pk}, POST_ONLY),
    "inspections:detail": (_inspection, READ_PINGCHENG),
    "inspections:save": (_inspection, POST_ONLY),
    "inspections:photo_upload": (_answer_photo, POST_ONLY),
    "inspections:submit": (_inspection, POST_ONLY),
    "inspections:amend": (_inspection, POST_ONLY),
    "inspections:photo": (_photo, READ_PINGCHENG),
}

# The 平城区 inspection: its county officer and the province inspect (小店区 and 太原市: 404).
INSPECT_PINGCHENG = roles(
    403, anonymous=LOGIN, xiaodian=404, pingcheng=OK, taiyuan=404, province=OK
)
WRITE_EXPECT: dict = {
    name: INSPECT_PINGCHENG
    for name in ("inspections:start", "inspections:save", "inspections:photo_upload",
                 "inspections:submit", "inspections:amend")
}  # fmt: skip
