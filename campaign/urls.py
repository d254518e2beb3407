from django.urls import path

from . import views

app_name = "campaign"
urlpatterns = [
    path("", views.CampaignListView.as_view(), name="list"),
    path("<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CampaignEditView.as_view(), name="edit"),
    path("<int:pk>/fee-rules/", views.FeeRulesEditView.as_view(), name="fee_rules"),
    path("publicity/", views.PublicityListView.as_view(), name="publicity"),
    path("publicity/new/", views.PublicityCreateView.as_view(), name="publicity_create"),
]
