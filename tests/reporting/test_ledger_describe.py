"""我的导出 says a run's filters in words, not as a query string."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.ledgers import ledger_by_key, region_names
from tabular.models import ExportRun

pytestmark = pytest.mark.django_db


def test_a_query_is_described_with_names_and_labels(regions):
    names = region_names(["region=140105&status=overdue", "region=", "x=1"])
    assert names == {"140105": "小店区"}
    problems = ledger_by_key("problems")
    text = problems.describe(
        "region=140105&status=overdue&deadline_from=2023-11-01&q=%E8%88%9E%E8%B9%88&format=csv",
        names,
    )
    assert text == "地区：小店区；整改期限：2023-11-01 至 …；状态：已逾期；关键词：舞蹈；格式：CSV"
    # Each ledger's own filters by their labels and choice names.
    fees = ledger_by_key("fees")
    assert fees.describe("rule=amount_over_limit", names) == "违反规则：单次收费金额超过规定"
    complaints = ledger_by_key("complaints").describe("category=fees&channel=hotline&overdue=1", {})
    assert complaints == "类别：收费、退费；来源渠道：12345 热线转办；逾期：已逾期"
    staff = ledger_by_key("staff").describe("post=teacher&checked=no&employment=current", {})
    assert staff == "在职情况：在职；岗位：教师；是否已查询：未查询"
    assert problems.describe("severity=major&department=fire", {}).startswith("严重程度：")
    institutions = ledger_by_key("institutions").describe("category=subject&risky=true", {})
    assert institutions == "类别：学科类；有一定危险性：是"
    # A sector given to a ledger without a sector filter is not hidden as if it applied.
    assert fees.describe("sector=sports", {}) == "sector：sports"
    # A name or value the ledger does not know is shown as given; an empty query says nothing.
    assert fees.describe("rule=nonsense&x=1", names) == "违反规则：nonsense；x：1"
    assert fees.describe("", names) == ""


def test_a_description_follows_the_language(regions):
    from django.utils import translation

    with translation.override("en"):
        text = ledger_by_key("problems").describe("region=140105&status=overdue&format=csv", {})
    assert text == "Region: 140105; Status: Overdue; Format: CSV"


def test_my_exports_page_describes_each_run(client, cast):
    ExportRun.objects.create(
        created_by=cast.xiaodian, ledger="institutions", query="region=140105&sector=sports",
        expires_at=timezone.now() + dt.timedelta(days=7),
    )  # fmt: skip
    client.force_login(cast.xiaodian)
    page = client.get(reverse("ledgers:export_runs")).content.decode()
    assert "地区：小店区；行业：体育" in page and "region=140105" not in page
    new = client.get(reverse("ledgers:export_new"), {"ledger": "fees", "region": "140105"})
    assert "地区：小店区" in new.content.decode()
