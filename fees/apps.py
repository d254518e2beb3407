from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = "收费监管"

    def ready(self):
        # The one import flow (tabular) serves fee lists by their kind's spec.
        from tabular.specs import register_import

        from . import imports

        register_import(imports.SPEC)

        from campaign.signals import fee_rules_changed
        from institutions.signals import institutions_moved

        from . import changes, evaluation

        # The register and the campaign settings sit below fees and tell it by signal.
        institutions_moved.connect(changes.on_institutions_moved, dispatch_uid="fees.moved")
        fee_rules_changed.connect(evaluation.on_fee_rules_changed, dispatch_uid="fees.rules")
