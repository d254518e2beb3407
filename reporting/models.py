"""Models of this app: dashboards, ledgers, city summaries, public disclosure ([reporting])."""
