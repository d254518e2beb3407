from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API's root: the router, the schema and its documentation page, API tokens."""

    name = "api"
    verbose_name = "API"

    def ready(self):
        # Registers the token scheme with drf-spectacular, so the schema documents it.
        from . import schema  # noqa: F401
