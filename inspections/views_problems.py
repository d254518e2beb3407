"""The problem list, rectification (report / re-inspect), the rectification notice."""

urlpatterns: list = []
