from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "投诉举报"

    def ready(self):
        # The one import flow (tabular) serves complaint sheets by their kind's spec.
        from tabular.specs import register_import

        from . import imports

        register_import(imports.SPEC)

        # The public limits count clients by accounts.audit.client_ip: a TRUSTED_PROXIES entry
        # that is not an address or network stops the process here, not at the first request.
        from accounts.audit import trusted_networks

        trusted_networks()
