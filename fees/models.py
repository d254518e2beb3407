"""Models of this app: fee records, the rule table, violations, refunds ([complaints-fees])."""
