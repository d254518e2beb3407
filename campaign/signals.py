"""What a campaign's settings tell the apps above it, which it must not import."""

from django.dispatch import Signal

# A campaign's fee rule table was saved (`campaign`, `actor`). fees re-checks the records it
# judges against the table and answers with its changes (an object with `describe()`), which
# the fee-rule page reports.
fee_rules_changed = Signal()
