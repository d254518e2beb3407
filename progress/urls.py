from django.urls import path

from . import views

app_name = "progress"
urlpatterns = [
    path("", views.ProgressView.as_view(), name="region"),
    path("unscreened/", views.ScreeningListView.as_view(screened=False), name="unscreened"),
    path("screened/", views.ScreeningListView.as_view(screened=True), name="screened"),
    path(
        "unscreened/export/",
        views.ScreeningExportView.as_view(screened=False),
        name="unscreened_export",
    ),
    path(
        "screened/export/", views.ScreeningExportView.as_view(screened=True), name="screened_export"
    ),
    path("tables/<slug:table>/export/", views.TableExportView.as_view(), name="table_export"),
]
