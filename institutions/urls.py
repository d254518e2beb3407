from django.urls import path

from tabular.views import import_urls

from . import views, views_accounts, views_import

app_name = "institutions"
urlpatterns = [
    path("", views.InstitutionListView.as_view(), name="list"),
    path("new/", views.InstitutionCreateView.as_view(), name="create"),
    path("<int:pk>/", views.InstitutionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.InstitutionUpdateView.as_view(), name="edit"),
    path("<int:pk>/sites/new/", views.SiteCreateView.as_view(), name="site_create"),
    path("sites/<int:pk>/edit/", views.SiteUpdateView.as_view(), name="site_edit"),
    path("sites/<int:pk>/delete/", views.SiteDeleteView.as_view(), name="site_delete"),
    path("<int:pk>/accounts/new/", views_accounts.AccountOpenView.as_view(), name="account_open"),
    path("account-batches/", views_accounts.AccountBatchesView.as_view(), name="account_batches"),
    path(
        "account-batches/<int:pk>/sheet/",
        views_accounts.AccountBatchSheetView.as_view(),
        name="account_batch_sheet",
    ),
    path(
        "accounts/<int:pk>/reset/", views_accounts.AccountResetView.as_view(), name="account_reset"
    ),
    path(
        "accounts/<int:pk>/active/",
        views_accounts.AccountActiveView.as_view(),
        name="account_active",
    ),
    path("export/", views_import.InstitutionExportView.as_view(), name="export"),
    *import_urls("institutions"),
]
