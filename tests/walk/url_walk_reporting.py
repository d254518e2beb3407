"""URL-walk expectations for public disclosure (merged into tests/walk/test_url_walk.py).

The public pages answer everyone, logged in or not; the publish page is the province's
(summary.review): city and county staff, the admin, the auditor and outsiders get 403.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _campaign(places):
    from campaign.services import campaign_seed_2023

    return {"pk": campaign_seed_2023(province_code="140000")[0].pk}


PUBLIC = roles(200)
PROVINCE = roles(403, anonymous=302, province=200)
# Publish and withdraw are POST only.
PROVINCE_POST = roles(403, anonymous=302, province=405)

EXPECT: dict = {
    "disclosure:index": (None, PUBLIC),
    "disclosure:campaign": (_campaign, PUBLIC),
    "disclosure:manage": (None, PROVINCE),
    "disclosure:publish": (_campaign, PROVINCE_POST),
    "disclosure:withdraw": (_campaign, PROVINCE_POST),
}

WRITE_EXPECT: dict = {
    "disclosure:publish": roles(403, anonymous=LOGIN, province=OK),
    "disclosure:withdraw": roles(403, anonymous=LOGIN, province=OK),
}
