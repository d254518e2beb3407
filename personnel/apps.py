from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    name = "personnel"
    verbose_name = "从业人员"

    def ready(self):
        # The shared import pipeline (institutions/tabular/runs.py) looks importers up by
        # the run's kind; staff lists and check results join it here.
        from institutions.tabular import runs

        from .importers import IMPORT_KINDS

        runs.IMPORTERS.update(IMPORT_KINDS)
