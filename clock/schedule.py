"""The beat's schedule, stored in the database (django-celery-beat's DatabaseScheduler).

One periodic task runs the clock every hour, the first time as soon as the beat starts. It
is created after every migrate, once: an operator who changes its interval or disables it
in the database keeps that change.
"""

from __future__ import annotations

from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

SCHEDULE_NAME = "专项行动定时任务：截止提醒、逾期标记、整改逾期上报、抽查数量预警"
TICK = "clock.tasks.tick"


def ensure_schedule(using: str = "default") -> PeriodicTask:
    existing = PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).first()
    if existing is not None:
        return existing
    hourly = (
        IntervalSchedule.objects.using(using)
        .filter(every=1, period=IntervalSchedule.HOURS)
        .order_by("pk")
        .first()
    ) or IntervalSchedule.objects.using(using).create(every=1, period=IntervalSchedule.HOURS)
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


def ensure_schedule_after_migrate(sender, using: str = "default", **kwargs) -> None:
    ensure_schedule(using)
