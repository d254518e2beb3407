from django.urls import path

from tabular.views import import_urls

from . import views, views_rules

app_name = "complaints"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("export/", views.CaseExportView.as_view(), name="export"),
    path("new/", views.CaseCreateView.as_view(), name="create"),
    path("referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("rules/", views_rules.CategoryRulesView.as_view(), name="rules"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/triage/", views.TriageView.as_view(), name="triage"),
    path("<int:pk>/link/", views.LinkView.as_view(), name="link"),
    path("<int:pk>/refer/", views.ReferView.as_view(), name="refer"),
    path("<int:pk>/close/", views.CloseView.as_view(), name="close"),
    path("<int:pk>/no-referral/", views.NoReferralProposeView.as_view(), name="no_referral"),
    path(
        "<int:pk>/no-referral/review/",
        views.NoReferralReviewView.as_view(),
        name="no_referral_review",
    ),
    path("<int:pk>/contact/", views.RevealContactView.as_view(), name="reveal_contact"),
    path("referrals/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="acknowledge"),
    path("referrals/<int:pk>/feedback/", views.FeedbackView.as_view(), name="feedback"),
    path("attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
    *import_urls("complaints"),
]
