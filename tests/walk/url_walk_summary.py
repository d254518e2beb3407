"""URL-walk expectations for the city work summaries (merged into tests/walk/test_url_walk.py).

The summary object is 大同市's (140200): only province-level readers (province staff, the
admin) see it; 太原市 staff and county officers hold `summary.view` but their grants do not
cover that city → 404; the auditor and outsiders lack the permission → 403. Writes are
POST only: roles with the permission get 405 to a GET, the others 403.
"""

CAST = ["anonymous", "xiaodian", "pingcheng", "taiyuan", "province", "admin", "auditor", "outsider"]


def roles(default, **overrides):
    return {name: overrides.get(name, default) for name in CAST}


# Expected answers to a write (tests/walk/test_write_walk.py): "ok" may write (any answer
# but 403, 404 and 5xx), "login" is the redirect to the login page.
OK, LOGIN = "ok", "login"


def _campaign(places):
    from campaign.services import campaign_seed_2023

    return {"campaign": campaign_seed_2023(province_code="140000")[0].pk}


def _datong(places):
    return {**_campaign(places), "city": "140200"}


def _datong_submission(places):
    """大同市's summary, submitted once by its city staff."""
    from accounts.scope import scope_for
    from campaign.models import Campaign
    from core.models import Region
    from reporting import services_summary as services
    from reporting.models import CitySummary
    from tests.factories import UserFactory

    kwargs = _datong(places)
    if not CitySummary.objects.filter(city_id="140200").exists():
        writer = UserFactory(username="datong_writer", grant=("city_staff", "140200"))
        campaign, city = (
            Campaign.objects.get(pk=kwargs["campaign"]),
            Region.objects.get(code="140200"),
        )
        texts = {
            "organisation": "组织",
            "experiences": "经验",
            "problems": "问题",
            "next_steps": "打算",
        }
        services.summary_save(campaign=campaign, city=city, actor=writer, scope=scope_for(writer),
                              narratives=texts, version=0)  # fmt: skip
        services.summary_submit(campaign=campaign, city=city, actor=writer, scope=scope_for(writer))
    return {**kwargs, "number": 1}


def _datong_fire(places):
    """大同市's fire part: written only by a fire department user of 大同市 (none in the cast)."""
    return {**_datong(places), "department": "fire"}


def _summary_pk(places):
    from reporting.models import CitySummary

    _datong_submission(places)
    return {"pk": CitySummary.objects.get(city_id="140200").pk}


READ = roles(404, anonymous=302, province=200, admin=200, auditor=403, outsider=403)
LIST = roles(200, anonymous=302, auditor=403, outsider=403)
# Save: city staff only (summary.change); 405 to a GET before the city is looked at.
SAVE = roles(403, anonymous=302, taiyuan=405)
REVIEW = roles(403, anonymous=302, province=405)
ROLLUP = roles(403, anonymous=302, province=200)
API_LIST = roles(200, anonymous=401, auditor=403, outsider=403)
API_DETAIL = roles(404, anonymous=401, province=200, admin=200, auditor=403, outsider=403)
# A department's part: `summary.section`, which no one in the cast holds (department users
# of a city do) → 403; the API's POST-only action answers a GET as a read: 405 to readers.
SECTION = roles(403, anonymous=302)
API_SECTION = roles(405, anonymous=401, auditor=403, outsider=403)

EXPECT: dict = {
    "summaries:list": (None, LIST),
    "summaries:detail": (_datong, READ),
    "summaries:save": (_datong, SAVE),
    "summaries:review": (_datong, REVIEW),
    "summaries:section": (_datong_fire, SECTION),
    "summaries:word": (_datong, READ),
    "summaries:submission": (_datong_submission, READ),
    "summaries:rollup_xlsx": (_campaign, ROLLUP),
    "summaries:rollup_docx": (_campaign, ROLLUP),
    "api:summary-list": (None, API_LIST),
    "api:summary-detail": (_summary_pk, API_DETAIL),
    "api:summary-section": (_summary_pk, API_SECTION),
}


def _pdf_expect():
    """The PDF answers like the Word document where a CJK font is installed, else 404."""
    from reporting.documents_summary import pdf_available

    return READ if pdf_available() else roles(404, anonymous=302, auditor=403, outsider=403)


EXPECT["summaries:pdf"] = (_datong, _pdf_expect())

# 大同市's summary: 太原市 staff hold summary.change but do not reach it (404); the province
# reviews it; nobody in the cast holds summary.section.
WRITE_EXPECT: dict = {
    "summaries:save": roles(403, anonymous=LOGIN, taiyuan=404),
    "summaries:review": roles(403, anonymous=LOGIN, province=OK),
    "api:summary-section": roles(403, anonymous=401),
}
