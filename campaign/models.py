"""Models of this app: campaigns, phases and deadlines, quotas, checklist templates, publicity ([inspections])."""
