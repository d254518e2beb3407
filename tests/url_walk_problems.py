"""URL-walk expectations for this feature's pages (merged into tests/test_url_walk.py).

Each entry: "namespace:name": (kwargs factory taking `places` or None, {cast member: status}).
Use the helpers `roles` below; the cast is defined in tests/test_url_walk.py.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


EXPECT: dict = {}
