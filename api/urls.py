"""The API's root, mounted at /api/: v1 resources, the schema, its docs, the token pages."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from campaign import api as campaign_api
from complaints import api as complaint_api
from fees import api as fee_api
from inspections import api as inspection_api
from institutions import api as institution_api
from personnel import api as personnel_api
from portal import api as org_api
from reporting import api as reporting_api
from sampling import api as sampling_api

from . import api as own_api
from . import views

router = SimpleRouter()
router.register("regions", institution_api.RegionViewSet, basename="region")
router.register("institutions", institution_api.InstitutionViewSet, basename="institution")
router.register("sites", institution_api.SiteViewSet, basename="site")
router.register("campaigns", campaign_api.CampaignViewSet, basename="campaign")
router.register("checklists", campaign_api.ChecklistViewSet, basename="checklist")
router.register("rounds", inspection_api.RoundViewSet, basename="round")
router.register("inspections", inspection_api.InspectionViewSet, basename="inspection")
router.register("findings", inspection_api.FindingViewSet, basename="finding")
router.register("rectifications", inspection_api.RectificationViewSet, basename="rectification")
router.register("draws", sampling_api.DrawViewSet, basename="draw")
router.register("staff", personnel_api.StaffViewSet, basename="staff")
router.register(
    "background-checks", personnel_api.BackgroundCheckViewSet, basename="background-check"
)
router.register("dismissals", personnel_api.DismissalViewSet, basename="dismissal")
router.register("complaints", complaint_api.ComplaintViewSet, basename="complaint")
router.register("referrals", complaint_api.ReferralViewSet, basename="referral")
router.register("fee-records", fee_api.FeeRecordViewSet, basename="fee-record")
router.register("fee-violations", fee_api.FeeViolationViewSet, basename="fee-violation")
router.register("refunds", fee_api.RefundViewSet, basename="refund")
router.register("notifications", own_api.NotificationViewSet, basename="notification")
# -- 机构端: an institution's own account reads its own rows (portal/api.py) ----------------
router.register("org/problems", org_api.OrgProblemViewSet, basename="org-problem")
router.register("org/staff", org_api.OrgStaffViewSet, basename="org-staff")
router.register("org/fee-records", org_api.OrgFeeRecordViewSet, basename="org-fee-record")
# -- [reporting] registers its resources here (summaries) ------------------------------
router.register("summaries", reporting_api.SummaryViewSet, basename="summary")
# -- end [reporting] --------------------------------------------------------------------

urlpatterns = [
    path("v1/", include((router.urls, "api"))),
    path("schema/", views.SchemaView.as_view(), name="api_schema"),
    path("docs/", views.DocsView.as_view(), name="api_docs"),
    path("tokens/", views.TokenListView.as_view(), name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.TokenRevokeView.as_view(), name="api_token_revoke"),
]
