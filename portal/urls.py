from django.urls import include, path

from . import views, views_lists, views_selfcheck

app_name = "portal"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("problems/<int:pk>/", views.ProblemView.as_view(), name="problem"),
    path("photos/<int:pk>/", views.ReceiptPhotoView.as_view(), name="receipt_photo"),
    path("", include(views_selfcheck.urlpatterns)),
    path("", include(views_lists.urlpatterns)),
]
