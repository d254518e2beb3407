"""The campaign's work: campaigns and checklists, rounds, inspections with their answers,
the problems they found and the rectification tasks that track them."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from campaign.models import ChecklistItem
from campaign.services import campaign_seed_2023
from inspections.models import Round

from .base import Run, copy_rows, execute, indexes_deferred, next_ids


def campaigns(run: Run) -> dict:
    """One campaign a province (as each province runs its own), with its phases, fee rules
    and the 79-item checklist, through the same seed the demo uses."""
    out = {}
    for province in run.plan.provinces:
        campaign = campaign_seed_2023(province_code=province.ljust(6, "0"), year=run.plan.year)[0]
        template = campaign.checklists.filter(is_active=True).order_by("-version").first()
        items = list(
            ChecklistItem.objects.filter(template=template)
            .order_by("order", "id")
            .values_list("pk", "section", "department", "severity", "answer_type", "applies_to")
        )
        out[province[:2]] = {"campaign": campaign, "template": template.pk, "items": items}
    run.counts["campaigns"] = len(out)
    return out


def rounds(run: Run, geo: dict, plans: dict) -> dict:
    """Each county's screening round, each city's spot-check round, each province's."""
    rows = []
    for code, _name in geo["counties"]:
        rows.append(Round(campaign=plans[code[:2]]["campaign"], level="county", region_id=code))
    for code in geo["cities"]:
        rows.append(Round(campaign=plans[code[:2]]["campaign"], level="city", region_id=code))
    for province, plan in plans.items():
        rows.append(
            Round(campaign=plan["campaign"], level="province", region_id=province.ljust(6, "0"))
        )
    made = Round.objects.bulk_create(rows, batch_size=2000)
    run.counts["rounds"] = len(made)
    return {(r.level, r.region_id): r.pk for r in made}


def inspections(run: Run, made: list, rounds_by: dict, plans: dict, users: dict) -> list:
    """About nine in ten operating institutions screened by their county (submitted over
    the campaign so far), the rest of the count re-inspections and drafts of the same ones.

    Returns (id, institution id, county, status, at) of every inspection."""
    rng, plan = run.rng, run.plan
    start = timezone.make_aware(dt.datetime(plan.year, 11, 1, 8))
    days = max(1, min(56, (timezone.localdate() - start.date()).days))
    operating = [i for i in made if i[5] == "operating"]
    screened = [i for i in operating if rng.random() < 0.9] or operating[:1]
    rng.shuffle(screened)
    n = plan.inspections
    ids = next_ids("inspections_inspection", n)
    out = []

    def rows():
        for index, pk in enumerate(ids):
            first = index < len(screened)
            inst = screened[index] if first else rng.choice(screened)
            institution, county = inst[0], inst[1]
            submitted = first or rng.random() < 0.8
            # Districts get on faster than rural counties: earlier days weigh more.
            at = start + dt.timedelta(
                days=min(days - 1, int(rng.triangular(0, days, 0))), minutes=rng.randrange(600)
            )
            status = "submitted" if submitted else "draft"
            officer = users[f"scale-county-{county}"]
            out.append((pk, institution, county, status, at, inst))
            yield (
                pk, rounds_by[("county", county)], institution,
                plans[county[:2]]["template"], rng.random() < 0.03, rng.random() < 0.1,
                '["education"]', status, "", "", at, at if submitted else None, officer,
                at, officer, 1,
            )  # fmt: skip

    run.counts["inspections"] = copy_rows(
        "inspections_inspection",
        ["id", "round_id", "institution_id", "checklist_id", "has_dormitory", "has_kitchen",
         "departments", "status", "result", "summary", "started_at", "submitted_at",
         "created_by_id", "updated_at", "updated_by_id", "version"],
        rows(),
    )  # fmt: skip
    copy_rows(
        "inspections_inspection_inspectors",
        ["inspection_id", "user_id"],
        ((pk, users[f"scale-county-{county}"]) for pk, _i, county, *_r in out),
    )
    return out


