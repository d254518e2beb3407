"""URL-walk expectations for this feature's pages (merged into tests/walk/test_url_walk.py).

Each entry: "namespace:name": (kwargs factory taking `places` or None, {cast member: status}).
Use the helpers `roles` below; the cast is defined in tests/walk/test_url_walk.py.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


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
