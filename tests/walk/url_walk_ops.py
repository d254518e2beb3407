"""URL-walk expectations for ops (merged into tests/walk/test_url_walk.py): the health check
answers everyone, logged in or not."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]

EXPECT: dict = {
    "healthz": (None, dict.fromkeys(CAST, 200)),
}
