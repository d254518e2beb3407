"""URL-walk expectations for 查处问责 (merged into tests/test_url_walk.py)."""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Everyone who reads the registers reads the actions (enforcement.view); the admin too.
PAGE = roles(200, anonymous=302, auditor=403, outsider=403)
# Recording is for officers who reach the 平城区 institution; the admin keeps registers only.
RECORD_PINGCHENG = roles(403, anonymous=302, xiaodian=404, pingcheng=200, taiyuan=404, province=200)

EXPECT: dict = {
    "enforcement:list": (None, PAGE),
    "enforcement:create": (lambda p: {"pk": p.pingcheng.pk}, RECORD_PINGCHENG),
    "ledgers:enforcement": (None, PAGE),
}
