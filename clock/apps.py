from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClockConfig(AppConfig):
    name = "clock"
    verbose_name = "专项行动时钟"

    def ready(self):
        from .schedule import ensure_schedule_after_migrate

        # After every migrate (and every test-database flush) the beat's schedule row exists.
        post_migrate.connect(ensure_schedule_after_migrate, sender=self)
