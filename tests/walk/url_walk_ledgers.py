"""URL-walk expectations for the 台账 page and the ledgers it added (merged into test_url_walk)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


PAGE = roles(200, anonymous=302, auditor=403, outsider=403)

EXPECT: dict = {
    "ledgers:index": (None, PAGE),
    "ledgers:inspections": (None, PAGE),
    "ledgers:publicity": (None, PAGE),
}
