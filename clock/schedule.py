"""The beat's schedule, stored in the database (django-celery-beat's DatabaseScheduler).

One periodic task runs the clock every hour, the first time as soon as the beat starts;
another sweeps the notification e-mail outbox every minute, a third re-sends import and
export runs whose task was lost (every 5 minutes), a fourth refreshes the dashboards' kept
figures (every 5 minutes). Each is created after every
migrate, once: an operator who changes its interval or disables it
in the database keeps that change.
"""

from __future__ import annotations

from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

SCHEDULE_NAME = "专项行动定时任务：截止提醒、逾期标记、整改逾期上报、抽查数量预警"
TICK = "clock.tasks.tick"
OUTBOX_SWEEP_NAME = "通知邮件补发"
OUTBOX_SWEEP = "accounts.tasks.sweep_outbox"
RESUME_RUNS_NAME = "导入导出任务补发"
RESUME_RUNS = "institutions.tasks.resume_runs_task"
KEPT_REFRESH_NAME = "看板统计刷新"
KEPT_REFRESH = "clock.tasks.refresh_kept_figures"


def ensure_schedule(using: str = "default") -> PeriodicTask:
    existing = PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).first()
    if existing is not None:
        return existing
    hourly = _every(using, 1, IntervalSchedule.HOURS)
    task, _created = PeriodicTask.objects.using(using).get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": TICK,
            "interval": hourly,
            # A start time makes the beat run it as soon as it starts (then every hour),
            # rather than an hour after the row was written.
            "start_time": timezone.now(),
            "description": "clock: run_all every hour",
        },
    )
    return task


def _every(using: str, every: int, period: str) -> IntervalSchedule:
    return (
        IntervalSchedule.objects.using(using)
        .filter(every=every, period=period)
        .order_by("pk")
        .first()
    ) or IntervalSchedule.objects.using(using).create(every=every, period=period)


def _ensure(using: str, *, name: str, task: str, every: int, description: str) -> PeriodicTask:
    row, _created = PeriodicTask.objects.using(using).get_or_create(
        name=name,
        defaults={"task": task, "interval": _every(using, every, IntervalSchedule.MINUTES),
                  "description": description},
    )  # fmt: skip
    return row


def ensure_outbox_sweep(using: str = "default") -> PeriodicTask:
    """Every minute: notification e-mails still pending (accounts/outbox.py), e.g. written
    while Redis was down."""
    return _ensure(using, name=OUTBOX_SWEEP_NAME, task=OUTBOX_SWEEP, every=1,
                   description="accounts: notification e-mail outbox sweep")  # fmt: skip


def ensure_runs_resume(using: str = "default") -> PeriodicTask:
    """Every 5 minutes: import and export runs whose task the broker lost
    (tabular/resume.py)."""
    return _ensure(using, name=RESUME_RUNS_NAME, task=RESUME_RUNS, every=5,
                   description="institutions: re-send lost import/export run tasks")  # fmt: skip


def ensure_kept_refresh(using: str = "default") -> PeriodicTask:
    """Every 5 minutes: the dashboards' kept copies (progress, fees), before they age."""
    return _ensure(using, name=KEPT_REFRESH_NAME, task=KEPT_REFRESH, every=5,
                   description="clock: refresh the dashboards' kept figures")  # fmt: skip


def ensure_schedule_after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_schedule(using)
    ensure_outbox_sweep(using)
    ensure_runs_resume(using)
    ensure_kept_refresh(using)
