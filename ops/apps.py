from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the system: health checks, backups, scale data and benchmarks."""

    name = "ops"
    verbose_name = "运维"
