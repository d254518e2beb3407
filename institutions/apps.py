from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = "校外培训机构"

    def ready(self):
        # The one import flow (tabular) serves the register's import by its kind's spec.
        from tabular.specs import register_import

        from . import imports

        register_import(imports.SPEC)
