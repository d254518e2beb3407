from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the system: health checks, backups, scale data and benchmarks."""

    name = "ops"
    verbose_name = "运维"

    def ready(self):
        from .text import install_on_char_fields

        # Every form and serializer CharField refuses control characters (ops/text.py).
        install_on_char_fields()
