from django.urls import path

from tabular.views import ImportSampleView, ImportView, import_urls

from . import views, views_checks

RESULTS = ("check_results",)

app_name = "personnel"
urlpatterns = [
    path("", views.StaffListView.as_view(), name="list"),
    path("new/", views.StaffCreateView.as_view(), name="create"),
    path("<int:pk>/", views.StaffDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.StaffUpdateView.as_view(), name="edit"),
    path("<int:pk>/reveal/", views.StaffRevealView.as_view(), name="reveal"),
    path("export/", views.LedgerExportView.as_view(), name="export"),
    *import_urls("staff", "check_results"),
    path("checks/", views_checks.BatchListView.as_view(), name="batches"),
    path("checks/new/", views_checks.BatchCreateView.as_view(), name="batch_create"),
    path("checks/<int:pk>/", views_checks.BatchDetailView.as_view(), name="batch"),
    path("checks/<int:pk>/export/", views_checks.BatchExportView.as_view(), name="batch_export"),
    path(
        "checks/<int:pk>/export-full/",
        views_checks.BatchFullExportView.as_view(),
        name="batch_export_full",
    ),
    path("checks/results/import/", ImportView.as_view(kinds=RESULTS), name="result_import"),
    path(
        "checks/results/template/", ImportSampleView.as_view(kinds=RESULTS), name="result_template"
    ),
    path("checks/requests/<int:pk>/result/", views_checks.ResultView.as_view(), name="result"),
    path("dismissals/", views_checks.DismissalListView.as_view(), name="dismissals"),
    path("dismissals/<int:pk>/", views_checks.DismissalView.as_view(), name="dismissal"),
    path(
        "dismissals/<int:pk>/close/",
        views_checks.DismissalCloseView.as_view(),
        name="dismissal_close",
    ),
    path(
        "dismissals/<int:pk>/evidence/",
        views_checks.DismissalEvidenceView.as_view(),
        name="dismissal_evidence",
    ),
]
