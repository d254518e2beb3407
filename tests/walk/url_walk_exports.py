"""URL-walk expectations for background exports and the rectification ledger (merged into
test_url_walk)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _pingcheng_export_run(places):
    """A finished background export of the 平城区 officer: only they may download it."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import User
    from tabular.models import ExportRun

    run = ExportRun.objects.create(
        created_by=User.objects.get(username="pingcheng"), ledger="inspections",
        status="done", file_name="检查记录台账.xlsx", expires_at=timezone.now() + ExportRun.KEEP,
    )  # fmt: skip
    run.file.save("walk.xlsx", ContentFile(b"PK"), save=True)
    return {"pk": run.pk}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)

EXPECT: dict = {
    "ledgers:rectification": (None, PAGE),
    "ledgers:export_runs": (None, PAGE),
    # Without a ledger named the page explains that (400); nothing is started by a GET.
    "ledgers:export_new": (None, roles(400, anonymous=302, auditor=403, outsider=403)),
    "ledgers:export_download": (
        _pingcheng_export_run,
        roles(404, anonymous=302, pingcheng=200, auditor=403, outsider=403),
    ),
}

WRITE_EXPECT: dict = {
    "ledgers:export_new": roles(OK, anonymous=LOGIN, auditor=403, outsider=403),
}
