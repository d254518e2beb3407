from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "报表与公开"

    def ready(self):
        from campaign.models import Phase
        from clock.selectors import PHASE_CHECKS
        from tabular.registry import register_ledger_lookup

        from .ledgers import ledger_by_key
        from .selectors_summary import summary_behind

        # The export machinery below runs the 台账 hub's ledgers without importing this app.
        register_ledger_lookup(ledger_by_key)
        # The clock's reminders and overdue flags for the city-summary phase ask this app.
        PHASE_CHECKS[Phase.Kind.CITY_SUMMARY] = summary_behind
