from django.urls import path

from . import views

app_name = "enforcement"
urlpatterns = [
    path("", views.ActionListView.as_view(), name="list"),
    path("institutions/<int:pk>/new/", views.ActionCreateView.as_view(), name="create"),
    path("<int:pk>/withdraw/", views.ActionWithdrawView.as_view(), name="withdraw"),
]
