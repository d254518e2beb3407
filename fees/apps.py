from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = "收费监管"

    def ready(self):
        # The shared import pipeline (institutions/tabular/runs.py) looks importers up by
        # the run's kind; fee lists join it here, as personnel's staff lists do.
        from institutions.tabular import runs

        runs.IMPORTERS["fees"] = "fees.importer.FeeImporter"
