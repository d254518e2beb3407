from django.urls import path

from tabular.views import import_urls

from . import views, views_ledger

app_name = "fees"
urlpatterns = [
    path("", views.FeeRecordListView.as_view(), name="records"),
    path("new/", views.FeeRecordCreateView.as_view(), name="record_create"),
    path("<int:pk>/", views.FeeRecordView.as_view(), name="record"),
    path("<int:pk>/refunds/", views.RefundCreateView.as_view(), name="refund_create"),
    path("violations/", views_ledger.LedgerView.as_view(), name="ledger"),
    path("violations/export/", views_ledger.LedgerExportView.as_view(), name="ledger_export"),
    path(
        "violations/<int:pk>/report/", views.ViolationReportView.as_view(), name="violation_report"
    ),
    path("violations/<int:pk>/close/", views.ViolationCloseView.as_view(), name="violation_close"),
    path(
        "violations/<int:pk>/reopen/", views.ViolationReopenView.as_view(), name="violation_reopen"
    ),
    *import_urls("fees"),
]
