"""URL-walk expectations for the progress dashboards' pages (merged into tests/walk/test_url_walk.py).

Without a region every page shows the user's own region; anyone who reads inspections may
open them, the auditor and the outsider may not.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)

EXPECT: dict = {
    "progress:region": (None, PAGE),
    "progress:unscreened": (None, PAGE),
    "progress:screened": (None, PAGE),
    "progress:unscreened_export": (None, PAGE),
    "progress:screened_export": (None, PAGE),
    "progress:table_export": (lambda places: {"table": "regions"}, PAGE),
}
