from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Accounts from the web (账号管理): the pages where a province's or a city's admin opens,
    changes and switches off accounts and gives or takes away grants, and the account import
    (账号导入) through the one import flow. The rules and the writes live in accounts
    (delegation.py, services.py); this app sits above tabular, which accounts may not import."""

    name = "onboarding"
    verbose_name = "账号管理"

    def ready(self):
        # The one import flow (tabular) serves the account import by its kind's spec.
        from tabular.specs import register_import

        from . import imports

        register_import(imports.SPEC)
