from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts import views_account
from ops.health import healthz
from progress.views_home import home

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views_account.MyAccountView.as_view(), name="my_account"),
    path("account/password/", views_account.PasswordChangeView.as_view(), name="password_change"),
    path("audit/", account_views.AuditLogView.as_view(), name="audit_log"),
    path("notifications/", account_views.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        account_views.NotificationReadView.as_view(),
        name="notifications_read_all",
    ),
    path(
        "notifications/<int:pk>/read/",
        account_views.NotificationReadView.as_view(),
        name="notification_read",
    ),
    path("accounts/manage/", include("onboarding.urls")),
    path("institutions/", include("institutions.urls")),
    path("org/", include("portal.urls")),
    path("campaign/", include("campaign.urls")),
    path("inspections/", include("inspections.urls")),
    path("self-checks/", include("selfcheck.urls")),
    path("staff/", include("personnel.urls")),
    path("sampling/", include("sampling.urls")),
    path("fees/", include("fees.urls")),
    path("complaints/", include("complaints.urls")),
    path("enforcement/", include("enforcement.urls")),
    path("public/complaints/", include("complaints.views_public")),
    path("public/campaigns/", include("reporting.urls_public")),
    path("progress/", include("progress.urls")),
    path("ledgers/", include("reporting.urls_ledgers")),
    path("summaries/", include("reporting.urls_summary")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The API: /api/v1/ resources, /api/schema/, /api/docs/, API tokens (api/urls.py).
    path("api/", include("api.urls")),
    # The load balancer's probe (answered by ops.middleware before host checks; listed here
    # so it has a name and shows in the URL walk).
    path("healthz", healthz, name="healthz"),
]

handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
# A lost database connection is a 503 page (API: JSON), any other error the 500 page.
handler500 = "ops.errors.server_error"
