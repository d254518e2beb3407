"""URL-walk expectations for the sampling pages (merged into tests/walk/test_url_walk.py).

The objects belong to 大同市 (1402), which holds the 平城区 institution: only the province
(and the admin, who reads everything) may open them; 太原市 staff and county officers get 404.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def datong_draw(places):
    """A confirmed 大同市 draw made by 大同市 staff, with the 平城区 institution in its frame."""
    from accounts.scope import Scope
    from campaign.services import campaign_seed_2023
    from core.models import Region
    from sampling import services
    from sampling.models import Draw
    from tests.factories import UserFactory

    existing = Draw.objects.filter(round__region_id="140200").first()
    if existing is not None:
        return existing
    campaign = campaign_seed_2023(province_code="140000")[0]
    staff = UserFactory(username="datong", grant=("city_staff", "140200"))
    scope = Scope.for_user(staff)
    round_ = services.sampling_round(campaign=campaign, region=Region.objects.get(code="140200"))
    # Every team holds its institution's supervising department and fire rescue.
    posts = [("140212", "education"), ("140214", "fire"), ("140212", "culture_tourism"),
             ("140214", "science"), ("140212", "sports")]  # fmt: skip
    for code, department in posts:
        person = UserFactory(grant=("county_officer", code, department))
        services.pool_add(round_=round_, user=person, actor=staff, scope=scope)
    draw = services.draw_preview(round_=round_, actor=staff, scope=scope, seed="2023")
    return services.draw_confirm(draw=draw, actor=staff, scope=scope)


def _round(places):
    return {"pk": datong_draw(places).round_id}


def _draw(places):
    return {"pk": datong_draw(places).pk}


def _member(places):
    from sampling.models import PoolMember

    draw = datong_draw(places)
    from accounts.models import User

    member, _ = PoolMember.objects.get_or_create(
        round=draw.round,
        user=User.objects.get(username="pingcheng"),
        defaults={"department": "education", "home_region_id": "140213",
                  "added_by": User.objects.get(username="datong")},
    )  # fmt: skip
    return {"pk": draw.round_id, "member_pk": member.pk}


LIST = roles(200, anonymous=302, auditor=403, outsider=403)
DATONG = roles(404, anonymous=302, province=200, admin=200, auditor=403, outsider=403)
# POST only, for those who draw: city and province staff (405 to a GET), nobody else.
DRAW_POST = roles(403, anonymous=302, taiyuan=405, province=405)
API_LIST = roles(200, anonymous=401, auditor=403, outsider=403)
API_DATONG = roles(404, anonymous=401, province=200, admin=200, auditor=403, outsider=403)

EXPECT: dict = {
    "sampling:rounds": (None, LIST),
    "sampling:round": (_round, DATONG),
    "sampling:draw_preview": (_round, DRAW_POST),
    "sampling:pool_add": (_round, DRAW_POST),
    "sampling:pool_remove": (_member, DRAW_POST),
    "sampling:conflict_add": (_round, DRAW_POST),
    "sampling:round_complete": (_round, DRAW_POST),
    "sampling:draw": (_draw, DATONG),
    "sampling:draw_confirm": (_draw, DRAW_POST),
    "sampling:draw_export": (_draw, DATONG),
    "api:draw-list": (None, API_LIST),
    "api:draw-detail": (_draw, API_DATONG),
    "api:draw-frame": (_draw, API_DATONG),
}

# A 大同市 round is drawn by 大同市 staff: the province sees it but may not draw it (403),
# 太原市 staff do not reach it (404). Opening a round (sampling:rounds) names a region and a
# campaign of the user's own; an empty form names none and is refused as out of reach (403).
DRAW_DATONG = roles(403, anonymous=LOGIN, taiyuan=404)
WRITE_EXPECT: dict = {
    "sampling:rounds": roles(403, anonymous=LOGIN),
    "sampling:draw_preview": DRAW_DATONG,
    "sampling:pool_add": DRAW_DATONG,
    "sampling:pool_remove": DRAW_DATONG,
    "sampling:conflict_add": DRAW_DATONG,
    "sampling:round_complete": DRAW_DATONG,
    "sampling:draw_confirm": DRAW_DATONG,
}
