"""No page shows a shell command or a programmer's word to an official.

Every page of the URL walk is fetched, over the walk's richly linked 平城区 world, by each
demo role that may open it, and its visible text (text nodes, and the placeholders, titles,
labels and button values a reader sees) is searched for words that belong in a terminal or
a traceback: "manage.py", "--region", "None", "accounts.User"… The cast members who see
平城区 are scanned by the linked-records walk as it fetches each page
(tests/walk/test_pages_with_linked_records.py); here the rest: 小店区's and 太原市's, who
see those pages without 平城区's records, a vetting officer and a 大同 police officer.
"""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.walk.test_pages_with_linked_records import SEE_THE_WORLD, _linked_world
from tests.walk.test_url_walk import CAST, EXPECT
from tests.walk.visible_text import FOR_DEVELOPERS, developer_words

pytestmark = pytest.mark.django_db


def test_the_scan_tells_developer_words_from_ordinary_text():
    command = "<p>运行 python manage.py create_user --role county_officer</p>"
    assert developer_words(command) == ["--role", "manage.py", "python"]
    assert developer_words('<td>None</td><input placeholder="accounts.User 15">') == [
        "None", "accounts.User",
    ]  # fmt: skip
    ordinary = (
        "<p>2023-12-20 前报送 · 机构 No.3 · Nonexistent · 一——二 · 统一社会信用代码 91140105MA0KX</p>"
        '<script>if (x === null) {}</script><button value="x">提交</button>'
    )
    assert developer_words(ordinary) == []


def _readers(cast, places):
    """The roles the linked-records walk does not scan (SEE_THE_WORLD leaves them out), plus a
    vetting officer and a police officer."""
    extra = {
        "vetting": UserFactory(username="pc_vetting", grant=("vetting_officer", "140213")),
        "police": UserFactory(
            username="dt_police", grant=("department_user", "140200", "public_security")
        ),
    }
    return {m: getattr(cast, m) for m in CAST if m not in SEE_THE_WORLD} | extra


def test_no_page_shows_developer_words_to_any_role(client, cast, places):
    _linked_world(places)
    readers = _readers(cast, places)
    found = []
    for name in sorted(EXPECT):
        if name in FOR_DEVELOPERS or name.startswith("api:"):
            continue  # the API answers JSON, for programs
        make_kwargs, expected = EXPECT[name]
        members = [m for m in readers if expected.get(m, expected["province"]) == 200]
        if not members:
            continue
        url = reverse(name, kwargs=make_kwargs(places) if make_kwargs else None)
        for member in members:
            client.logout()
            client.force_login(readers[member])
            response = client.get(url)
            if response.status_code != 200 or getattr(response, "streaming", False):
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            words = developer_words(response.content.decode())
            if words:
                found.append(f"{name} as {member}: {', '.join(words)}")
    assert not found, "\n".join(found)
