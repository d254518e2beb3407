"""URL-walk expectations for a user's own account pages (merged into
tests/walk/test_url_walk.py): every signed-in user has an account and a password, a role or
not."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]

OWN = {name: 302 if name == "anonymous" else 200 for name in CAST}

EXPECT: dict = {
    "my_account": (None, OWN),
    "password_change": (None, OWN),
}
