"""/public/campaigns/: the disclosure pages (no login) and the province's publish page."""

from django.urls import path

from . import views_public as views

app_name = "disclosure"
urlpatterns = [
    path("", views.public_index, name="index"),
    path("<int:pk>/", views.public_campaign, name="campaign"),
    path("manage/", views.PublicationManageView.as_view(), name="manage"),
    path("<int:pk>/publish/", views.PublishView.as_view(), name="publish"),
    path("<int:pk>/withdraw/", views.WithdrawView.as_view(), name="withdraw"),
]