def _applies(item, inst) -> bool:
    applies_to = item[5]
    category, risky = inst[2], inst[4]
    return (
        applies_to == "all"
        or (applies_to == "risky" and risky)
        or (applies_to == "subject" and category == "subject")
        or (applies_to == "non_subject" and category != "subject")
    )


def findings(run: Run, done: list, plans: dict, users: dict) -> None:
    """Problems on about one submitted inspection in six: one to three non-compliant items,
    grouped into a task per department, in every state (open, reported, closed, overdue).

    Then the answers: every applicable item of every submitted inspection (and about half
    of each draft) when plan.answers == "all", else only the problems' own answers."""
    rng = run.rng
    today = timezone.localdate()
    plan_rows, tasks, results = [], [], {}
    for pk, institution, county, status, at, inst in done:
        if status != "submitted":
            continue
        if rng.random() >= 0.16:
            results[pk] = "compliant"
            continue
        results[pk] = "rectify"
        items = [
            i for i in plans[county[:2]]["items"] if i[4] == "compliance" and _applies(i, inst)
        ]
        by_department: dict[str, list] = {}
        # Major hazards are rare (about one problem in fifty): each is a must-check
        # institution for the city and province draws.
        weights = [0.05 if item[3] == "major" else 1.0 for item in items]
        picked = {}
        for item in rng.choices(items, weights, k=rng.choice([1, 1, 1, 2, 2, 3])):
            picked[item[0]] = item
        for item in picked.values():
            by_department.setdefault(item[2], []).append(item)
        for department, found in by_department.items():
            deadline = (at + dt.timedelta(days=rng.choice([7, 15, 30]))).date()
            tasks.append([pk, institution, department, deadline, at, None])
            for item in found:
                plan_rows.append((len(tasks) - 1, pk, item, at, deadline, county))
    task_ids = next_ids("inspections_rectificationtask", len(tasks))
    finding_rows = []
    open_by_task: dict[int, bool] = {}
    for index, pk, item, at, deadline, county in plan_rows:
        late = deadline < today
        status = rng.choices(["open", "reported", "closed"], [3, 2, 5] if late else [5, 3, 2])[0]
        reported = at + dt.timedelta(days=rng.randrange(1, 6)) if status != "open" else None
        verified = reported + dt.timedelta(days=rng.randrange(1, 4)) if status == "closed" else None
        verifier = users[f"scale-county-{county}"] if verified else None
        open_by_task[index] = open_by_task.get(index, False) or status != "closed"
        finding_rows.append(
            (task_ids[index], pk, item[0], item[1], item[3], "检查发现问题", "按要求整改",
             status, reported, "已整改" if reported else "", verified, verifier,
             "复查合格" if verified else "", 0)
        )  # fmt: skip
    for index, task in enumerate(tasks):
        if not open_by_task.get(index, True):
            task[5] = task[4] + dt.timedelta(days=7)

    with run.step("rectification tasks"):
        run.counts["rectification tasks"] = copy_rows(
            "inspections_rectificationtask",
            ["id", "inspection_id", "institution_id", "department", "deadline", "created_at",
             "closed_at"],
            ((tid, *task) for tid, task in zip(task_ids, tasks, strict=True)),
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS scale_result")  # a second run, same transaction
            cursor.execute("CREATE TEMP TABLE scale_result (id bigint, result text) ON COMMIT DROP")
            with cursor.copy("COPY scale_result FROM STDIN") as copy:
                for row in results.items():
                    copy.write_row(row)
            cursor.execute(
                "UPDATE inspections_inspection i SET result = r.result, rectify_deadline = "
                "CASE WHEN r.result = 'rectify' THEN (i.submitted_at + interval '15 days')::date "
                "END FROM scale_result r WHERE r.id = i.id"
            )
    with run.step("answers"), indexes_deferred("inspections_answer"):
        run.counts["answers"] = _answers(run, finding_rows)
    with run.step("findings"):
        run.counts["findings"] = execute(
            "INSERT INTO inspections_finding (task_id, answer_id, item_id, section, severity, "
            "description, requirement, status, reported_at, report_note, verified_at, "
            "verified_by_id, verify_note, reopened_count, deadline_reason) "
            "SELECT f.task_id, a.id, f.item_id, f.section, f.severity, f.description, "
            "f.requirement, f.status, f.reported_at, f.report_note, f.verified_at, "
            "f.verified_by_id, f.verify_note, f.reopened_count, '' "
            "FROM scale_finding f JOIN inspections_answer a "
            "ON a.inspection_id = f.inspection_id AND a.item_id = f.item_id ORDER BY f.ord"
        )


def _answers(run: Run, finding_rows: list) -> int:
    """The answers, written by PostgreSQL itself (INSERT … SELECT over the inspections and
    their checklist) rather than sent row by row: 79 a form is ~40M rows nationally."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS scale_finding")
        cursor.execute(
            "CREATE TEMP TABLE scale_finding (ord serial, task_id bigint, inspection_id bigint, "
            "item_id bigint, section text, severity text, description text, requirement text, "
            "status text, reported_at timestamptz, report_note text, verified_at timestamptz, "
            "verified_by_id bigint, verify_note text, reopened_count int) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY scale_finding (task_id, inspection_id, item_id, section, severity, "
            "description, requirement, status, reported_at, report_note, verified_at, "
            "verified_by_id, verify_note, reopened_count) FROM STDIN"
        ) as copy:
            for row in finding_rows:
                copy.write_row(row)
        cursor.execute("CREATE INDEX ON scale_finding (inspection_id, item_id)")
        cursor.execute("ANALYZE scale_finding")
        if run.plan.answers == "all":
            # Which items apply follows the institution (risky, subject / non-subject) and
            # the site (dormitory, kitchen); the rest are answered 不适用, as the form does.
            cursor.execute(
                """
                INSERT INTO inspections_answer
                    (inspection_id, item_id, value, number, text, note, answered_at)
                SELECT i.id, it.id,
                    CASE WHEN it.answer_type <> 'compliance' THEN ''
                         WHEN f.item_id IS NOT NULL THEN 'non_compliant'
                         WHEN it.applies_to = 'all'
                           OR (it.applies_to = 'risky' AND inst.is_risky)
                           OR (it.applies_to = 'subject' AND inst.category = 'subject')
                           OR (it.applies_to = 'non_subject' AND inst.category <> 'subject')
                           OR (it.applies_to = 'dormitory' AND i.has_dormitory)
                           OR (it.applies_to = 'kitchen' AND i.has_kitchen)
                         THEN 'compliant' ELSE 'na' END,
                    CASE WHEN it.answer_type = 'number' THEN (3 + i.id %% 17)::numeric END,
                    '', CASE WHEN f.item_id IS NOT NULL THEN f.description ELSE '' END,
                    coalesce(i.submitted_at, i.updated_at)
                FROM inspections_inspection i
                JOIN institutions_institution inst ON inst.id = i.institution_id
                JOIN campaign_checklistitem it ON it.template_id = i.checklist_id
                LEFT JOIN scale_finding f ON f.inspection_id = i.id AND f.item_id = it.id
                WHERE i.status = 'submitted' OR it."order" %% 2 = 0
                ORDER BY i.id, it."order"
                """,
                [],
            )
        else:
            cursor.execute(
                "INSERT INTO inspections_answer (inspection_id, item_id, value, text, note, "
                "answered_at) SELECT f.inspection_id, f.item_id, 'non_compliant', '', "
                "f.description, i.submitted_at FROM scale_finding f "
                "JOIN inspections_inspection i ON i.id = f.inspection_id ORDER BY f.ord"
            )
        return cursor.rowcount
