"""Fee supervision services: charges checked against the rule table, refunds, the task states,
re-evaluation after a rule change, and the figures for the dashboards."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.scope import Scope
from campaign.models import FeeRule
from campaign.services import campaign_seed_2023
from fees import services
from fees.evaluation import fee_records_reevaluate
from fees.models import FeeRecord, FeeViolation, Refund
from fees.selectors import fee_figures
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

TERM = {"period_from": dt.date(2023, 9, 1), "period_to": dt.date(2023, 11, 30)}


@pytest.fixture
def campaign(regions):
    return campaign_seed_2023(province_code="140000")[0]


def scope_of(user):
    return Scope.for_user(user)


def enter(user, institution, **values):
    data = {
        "amount": Decimal("4000.00"),
        "class_hours": 40,
        "charged_on": dt.date(2023, 9, 1),
        "supervised": True,
        "contract_number": "",
        **TERM,
        **values,
    }
    record, _changes = services.fee_record_create(
        institution=institution, actor=user, scope=scope_of(user), **data
    )
    return record


def rules_of(record):
    return sorted(record.violations.exclude(status="withdrawn").values_list("rule", flat=True))


# -- charges and the rules -----------------------------------------------------------------


def test_a_compliant_charge_is_checked_and_has_no_violation(cast, places, campaign):
    record = enter(cast.xiaodian, places.xiaodian, amount=Decimal("5000.00"), class_hours=60)
    assert record.checked_at is not None
    assert rules_of(record) == []
    assert record.history.count() == 1


def test_a_charge_over_every_limit_names_each_rule_it_broke(cast, places, campaign):
    record = enter(
        cast.xiaodian,
        places.xiaodian,
        amount=Decimal("6100.00"),
        class_hours=61,
        period_to=dt.date(2023, 12, 1),
        supervised=False,
        contract_number="HT-1",
    )
    assert rules_of(record) == [
        "amount_over_limit",
        "hours_over_limit",
        "off_platform",
        "period_over_limit",
    ]
    amount = record.violations.get(rule="amount_over_limit")
    assert (amount.limit, amount.actual, amount.excess) == (
        "5000.00",
        "6100.00",
        Decimal("1100.00"),
    )
    assert record.violations.get(rule="hours_over_limit").excess == Decimal("100.00")
    assert amount.status == "open"
    assert amount.deadline == timezone.localdate() + dt.timedelta(days=30)
    assert amount.history.count() == 1


def test_subject_training_has_no_amount_limit_but_the_same_period_cap(cast, regions, campaign):
    subject = InstitutionFactory(category="subject", sector="")
    record = enter(
        cast.xiaodian, subject, amount=Decimal("9000.00"), period_to=dt.date(2023, 12, 1)
    )
    assert rules_of(record) == ["period_over_limit"]


def test_without_a_campaign_a_charge_stays_unchecked(cast, places):
    record = enter(cast.xiaodian, places.xiaodian, amount=Decimal("9000.00"))
    assert record.checked_at is None
    assert rules_of(record) == []


def test_the_same_charge_cannot_be_entered_twice(cast, places, campaign):
    enter(cast.xiaodian, places.xiaodian, contract_number="HT-9")
    with pytest.raises(ValidationError) as info:
        enter(cast.xiaodian, places.xiaodian, contract_number="HT-9")
    assert "已有同一笔收费记录" in str(info.value)
    assert FeeRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": Decimal("0")}, "amount", "金额应大于 0"),
        ({"amount": Decimal("-5")}, "amount", "金额应大于 0"),
        ({"amount": Decimal("1.005")}, "amount", "金额最多两位小数"),
        ({"period_to": dt.date(2023, 8, 31)}, "period_to", "收费截止日期早于起始日期"),
        ({"charged_on": dt.date(2999, 1, 1)}, "charged_on", "收费日期不能晚于今天"),
    ],
)
def test_bad_charges_are_refused_in_chinese_and_nothing_is_written(
    cast, places, campaign, values, field, message
):
    with pytest.raises(ValidationError) as info:
        enter(cast.xiaodian, places.xiaodian, **values)
    assert info.value.message_dict[field] == [message]
    assert FeeRecord.objects.count() == 0
    assert FeeViolation.objects.count() == 0


def test_a_charge_outside_the_scope_or_without_the_right_is_refused(cast, places, campaign):
    with pytest.raises(PermissionDenied):
        enter(cast.xiaodian, places.pingcheng)
    with pytest.raises(PermissionDenied):
        enter(cast.taiyuan, places.xiaodian)  # city staff read fees, they do not keep them
    assert FeeRecord.objects.count() == 0


# -- refunds and the task's states ---------------------------------------------------------


@pytest.fixture
def over(cast, places, campaign):
    """A 6,000-yuan non-subject charge: 1,000 over the one-charge limit."""
    return enter(cast.xiaodian, places.xiaodian, amount=Decimal("6000.00"), contract_number="HT-6")


def refund(user, record, amount, **values):
    data = {"refunded_on": dt.date(2023, 10, 1), "payee": "学员家长", "note": "", **values}
    return services.refund_record(
        record=record, actor=user, scope=scope_of(user), amount=Decimal(amount), **data
    )


def test_refunds_that_cover_the_excess_close_the_violation(cast, over):
    violation = over.violations.get()
    _r, closed = refund(cast.xiaodian, over, "400.00")
    violation.refresh_from_db()
    assert closed == [] and violation.status == "open"
    _r, closed = refund(cast.xiaodian, over, "600.00", payee="王某某（家长）")
    violation.refresh_from_db()
    assert closed == ["amount_over_limit"]
    assert (violation.status, violation.closure) == ("closed", "refunded")
    assert violation.closed_by == cast.xiaodian
    assert "1000.00" in violation.close_note
    assert services.refunded_total(over) == Decimal("1000.00")


@pytest.mark.parametrize(
    ("amount", "values", "field", "message"),
    [
        ("0", {}, "amount", "退费金额应大于 0"),
        ("6000.01", {}, "amount", "累计退费 6000.01 元将超过收费金额 6000.00 元"),
        ("10", {"refunded_on": dt.date(2999, 1, 1)}, "refunded_on", "退费日期不能晚于今天"),
        ("10", {"refunded_on": dt.date(2023, 8, 1)}, "refunded_on", "退费日期不能早于收费日期"),
        ("10", {"payee": "  "}, "payee", "请填写退给谁（学员或家长）"),
    ],
)
def test_bad_refunds_are_refused_and_nothing_is_written(cast, over, amount, values, field, message):
    with pytest.raises(ValidationError) as info:
        refund(cast.xiaodian, over, amount, **values)
    assert info.value.message_dict[field] == [message]
    assert Refund.objects.count() == 0
    assert over.violations.get().status == "open"


def test_refunds_outside_the_scope_are_refused(cast, places, campaign, over):
    with pytest.raises(PermissionDenied):
        refund(cast.pingcheng, over, "10.00")
    with pytest.raises(PermissionDenied):
        refund(cast.province, over, "10.00")
    assert Refund.objects.count() == 0


def test_report_then_proven_compliance_closes_with_the_note(cast, places, campaign):
    record = enter(cast.xiaodian, places.xiaodian, supervised=False)
    violation = record.violations.get(rule="off_platform")
    scope = scope_of(cast.xiaodian)
    with pytest.raises(ValidationError):
        services.fee_violation_close(
            violation=violation, actor=cast.xiaodian, scope=scope, note=" "
        )
    services.fee_violation_report(
        violation=violation, actor=cast.xiaodian, scope=scope, note="已转入监管账户"
    )
    assert violation.status == "reported"
    services.fee_violation_close(
        violation=violation, actor=cast.xiaodian, scope=scope, note="银行回单：已存入监管账户"
    )
    violation.refresh_from_db()
    assert (violation.status, violation.closure) == ("closed", "compliance")
    with pytest.raises(ValidationError) as info:
        services.fee_violation_report(
            violation=violation, actor=cast.xiaodian, scope=scope, note="x"
        )
    assert info.value.messages == ["该违规已销号"]


def test_a_closed_violation_can_be_reopened_with_a_new_deadline(cast, places, campaign):
    record = enter(cast.xiaodian, places.xiaodian, supervised=False)
    violation = record.violations.get()
    scope = scope_of(cast.xiaodian)
    services.fee_violation_close(violation=violation, actor=cast.xiaodian, scope=scope, note="凭证")
    with pytest.raises(ValidationError) as info:
        services.fee_violation_reopen(
            violation=violation, actor=cast.xiaodian, scope=scope, note="", deadline=None
        )
    assert info.value.message_dict == {
        "note": ["退回时请写明未整改到位的情况"],
        "deadline": ["退回整改时请填写新的整改期限"],
    }
    later = timezone.localdate() + dt.timedelta(days=10)
    services.fee_violation_reopen(
        violation=violation, actor=cast.xiaodian, scope=scope, note="凭证不实", deadline=later
    )
    violation.refresh_from_db()
    assert (violation.status, violation.reopened_count, violation.deadline) == ("open", 1, later)
    assert violation.closed_at is None


# -- a rule change -------------------------------------------------------------------------


def test_a_rule_change_re_evaluates_open_records_and_says_what_changed(cast, places, campaign):
    ok = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"), contract_number="A")
    over = enter(cast.xiaodian, places.xiaodian, amount=Decimal("5500.00"), contract_number="B")
    settled = enter(cast.xiaodian, places.xiaodian, amount=Decimal("5800.00"), contract_number="C")
    refund(cast.xiaodian, settled, "800.00")
    assert settled.violations.get().status == "closed"

    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("4000.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.found == [(ok.pk, "amount_over_limit")]
    assert changes.changed == [(over.pk, "amount_over_limit")]
    assert over.violations.get().excess == Decimal("1500.00")
    # A settled charge keeps its decision.
    assert settled.violations.get().excess == Decimal("800.00")
    assert "新发现违规 1 条" in changes.describe()

    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("6000.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert sorted(changes.withdrawn) == sorted(
        [(ok.pk, "amount_over_limit"), (over.pk, "amount_over_limit")]
    )
    assert over.violations.get().status == "withdrawn"
    assert "不再违规（撤销） 2 条" in changes.describe()

    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("5000.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.restored == [(over.pk, "amount_over_limit")]
    assert over.violations.get().status == "open"


def test_re_evaluating_an_unchanged_table_changes_nothing(cast, places, campaign):
    enter(cast.xiaodian, places.xiaodian, amount=Decimal("5500.00"))
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert not changes.any
    assert changes.checked == 1
    assert "违规情况没有变化" in changes.describe()


def test_a_lower_limit_closes_a_violation_the_refunds_now_cover(cast, places, campaign):
    over = enter(cast.xiaodian, places.xiaodian, amount=Decimal("6000.00"))
    refund(cast.xiaodian, over, "500.00")
    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("5500.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.closed == [(over.pk, "amount_over_limit")]


# -- figures -------------------------------------------------------------------------------


def test_figures_count_charges_violations_by_rule_excess_and_refunds(cast, places, campaign):
    enter(cast.xiaodian, places.xiaodian, amount=Decimal("4000.00"), contract_number="1")
    over = enter(
        cast.xiaodian, places.xiaodian, amount=Decimal("6100.00"), class_hours=61,
        contract_number="2",
    )  # fmt: skip
    enter(cast.pingcheng, places.pingcheng, amount=Decimal("5000.01"), contract_number="3")
    refund(cast.xiaodian, over, "300.00")

    province = fee_figures(scope_of(cast.province), "14")
    assert province["charges"] == province["checked"] == 3
    assert province["violations"] == 3
    assert province["by_rule"] == {
        "period_over_limit": 0,
        "hours_over_limit": 1,
        "amount_over_limit": 2,
        "off_platform": 0,
    }
    # 6,100: 1,100 over the amount, 100 over the hours → counted once, at 1,100.
    assert province["over_limit_amount"] == Decimal("1100.01")
    assert province["refunded_amount"] == Decimal("300.00")

    taiyuan = fee_figures(scope_of(cast.province), "1401")
    assert (taiyuan["charges"], taiyuan["violations"]) == (2, 2)
    # The scope still applies: 太原市 staff asking for the province see only 太原市.
    assert fee_figures(scope_of(cast.taiyuan), "14") == taiyuan
    assert fee_figures(scope_of(cast.pingcheng), "1401")["charges"] == 0
    with pytest.raises(PermissionDenied):
        fee_figures(scope_of(cast.auditor), "14")


def test_the_reevaluate_command_reports_what_changed(cast, places, campaign, capsys):
    from django.core.management import CommandError, call_command

    enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"))
    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("4000.00")
    )
    call_command("reevaluate_fees", "--as", "admin")
    assert "新发现违规 1 条（单次收费金额超过规定 1）" in capsys.readouterr().out
    with pytest.raises(CommandError, match="找不到专项行动"):
        call_command("reevaluate_fees", "--campaign", "99999", "--as", "admin")


def test_saving_the_fee_rule_page_re_checks_open_records_at_once(client, cast, places, campaign):
    ok = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"), contract_number="R1")
    assert not ok.violations.exists()
    client.force_login(cast.admin)
    response = client.post(reverse("campaign:fee_rules", args=[campaign.pk]), {
        "subject_max_months": "3", "subject_max_hours": "60", "subject_max_amount": "",
        "non_subject_max_months": "3", "non_subject_max_hours": "60", "non_subject_max_amount": "4000",
    }, follow=True)  # fmt: skip
    assert ok.violations.get().rule == "amount_over_limit"
    assert "新发现违规" in response.content.decode()


# -- re-checks of settled charges, stale copies, keys to the fen, the edited campaign ---------


def test_a_closed_violation_leaves_the_charges_other_rules_to_the_re_check(cast, places, campaign):
    record = enter(
        cast.xiaodian, places.xiaodian, amount=Decimal("6000.00"), supervised=False,
        contract_number="TWO",
    )  # fmt: skip
    assert rules_of(record) == ["amount_over_limit", "off_platform"]
    services.fee_violation_close(
        violation=record.violations.get(rule="off_platform"), actor=cast.xiaodian,
        scope=scope_of(cast.xiaodian), note="银行回单：已存入监管账户",
    )  # fmt: skip

    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("5500.00"), max_hours=30
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.changed == [(record.pk, "amount_over_limit")]
    assert changes.found == [(record.pk, "hours_over_limit")]
    assert record.violations.get(rule="amount_over_limit").excess == Decimal("500.00")
    assert record.violations.get(rule="hours_over_limit").excess == Decimal("1500.00")

    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("7000.00"), max_hours=60
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert sorted(changes.withdrawn) == [
        (record.pk, "amount_over_limit"),
        (record.pk, "hours_over_limit"),
    ]
    # The settled decision stands.
    off = record.violations.get(rule="off_platform")
    assert (off.status, off.closure, off.excess) == ("closed", "compliance", Decimal("6000.00"))


def test_a_violation_a_re_check_finds_is_closed_at_once_when_refunds_cover_it(
    cast, places, campaign
):
    record = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"), contract_number="P")
    refund(cast.xiaodian, record, "600.00")
    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("4000.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.found == [(record.pk, "amount_over_limit")]
    assert changes.closed == [(record.pk, "amount_over_limit")]
    violation = record.violations.get()
    assert (violation.status, violation.closure) == ("closed", "refunded")
    assert violation.excess == Decimal("500.00")


def test_a_stale_copy_cannot_undo_the_closure_a_refund_made(cast, over):
    scope = scope_of(cast.xiaodian)
    # The page read the violation while it was open; a refund closes it meanwhile.
    stale, stale_too, stale_three = (over.violations.get() for _ in range(3))
    refund(cast.xiaodian, over, "1000.00")

    with pytest.raises(ValidationError) as info:
        services.fee_violation_report(
            violation=stale, actor=cast.xiaodian, scope=scope, note="已整改"
        )
    assert info.value.messages == ["该违规已销号"]
    with pytest.raises(ValidationError):
        services.fee_violation_close(
            violation=stale_too, actor=cast.xiaodian, scope=scope, note="凭证"
        )
    stored = FeeViolation.objects.get(pk=stale.pk)
    assert (stored.status, stored.closure, stored.report_note) == ("closed", "refunded", "")
    assert stored.history.count() == 2

    # Sending it back decides on the stored state (closed), not on the copy (open).
    later = timezone.localdate() + dt.timedelta(days=10)
    services.fee_violation_reopen(
        violation=stale_three, actor=cast.xiaodian, scope=scope, note="退费凭证不实",
        deadline=later,
    )  # fmt: skip
    stored.refresh_from_db()
    assert (stored.status, stored.reopened_count, stored.deadline) == ("open", 1, later)


def test_an_amount_without_fen_is_the_same_charge_as_with_them(cast, places, campaign):
    facts = {"contract_number": "", "student": "学员A", "course": "舞蹈", **TERM,
             "charged_on": dt.date(2023, 9, 1)}  # fmt: skip
    key = services.natural_key(amount=Decimal("5000.00"), **facts)
    assert "|5000.00|" in key
    for same in ("5000", "5000.0", "5E+3"):
        assert services.natural_key(amount=Decimal(same), **facts) == key

    record = enter(
        cast.xiaodian, places.xiaodian, amount=Decimal("5000"), student="学员A", course="舞蹈"
    )
    assert record.natural_key == key and record.amount == Decimal("5000.00")
    with pytest.raises(ValidationError) as info:
        enter(
            cast.xiaodian, places.xiaodian, amount=Decimal("5000.00"), student="学员A",
            course="舞蹈",
        )  # fmt: skip
    assert "已有同一笔收费记录" in str(info.value)
    assert FeeRecord.objects.count() == 1


def test_the_migration_rewrites_old_keys_to_the_fen_unless_taken(cast, places, campaign):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("fees.migrations.0002_natural_key_to_the_fen")
    typed = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4000"), student="甲")
    doubled = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4100"), student="乙")
    double = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4100"), student="乙",
                   charged_on=dt.date(2023, 9, 2))  # fmt: skip
    good = {typed.pk: typed.natural_key, doubled.pk: doubled.natural_key}
    old = {pk: key.replace(".00|", "|") for pk, key in good.items()}
    for pk, key in old.items():
        FeeRecord.objects.filter(pk=pk).update(natural_key=key)
    # The row that was imported again next to its hand-entered copy has the new key already.
    FeeRecord.objects.filter(pk=double.pk).update(
        natural_key=good[doubled.pk], charged_on=dt.date(2023, 9, 1)
    )

    migration.forwards(apps, None)
    keys = dict(FeeRecord.objects.values_list("pk", "natural_key"))
    assert keys[typed.pk] == good[typed.pk]
    assert keys[doubled.pk] == old[doubled.pk]  # left for a person to sort out
    assert keys[double.pk] == good[doubled.pk]


def test_re_checking_a_campaign_uses_its_own_rules(cast, places, campaign):
    record = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"), contract_number="K")
    newer = campaign_seed_2023(province_code="140000", year=2024)[0]
    assert newer.is_active and newer.starts_on > campaign.starts_on
    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("4000.00")
    )
    changes = fee_records_reevaluate(campaign=campaign, actor=cast.admin)
    assert changes.found == [(record.pk, "amount_over_limit")]
    assert record.violations.get().limit == "4000.00"
    # Re-checking the newer campaign (its limit still 5,000) withdraws it again.
    changes = fee_records_reevaluate(campaign=newer, actor=cast.admin)
    assert changes.withdrawn == [(record.pk, "amount_over_limit")]


def test_the_command_re_checks_with_each_provinces_current_campaign(cast, places, campaign, capsys):
    from django.core.management import call_command

    record = enter(cast.xiaodian, places.xiaodian, amount=Decimal("4500.00"), contract_number="M")
    newer = campaign_seed_2023(province_code="140000", year=2024)[0]
    FeeRule.objects.filter(campaign=campaign, category="non_subject").update(
        max_amount=Decimal("4000.00")
    )
    call_command("reevaluate_fees", "--as", "admin")
    out = capsys.readouterr().out
    assert "违规情况没有变化" in out and out.count("共核查") == 1
    assert not record.violations.exists()
    call_command("reevaluate_fees", "--campaign", str(campaign.pk), "--as", "admin")
    assert "新发现违规 1 条" in capsys.readouterr().out
    assert newer.pk != campaign.pk
