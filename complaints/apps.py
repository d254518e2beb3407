from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "投诉举报"

    def ready(self):
        # The shared import pipeline (institutions/tabular/runs.py) looks importers up by
        # the run's kind; complaint sheets join it here, as personnel's staff lists do.
        from institutions.tabular import runs

        from .importer import IMPORT_KINDS

        runs.IMPORTERS.update(IMPORT_KINDS)

        # The public limits count clients by accounts.audit.client_ip: a TRUSTED_PROXIES entry
        # that is not an address or network stops the process here, not at the first request.
        from accounts.audit import trusted_networks

        trusted_networks()
