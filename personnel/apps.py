from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "personnel"
    verbose_name = "从业人员"

    def ready(self):
        # The one import flow (tabular) serves staff lists and check results by their specs.
        from tabular.specs import register_import

        from . import imports

        register_import(imports.STAFF_SPEC)
        register_import(imports.RESULTS_SPEC)
