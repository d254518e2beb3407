"""Routine notifications gathered into one digest per person per day; urgent ones one by one;
e-mail only for those who chose it; the digest e-mailed once, after its day."""

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts import outbox
from accounts.models import Notification, User
from accounts.notifications import notify, unread_count
from clock import jobs
from tests.factories import UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2025, 12, 8, 9, 0, tzinfo=SHANGHAI)


def routine(users, n, *, kind="overdue", key=None):
    return notify(
        users=users, kind=kind, title=f"整改逾期：机构{n}", body=f"第 {n} 项",
        link=f"/inspections/problems/?q={n}", reason="您负责督办", key=key or f"k{n}",
    )  # fmt: skip


def digests(user):
    return Notification.objects.filter(user=user, kind="digest")


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


# -- notify -------------------------------------------------------------------------------


def test_routine_messages_make_one_digest_per_person_per_day_listing_each(cast, morning):
    routine([cast.xiaodian, cast.taiyuan], 1)
    routine([cast.taiyuan], 2, kind="escalation")
    routine([cast.taiyuan], 3, kind="reminder")
    routine([cast.taiyuan], 4, kind="assignment")
    digest = digests(cast.taiyuan).get()
    assert [i.title for i in digest.items.order_by("pk")] == [
        "整改逾期：机构1", "整改逾期：机构2", "整改逾期：机构3", "整改逾期：机构4",
    ]  # fmt: skip
    assert digest.body.splitlines()[0] == "共 4 条：" and "· 整改逾期：机构4" in digest.body
    assert digest.title == "例行通知汇总：12月8日" and digest.link == reverse("notifications")
    assert unread_count(cast.taiyuan) == 1 and unread_count(cast.xiaodian) == 1
    assert digests(cast.xiaodian).get().items.count() == 1
    # The next day starts a new digest; yesterday's keeps its items.
    morning.shift(dt.timedelta(days=1))
    routine([cast.taiyuan], 5)
    assert digests(cast.taiyuan).count() == 2
    assert digests(cast.taiyuan).order_by("pk").last().items.get().title == "整改逾期：机构5"
    assert unread_count(cast.taiyuan) == 2


def test_the_same_routine_item_notified_twice_is_listed_once(cast, morning):
    routine([cast.taiyuan], 1)
    assert routine([cast.taiyuan], 1) == []
    morning.shift(dt.timedelta(days=1))  # nor again on a later day
    assert routine([cast.taiyuan], 1) == []
    digest = digests(cast.taiyuan).get()
    assert digest.items.count() == 1 and digest.body.startswith("共 1 条")


def test_urgent_messages_come_one_by_one(cast, morning):
    for n in (1, 2):
        notify(users=[cast.taiyuan], kind="major_hazard", title=f"重大隐患{n}", key=f"m{n}")
    notify(users=[cast.taiyuan], kind="summary", title="太原市工作总结被退回", key="s1")
    notify(users=[cast.taiyuan], kind="escalation", title="涉未成年人线索逾期", key="e1",
           urgent=True)  # fmt: skip
    routine([cast.taiyuan], 1)
    top = Notification.objects.filter(user=cast.taiyuan, digest=None)
    assert sorted(top.values_list("kind", flat=True)) == [
        "digest", "escalation", "major_hazard", "major_hazard", "summary",
    ]  # fmt: skip
    assert unread_count(cast.taiyuan) == 5
    # Told again: nothing new.
    notify(users=[cast.taiyuan], kind="major_hazard", title="重大隐患1", key="m1")
    assert unread_count(cast.taiyuan) == 5


