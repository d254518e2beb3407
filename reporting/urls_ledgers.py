from django.urls import path

from . import views_ledgers as views

app_name = "ledgers"
urlpatterns = [
    path("", views.LedgerHubView.as_view(), name="index"),
    path("inspections/", views.InspectionLedgerView.as_view(), name="inspections"),
    path("rectification/", views.RectificationLedgerView.as_view(), name="rectification"),
    path("publicity/", views.PublicityLedgerView.as_view(), name="publicity"),
    path("enforcement/", views.EnforcementLedgerView.as_view(), name="enforcement"),
    path("exports/", views.ExportRunListView.as_view(), name="export_runs"),
    path("exports/new/", views.ExportRunNewView.as_view(), name="export_new"),
    path(
        "exports/<int:pk>/download/", views.ExportRunDownloadView.as_view(), name="export_download"
    ),
]
