from django.urls import path

from . import views, views_checks

app_name = "personnel"
urlpatterns = [
    path("", views.StaffListView.as_view(), name="list"),
    path("new/", views.StaffCreateView.as_view(), name="create"),
    path("<int:pk>/", views.StaffDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.StaffUpdateView.as_view(), name="edit"),
    path("<int:pk>/reveal/", views.StaffRevealView.as_view(), name="reveal"),
    path("export/", views.LedgerExportView.as_view(), name="export"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/template/", views.ImportTemplateView.as_view(), name="import_template"),
    path("import/<int:pk>/", views.ImportRunView.as_view(), name="import_run"),
    path(
        "import/<int:pk>/confirm/", views.ImportRunConfirmView.as_view(), name="import_run_confirm"
    ),
    path("import/<int:pk>/errors/", views.ImportRunErrorsView.as_view(), name="import_run_errors"),
    path("checks/", views_checks.BatchListView.as_view(), name="batches"),
    path("checks/new/", views_checks.BatchCreateView.as_view(), name="batch_create"),
    path("checks/<int:pk>/", views_checks.BatchDetailView.as_view(), name="batch"),
    path("checks/<int:pk>/export/", views_checks.BatchExportView.as_view(), name="batch_export"),
    path(
        "checks/<int:pk>/export-full/",
        views_checks.BatchFullExportView.as_view(),
        name="batch_export_full",
    ),
    path("checks/results/import/", views.ResultImportView.as_view(), name="result_import"),
    path("checks/results/template/", views.ResultTemplateView.as_view(), name="result_template"),
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