def test_email_goes_to_the_outbox_only_for_users_who_chose_it_and_have_an_address(regions, morning):
    wants = UserFactory(email="wants@example.cn", notify_by_email=True)
    declines = UserFactory(email="declines@example.cn", notify_by_email=False)
    no_address = UserFactory(email="", notify_by_email=True)
    people = [wants, declines, no_address]
    rows = notify(users=people, kind="major_hazard", title="重大隐患", key="m")
    assert {r.user.username: r.email_to for r in rows} == {
        wants.username: "wants@example.cn", declines.username: "", no_address.username: "",
    }  # fmt: skip
    routine(people, 1)
    assert dict(Notification.objects.filter(kind="digest", user__in=people).values_list("user_id", "email_to")) == {
        wants.pk: "wants@example.cn", declines.pk: "", no_address.pk: "",
    }  # fmt: skip
    # Items never carry an address: only their digest is e-mailed.
    assert not Notification.objects.filter(digest__isnull=False).exclude(email_to="").exists()
    assert outbox.deliver() == 1
    assert [m.to for m in mail.outbox] == [["wants@example.cn"]]


def test_the_digest_is_emailed_once_after_its_day_with_every_item_and_link(regions, morning):
    user = UserFactory(email="city@example.cn")
    routine([user], 1)
    morning.shift(dt.timedelta(hours=14))  # 23:00, the day still open
    routine([user], 2)
    assert outbox.deliver() == 0 and mail.outbox == []
    morning.shift(dt.timedelta(hours=1, minutes=1))  # 00:01 the next day: the sweep sends it
    routine([user], 3)  # today's first item starts today's digest
    assert outbox.deliver() == 1 and outbox.deliver() == 0
    [sent] = mail.outbox
    assert sent.subject == "例行通知汇总：12月8日" and sent.to == ["city@example.cn"]
    for n in (1, 2):
        assert f"整改逾期：机构{n}" in sent.body and f"/inspections/problems/?q={n}" in sent.body
    assert "机构3" not in sent.body
    morning.shift(dt.timedelta(days=1))
    assert outbox.deliver() == 1 and "机构3" in mail.outbox[-1].body


def test_the_digest_goes_to_the_address_and_choice_of_the_day_it_is_sent(regions, morning):
    """The day's digest is addressed when it leaves, not when its first item came: a user who
    switched e-mail off, an account switched off, or a changed address are all honoured."""
    moved = UserFactory(email="old@example.cn")
    quiet = UserFactory(email="quiet@example.cn")
    gone = UserFactory(email="gone@example.cn")
    routine([moved, quiet, gone], 1)
    User.objects.filter(pk=moved.pk).update(email="new@example.cn")
    User.objects.filter(pk=quiet.pk).update(notify_by_email=False)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    morning.shift(dt.timedelta(days=1))
    assert outbox.deliver() == 1 and outbox.deliver() == 0
    assert [m.to for m in mail.outbox] == [["new@example.cn"]]
    assert not digests(quiet).exclude(email_to="").exists()  # dropped, not retried
    assert digests(quiet).get().read_at is None  # the bell still holds it


# -- the bell page and the API -----------------------------------------------------------


