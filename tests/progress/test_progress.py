"""The progress dashboards on a small seeded campaign: exact figures per county, city and
province, each as its viewer's scope shows it; the drill-down lists and the exports."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEvent
from accounts.scope import scope_for
from clock import jobs
from core import kept as kept_copies
from core.models import Region
from institutions.models import Institution
from progress import dashboards
from tests.clock.test_clock import screened
from tests.factories import InstitutionFactory, UserFactory
from tests.inspections.test_problems import inspected, seed_campaign

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2023, 12, 1)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # The province's figures are kept in the cache: each test gets an empty one of its own.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}
    }


@pytest.fixture
def campaign(regions):
    return seed_campaign()


@pytest.fixture
def world(cast, places, campaign):
    """On 20 Nov 2023: 小店区 has 3 operating institutions (dance, subject, sports) and a closed
    one; the dance school is screened with problems 1.01 (general, §一) and 2.22 (major, §二)
    due 25 Nov, the subject school is screened without problems, the sports club is not.
    平城区's only institution is screened with a problem due 10 Dec; 迎泽区's is not screened.
    On 1 Dec the jobs flag 小店区 and 迎泽区 late."""
    xiaodian = Region.objects.get(code="140105")
    subject = InstitutionFactory(
        name="小店区英才学科培训学校", county=xiaodian, category="subject", sector=""
    )
    sports = InstitutionFactory(name="小店区飞跃篮球俱乐部", county=xiaodian, sector="sports")
    InstitutionFactory(name="小店区已注销培训学校", county=xiaodian, status="closed")
    with time_machine.travel(dt.datetime(2023, 11, 20, 9, tzinfo=SHANGHAI), tick=False):
        inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"), days=5)
        screened(cast.xiaodian, subject)
        inspected(cast.pingcheng, places.pingcheng, codes=("1.01",), days=20)
    jobs.run_campaign_jobs(campaign=campaign, now=dt.datetime(2023, 12, 1, 9, tzinfo=SHANGHAI))
    return {"subject": subject, "sports": sports}


def board(user, code):
    return dashboards.region_board(
        scope=scope_for(user), region=Region.objects.get(code=code), today=TODAY
    )


def row(board_, code):
    return next(f for f in board_.children if f.code == code)


# -- figures --------------------------------------------------------------------------


def test_the_county_board_counts_coverage_by_sector_problems_and_the_funnel(cast, world):
    county = board(cast.xiaodian, "140105")
    t = county.total
    assert (t.institutions, t.total, t.screened, t.unscreened) == (4, 3, 2, 1)
    assert t.by_sector == {"culture_art": [1, 1], "": [1, 1], "sports": [1, 0]}
    assert (t.found, t.open, t.reported, t.closed, t.overdue, t.major) == (2, 2, 0, 0, 2, 1)
    assert t.problems == {("一", "general"): 1, ("二", "major"): 1}
    assert [f.region.name for f in county.flags] == ["小店区"]
    assert county.children == [] and county.quota is None
    kinds = [d["phase"].kind for d in county.deadlines]
    assert kinds[0] == "county_screening" and len(kinds) == 4


def test_the_city_board_puts_its_counties_side_by_side_and_never_counts_datong(cast, world):
    city = board(cast.taiyuan, "140100")
    assert city.precomputed and not board(cast.xiaodian, "140105").precomputed
    assert (city.total.total, city.total.screened, city.total.found) == (4, 2, 2)
    assert (row(city, "140105").screened, row(city, "140105").total) == (2, 3)
    assert (row(city, "140106").screened, row(city, "140106").total) == (0, 1)
    assert row(city, "140106").coverage == 0.0 and row(city, "140105").coverage == 66.7
    assert all(f.code.startswith("1401") for f in city.children)
    assert sorted(f.region.name for f in city.flags) == ["小店区", "迎泽区"]
    assert [f.code for f in city.behind[:2]] == ["140106", "140105"]
    # No city sample drawn yet: the quota card says so rather than showing zeros.
    assert city.quota is None


def test_the_province_board_ranks_cities_totals_and_trend(cast, world):
    province = board(cast.province, "140000")
    assert province.precomputed
    assert (province.total.total, province.total.screened, province.total.found) == (5, 3, 3)
    assert (row(province, "140100").screened, row(province, "140100").total) == (2, 4)
    assert (row(province, "140200").screened, row(province, "140200").total) == (1, 1)
    assert province.behind[0].code == "140100"
    assert len(row(province, "140100").flags) == 2
    assert province.trend[0].day == dt.date(2023, 11, 1) and province.trend[-1].day == TODAY
    by_day = {d.day: (d.screened, d.cumulative) for d in province.trend}
    assert by_day[dt.date(2023, 11, 19)] == (0, 0)
    assert by_day[dt.date(2023, 11, 20)] == (3, 3) and by_day[TODAY] == (0, 3)


def test_the_kept_province_figures_say_how_old_they_are_and_refresh(client, cast, world, campaign):
    client.force_login(cast.province)
    page = client.get(reverse("home")).content.decode()
    assert "以下数字为汇总结果，统计于" in page and "逾期标记由定时任务生成" in page
    today = timezone.localdate()
    kept = dashboards.summary_facts(campaign, today)  # the copy the page just made
    screened(cast.xiaodian, world["sports"])
    # Within ten minutes the page shows the copy (with its time), not the new screening…
    assert dashboards.summary_facts(campaign, today).computed_at == kept.computed_at
    # …after them, the next request adds the province up again.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        fresh = dashboards.summary_facts(campaign, timezone.localdate())
    assert fresh.computed_at > kept.computed_at
    assert sum(r[6] for r in fresh.screening) == sum(r[6] for r in kept.screening) + 1


def test_a_sector_department_sees_only_its_sector_live_and_from_the_kept_copy(cast, world):
    county_sports = UserFactory(grant=("department_user", "140105", "sports"))
    city_sports = UserFactory(grant=("department_user", "140100", "sports"))
    province_sports = UserFactory(grant=("department_user", "140000", "sports"))
    for user, code in (
        (county_sports, "140105"),
        (city_sports, "140100"),
        (province_sports, "140000"),
    ):
        t = board(user, code).total
        # Only the sports club (not screened); its sections 一 and 六 hold no sports problems.
        assert (t.total, t.screened, t.found, t.by_sector) == (1, 0, 0, {"sports": [1, 0]})


def test_a_fire_officer_counts_only_section_two_problems(cast, world):
    fire = UserFactory(grant=("department_user", "140105", "fire"))
    t = board(fire, "140105").total
    assert (t.found, t.major, t.problems) == (1, 1, {("二", "major"): 1})


# -- pages, scope and roles -----------------------------------------------------------


def test_each_role_sees_its_own_board_on_the_home_page(client, cast, world):
    for user, marker in (
        (cast.xiaodian, 'data-testid="board-county"'),
        (cast.taiyuan, 'data-testid="board-city"'),
        (cast.province, 'data-testid="board-province"'),
    ):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        assert marker in page
    client.force_login(cast.taiyuan)
    page = client.get(reverse("home")).content.decode()
    assert "平城" not in page and "大同" not in page
    assert 'href="/progress/unscreened/?region=140106"' in page
    # The fee figures of [complaints-fees] sit beside the progress, linked to their ledger.
    assert 'data-testid="board-fees"' in page and "/fees/violations/?region=140100" in page


def test_a_province_user_drills_into_a_city_and_a_county(client, cast, world):
    client.force_login(cast.province)
    city = client.get(reverse("progress:region"), {"region": "140100"})
    assert city.status_code == 200 and 'data-testid="board-city"' in city.content.decode()
    county = client.get(reverse("progress:region"), {"region": "140105"})
    assert 'data-testid="board-county"' in county.content.decode()
    assert county.context["board_total"].screened == 2


@pytest.mark.parametrize(
    ("member", "code"),
    [("xiaodian", "140213"), ("xiaodian", "140100"), ("taiyuan", "140200"), ("taiyuan", "140000"),
     ("taiyuan", "999999"), ("taiyuan", "<script>")],
)  # fmt: skip
def test_a_board_outside_the_scope_or_unknown_is_404(client, cast, world, member, code):
    client.force_login(getattr(cast, member))
    assert client.get(reverse("progress:region"), {"region": code}).status_code == 404
    export = reverse("progress:table_export", args=["regions"])
    assert client.get(export, {"region": code}).status_code == 404


@pytest.mark.parametrize("member", ["auditor", "outsider", "vetting"])
def test_roles_that_do_not_read_inspections_get_403(client, cast, world, member):
    user = (
        UserFactory(grant=("vetting_officer", "140105"))
        if member == "vetting"
        else getattr(cast, member)
    )
    client.force_login(user)
    for name in ("progress:region", "progress:unscreened", "progress:screened_export"):
        assert client.get(reverse(name)).status_code == 403


def test_an_unknown_table_is_404(client, cast, world):
    client.force_login(cast.province)
    assert client.get(reverse("progress:table_export", args=["salaries"])).status_code == 404


# -- drill-down lists -----------------------------------------------------------------


def names(response) -> list[str]:
    assert response.status_code == 200
    return [i.name for i in response.context["page"]]


def test_the_unscreened_list_shows_the_institutions_behind_the_figure(client, cast, world, places):
    client.force_login(cast.xiaodian)
    url = reverse("progress:unscreened")
    assert names(client.get(url, {"region": "140105"})) == ["小店区飞跃篮球俱乐部"]
    assert names(client.get(url)) == ["小店区飞跃篮球俱乐部"]  # the user's own county
    assert names(client.get(url, {"region": "140105", "sector": "culture_art"})) == []
    client.force_login(cast.taiyuan)
    assert names(client.get(url, {"region": "140100"})) == [
        "小店区飞跃篮球俱乐部", places.yingze.name
    ]  # fmt: skip


def test_the_screened_list_takes_a_day_and_a_sector(client, cast, world, places):
    client.force_login(cast.province)
    url = reverse("progress:screened")
    day = names(client.get(url, {"region": "140000", "day": "2023-11-20"}))
    assert sorted(day) == sorted(
        ["小店区英才学科培训学校", places.xiaodian.name, places.pingcheng.name]
    )
    assert names(client.get(url, {"region": "140000", "day": "2023-11-21"})) == []
    assert names(client.get(url, {"region": "140105", "sector": "none"})) == [
        "小店区英才学科培训学校"
    ]
    page = client.get(url, {"region": "140105", "day": "2023-11-20"}).content.decode()
    assert "11-20 09:00 首次排查" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"region": "140213"}, "地区代码“140213”不存在或不在您的工作范围内"),
        ({"region": "999999"}, "地区代码“999999”不存在或不在您的工作范围内"),
        ({"region": "140105", "sector": "mining"}, "未知的行业“mining”"),
    ],
)
def test_bad_drill_down_input_is_explained_in_chinese_and_lists_nothing(
    client, cast, world, params, message
):
    client.force_login(cast.xiaodian)
    response = client.get(reverse("progress:unscreened"), params)
    assert names(response) == []
    assert message in response.content.decode()
    assert client.get(reverse("progress:unscreened_export"), params).status_code == 404


def test_a_bad_day_is_explained_in_chinese(client, cast, world):
    client.force_login(cast.province)
    response = client.get(reverse("progress:screened"), {"day": "2023-13-45"})
    assert names(response) == []
    assert "日期“2023-13-45”无效" in response.content.decode()


# -- exports --------------------------------------------------------------------------


def sheet(response) -> list[tuple]:
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_unscreened_export_lists_the_same_institutions_and_is_audited(client, cast, world):
    client.force_login(cast.taiyuan)
    rows = sheet(client.get(reverse("progress:unscreened_export"), {"region": "140100"}))
    assert rows[0][0].startswith("太原市未排查机构")
    assert rows[1][:4] == ("机构名称", "统一社会信用代码", "所在市", "所在县区")
    assert [r[0] for r in rows[2:]] == ["小店区飞跃篮球俱乐部", "迎泽区育才编程培训中心"]
    assert AuditEvent.objects.filter(kind="export", detail__ledger="progress_unscreened").exists()


def test_the_screened_export_carries_the_first_screening_time(client, cast, world):
    client.force_login(cast.xiaodian)
    rows = sheet(client.get(reverse("progress:screened_export"), {"sector": "none"}))
    assert [(r[0], r[8]) for r in rows[2:]] == [
        ("小店区英才学科培训学校", dt.datetime(2023, 11, 20, 9, 0))
    ]


def test_every_board_table_exports_with_the_page_numbers(client, cast, world):
    client.force_login(cast.taiyuan)
    export = lambda table, **p: sheet(  # noqa: E731
        client.get(reverse("progress:table_export", args=[table]), p)
    )
    regions = {r[0]: r for r in export("regions")[2:]}
    assert regions["小店区"][2:7] == (3, 2, 1, "66.7%", 2)
    assert regions["迎泽区"][1] == 1  # furthest behind
    assert regions["合计"][2:4] == (4, 2)
    assert "平城区" not in regions
    sectors = export("sectors", region="140105")
    assert ("体育", 1, 0, 1) in sectors
    problems = {r[0]: r[1:] for r in export("problems", region="140105")[2:]}
    assert problems["一、机构安全管理"] == (0, 1, 1) and problems["二、消防安全"] == (1, 0, 1)
    trend = export("trend")
    assert trend[1] == ("日期", "当日首次排查机构", "累计已排查")
    assert (dt.datetime(2023, 11, 20), 2, 2) in trend
    flags = [r[0] for r in export("flags")[2:]]
    assert sorted(flags) == ["小店区", "迎泽区"]


def test_a_campaign_less_province_shows_no_figures_and_no_error(client, cast, places):
    client.force_login(cast.province)
    page = client.get(reverse("home")).content.decode()
    assert "尚未设立进行中的专项行动" in page
    assert client.get(reverse("progress:unscreened")).status_code == 200
    assert Institution.objects.count() == 3


# -- the kept copy's refresh lock -------------------------------------------------------


def _lock(campaign) -> str:
    return dashboards._summary_key(campaign) + ":refreshing"


def test_a_request_that_did_not_take_the_refresh_lock_leaves_it(cast, world, campaign, monkeypatch):
    from django.core.cache import cache

    monkeypatch.setattr(kept_copies, "WAIT", dt.timedelta())
    today = timezone.localdate()
    cache.add(_lock(campaign), "another request", timeout=60)
    # No copy yet and another request is adding it up: this one adds up its own, not kept…
    facts = dashboards.summary_facts(campaign, today)
    assert facts.today == today and sum(r[5] for r in facts.screening) == 5
    # …and leaves the other's lock (and copy) alone.
    assert cache.get(_lock(campaign)) == "another request"
    assert cache.get(dashboards._summary_key(campaign)) is None


def test_a_request_without_todays_copy_waits_for_the_one_adding_it_up(
    cast, world, campaign, monkeypatch
):
    from django.core.cache import cache

    today = timezone.localdate()
    cache.add(_lock(campaign), "another request", timeout=60)
    theirs = []

    def other_request_finishes(seconds):
        theirs.append(dashboards.refresh_summary(campaign, today))

    monkeypatch.setattr(kept_copies.time, "sleep", other_request_finishes)
    assert dashboards.summary_facts(campaign, today).computed_at == theirs[0].computed_at


def test_the_first_request_of_a_new_day_refreshes_under_the_lock(
    cast, world, campaign, monkeypatch
):
    from django.core.cache import cache

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    dashboards.refresh_summary(campaign, yesterday)
    held = []
    refresh = dashboards.refresh_summary

    def watched(campaign_, today_):
        held.append(cache.get(_lock(campaign_)))
        return refresh(campaign_, today_)

    monkeypatch.setattr(dashboards, "refresh_summary", watched)
    facts = dashboards.summary_facts(campaign, timezone.localdate())
    assert facts.today == timezone.localdate()
    assert held and held[0] is not None  # the lock was taken for the new day's refresh
    assert cache.get(_lock(campaign)) is None  # and released by its holder


# -- quota flags and the trend's first day ----------------------------------------------


def test_open_quota_flags_show_beside_the_quota_card(client, cast, world, campaign):
    # 3 Dec, 7 days before the spot-check deadline: neither city has drawn its sample.
    jobs.run_campaign_jobs(campaign=campaign, now=dt.datetime(2023, 12, 3, 9, tzinfo=SHANGHAI))
    city = board(cast.taiyuan, "140100")
    assert [(f.region.name, f.missing) for f in city.quota_flags] == [
        ("太原市", "太原市：尚未确认抽样")
    ]
    assert [f.region.name for f in board(cast.province, "140000").quota_flags] == [
        "太原市", "大同市"
    ]  # fmt: skip
    assert board(cast.xiaodian, "140105").quota_flags == []
    client.force_login(cast.taiyuan)
    page = client.get(reverse("progress:region"), {"region": "140100"}).content.decode()
    card = page[page.index('data-testid="board-quota"') :]
    card = card[: card.index('data-testid="quota-flags"') + 2000]
    assert "抽查数量预警" in card and "太原市：尚未确认抽样" in card and "大同市" not in card
    client.force_login(cast.province)
    page = client.get(reverse("progress:region"), {"region": "140000"}).content.decode()
    assert 'data-testid="quota-flags"' in page and "大同市：尚未确认抽样" in page


def test_the_trend_first_day_and_its_list_agree_on_earlier_screenings(
    client, cast, world, campaign
):
    early = InstitutionFactory(name="小店区开学前排查培训学校", county_id="140105")
    with time_machine.travel(dt.datetime(2023, 10, 28, 9, tzinfo=SHANGHAI), tick=False):
        screened(cast.xiaodian, early)
    first = board(cast.province, "140000").trend[0]
    assert first.day == campaign.starts_on and first.screened == 1
    client.force_login(cast.province)
    url = reverse("progress:screened")
    listed = names(client.get(url, {"region": "140000", "day": campaign.starts_on.isoformat()}))
    assert listed == [early.name]  # as many as the trend's first day counts
    assert names(client.get(url, {"region": "140000", "day": "2023-10-28"})) == []


def test_the_portable_facts_equal_the_postgresql_statements(cast, places):
    """The SQLite demo adds the same rows up in Python: on the same data, the same facts."""
    from accounts.scope import Scope
    from progress import dashboards
    from progress.portable import portable_rows
    from tests.inspections.test_problems import inspected, seed_campaign

    campaign = seed_campaign()
    inspected(cast.xiaodian, places.xiaodian, codes=("1.01", "2.22"))
    inspected(cast.pingcheng, places.pingcheng, codes=("5.01",))
    today = timezone.localdate()
    for user, prefix in [(cast.province, "14"), (cast.taiyuan, "1401"), (cast.xiaodian, "140105")]:
        scope = Scope.for_user(user)
        sql = dashboards.live_facts(scope, campaign, prefix, today)
        rows = portable_rows(
            scope, campaign, prefix, today, permission=dashboards.PERMISSION,
            county_rounds=dashboards._round_ids(campaign, prefix, county_only=True),
            all_rounds=dashboards._round_ids(campaign, prefix), no_sector=dashboards.NO_SECTOR,
        )  # fmt: skip
        assert sorted(sql.screening) == sorted(rows[0])
        assert sorted(sql.days) == sorted(rows[1])
        assert sorted(sql.problems) == sorted(rows[2])
        assert sql.problems  # there is something to compare


def test_the_dashboard_problem_links_open_the_campaigns_problem_list(client, cast, places):
    from tests.inspections.test_problems import inspected, seed_campaign

    campaign = seed_campaign()
    inspected(cast.xiaodian, places.xiaodian)
    client.force_login(cast.taiyuan)
    page = client.get(reverse("home")).content.decode()
    assert f"/inspections/problems/?campaign={campaign.pk}&amp;region=140100" in page
