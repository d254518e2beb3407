from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API's root: the router, the schema and its documentation page, API tokens."""

    name = "api"
    verbose_name = "API"

    def ready(self):
        # Registers the token scheme with drf-spectacular, so the schema documents it.
        from accounts.signals import credentials_withdrawn

        from . import (
            schema,  # noqa: F401
            services,
        )

        credentials_withdrawn.connect(
            lambda sender, user, actor, **kwargs: services.tokens_withdraw(user=user, actor=actor),
            dispatch_uid="api.tokens_withdraw",
            weak=False,
        )
