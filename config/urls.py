from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from accounts import views as account_views
from accounts.api_permissions import ScopePermission
from campaign import api as campaign_api
from complaints import api as complaint_api
from fees import api as fee_api
from inspections import api as inspection_api
from institutions import api as institution_api
from personnel import api as personnel_api
from sampling import api as sampling_api


class SchemaView(SpectacularAPIView):
    # The API's shape is for the people who use it: anyone with a working role.
    permission = "dashboard.view"
    permission_classes = [ScopePermission]


router = SimpleRouter()
router.register("regions", institution_api.RegionViewSet, basename="region")
router.register("institutions", institution_api.InstitutionViewSet, basename="institution")
router.register("campaigns", campaign_api.CampaignViewSet, basename="campaign")
router.register("checklists", campaign_api.ChecklistViewSet, basename="checklist")
router.register("inspections", inspection_api.InspectionViewSet, basename="inspection")
router.register("rectifications", inspection_api.RectificationViewSet, basename="rectification")
router.register("staff", personnel_api.StaffViewSet, basename="staff")
router.register(
    "background-checks", personnel_api.BackgroundCheckViewSet, basename="background-check"
)
router.register("draws", sampling_api.DrawViewSet, basename="draw")
router.register("fee-records", fee_api.FeeRecordViewSet, basename="fee-record")
router.register("fee-violations", fee_api.FeeViolationViewSet, basename="fee-violation")
router.register("complaints", complaint_api.ComplaintViewSet, basename="complaint")

urlpatterns = [
    path("", account_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("institutions/", include("institutions.urls")),
    path("campaign/", include("campaign.urls")),
    path("inspections/", include("inspections.urls")),
    path("staff/", include("personnel.urls")),
    path("sampling/", include("sampling.urls")),
    path("fees/", include("fees.urls")),
    path("complaints/", include("complaints.urls")),
    path("public/complaints/", include("complaints.views_public")),
    path("public/campaigns/", include("reporting.urls_public")),
    path("progress/", include("clock.urls")),
    path("ledgers/", include("reporting.urls_ledgers")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((router.urls, "api"))),
    path(
        "api/schema/",
        SchemaView.as_view(),
        name="api_schema",
    ),
]

handler403 = "accounts.errors.permission_denied"
handler404 = "accounts.errors.page_not_found"
