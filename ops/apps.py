from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the system: health checks, backups, the demo's data, scale data and benchmarks."""

    name = "ops"
    verbose_name = "运维"