def test_opening_the_digest_shows_its_items_with_links_and_reads_it_once(client, cast, morning):
    routine([cast.taiyuan], 1)
    routine([cast.taiyuan], 2)
    digest = digests(cast.taiyuan).get()
    first, second = digest.items.order_by("pk")
    client.force_login(cast.taiyuan)
    page = client.get(reverse("notifications")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    assert page.count('data-testid="digest-item"') == 2
    for item in (first, second):
        assert reverse("notification_read", args=[item.pk]) in page
    response = client.post(reverse("notification_read", args=[digest.pk]))
    assert response.url == f"{reverse('notifications')}#notification-{digest.pk}"
    assert unread_count(cast.taiyuan) == 0
    # A new item makes the digest unread again: still one message.
    routine([cast.taiyuan], 3)
    assert unread_count(cast.taiyuan) == 1
    # An item's link goes where the item points, and opens its digest.
    response = client.post(reverse("notification_read", args=[second.pk]))
    assert response.url == "/inspections/problems/?q=2"
    assert unread_count(cast.taiyuan) == 0
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.read_at is not None and first.read_at is None


def test_someone_elses_digest_or_item_is_a_404_and_stays_unread(client, cast, morning):
    routine([cast.xiaodian], 1)
    theirs = digests(cast.xiaodian).get()
    client.force_login(cast.pingcheng)
    for pk in (theirs.pk, theirs.items.get().pk):
        assert client.post(reverse("notification_read", args=[pk])).status_code == 404
        assert client.post(f"/api/v1/notifications/{pk}/read/").status_code == 404
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    # A number too large for the column is missing, not an error.
    assert client.post(f"/notifications/{10**30}/read/").status_code == 404


def test_a_user_without_the_bell_is_refused(client, cast, morning):
    routine([cast.outsider], 1)
    client.force_login(cast.outsider)
    digest = digests(cast.outsider).get()
    assert client.get(reverse("notifications")).status_code == 403
    assert client.post(reverse("notification_read", args=[digest.pk])).status_code == 403
    digest.refresh_from_db()
    assert digest.read_at is None


def test_the_api_lists_the_digest_once_with_its_items(client, cast, morning):
    routine([cast.xiaodian], 1)
    routine([cast.xiaodian], 2)
    notify(users=[cast.xiaodian], kind="major_hazard", title="重大隐患", key="m")
    client.force_login(cast.xiaodian)
    listed = client.get("/api/v1/notifications/", {"unread": "true"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["kind"] for r in rows] == ["major_hazard", "digest"]
    assert [i["link"] for i in rows[1]["items"]] == [
        "/inspections/problems/?q=1", "/inspections/problems/?q=2",
    ]  # fmt: skip
    assert rows[0]["items"] == []
    assert client.post(f"/api/v1/notifications/{rows[1]['id']}/read/").status_code == 200
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert unread_count(cast.xiaodian) == 0


# -- the demo: city staff after an hour of the clock -------------------------------------

# The demo's season, after every deadline (30 Nov, 10 Dec, 20 Dec): the most overdue work,
# the most messages. Seeded at 08:50; the clock runs at 09:00 and then every ten minutes
# (the beat runs it hourly; more runs can only add messages).
DEMO_START = dt.datetime(2025, 12, 22, 8, 50, tzinfo=SHANGHAI)


@pytest.fixture
def demo(regions):
    with time_machine.travel(DEMO_START, tick=False) as traveller:
        call_command("seed_demo", institutions=200, stdout=io.StringIO())
        yield traveller


def test_the_demos_city_staff_have_a_handful_of_unread_after_an_hour_of_the_clock(demo):
    for minutes in range(10, 71, 10):
        demo.move_to(DEMO_START + dt.timedelta(minutes=minutes))
        jobs.run_all(now=DEMO_START + dt.timedelta(minutes=minutes))
    staff = User.objects.filter(grants__role__in=["city_staff", "province_staff"]).distinct()
    assert staff.count() >= 3
    for user in staff:
        assert unread_count(user) <= 5, (user.username, unread_count(user))
    taiyuan = User.objects.get(username="city_taiyuan")
    # Not quiet by luck: the clock found late work, gathered into the day's one digest; one
    # by one, these alone would be more than a handful.
    gathered = Notification.objects.filter(user=taiyuan, digest__isnull=False).count()
    assert gathered > 5
    assert digests(taiyuan).count() == 1


# -- in a real browser -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_staff_open_the_digest_from_the_bell_and_follow_an_item(page, live_server, cast,
                                                                    places):  # fmt: skip
    from playwright.sync_api import expect

    from tests.accounts.test_browser import log_in

    for n, name in enumerate([places.xiaodian.name, places.yingze.name]):
        notify(users=[cast.taiyuan], kind="escalation", title=f"整改逾期：{name}",
               link=f"/institutions/?digest={n}", key=f"e{n}")  # fmt: skip
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, "taiyuan")
    expect(page.get_by_test_id("unread-count")).to_have_text("1")
    page.get_by_test_id("bell").click()
    items = page.get_by_test_id("digest-item")
    expect(items).to_have_count(2)
    items.filter(has_text=places.yingze.name).click()
    expect(page).to_have_url(f"{live_server.url}/institutions/?digest=1")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
