"""The on-site inspection: start, the phone form with autosave and photos, submit, amend."""

urlpatterns: list = []
