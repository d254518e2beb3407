from django.urls import path

from . import views

app_name = "selfcheck"
urlpatterns = [
    path("", views.ListView.as_view(), name="list"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("photos/<int:pk>/", views.PhotoView.as_view(), name="photo"),
]
