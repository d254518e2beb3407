"""URL-walk expectations for 账号导入 (merged into tests/walk/test_url_walk.py): only an admin
(accounts.manage) opens the pages, and a run is its uploader's own (another admin's run is
404: tests/onboarding/test_import.py)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]
OK, LOGIN = "ok", "login"


def _roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


def _admin_run(places):
    from accounts.models import User
    from tabular.models import ImportRun

    run, _ = ImportRun.objects.get_or_create(
        created_by=User.objects.get(username="admin"), kind="accounts",
        defaults={"file_name": "账号.xlsx", "file": "imports/a.xlsx", "file_sha256": "2" * 64,
                  "status": "checked"},
    )  # fmt: skip
    return {"pk": run.pk}


ADMIN_PAGE = _roles(403, anonymous=302, admin=200)
ADMIN_POST_ONLY = _roles(403, anonymous=302, admin=405)

EXPECT: dict = {
    "onboarding:import": (None, ADMIN_PAGE),
    "onboarding:import_template": (None, ADMIN_PAGE),
    "onboarding:import_run": (_admin_run, ADMIN_PAGE),
    "onboarding:import_run_errors": (_admin_run, ADMIN_PAGE),
    "onboarding:import_run_confirm": (_admin_run, ADMIN_POST_ONLY),
    "onboarding:import_passwords": (_admin_run, ADMIN_POST_ONLY),
}

WRITE_EXPECT: dict = {
    "onboarding:import": _roles(403, anonymous=LOGIN, admin=OK),
    "onboarding:import_run_confirm": _roles(403, anonymous=LOGIN, admin=OK),
    "onboarding:import_passwords": _roles(403, anonymous=LOGIN, admin=OK),
}
