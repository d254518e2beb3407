from django.urls import path

from . import views_ledgers as views

app_name = "ledgers"
urlpatterns = [
    path("", views.LedgerHubView.as_view(), name="index"),
    path("inspections/", views.InspectionLedgerView.as_view(), name="inspections"),
    path("publicity/", views.PublicityLedgerView.as_view(), name="publicity"),
]
