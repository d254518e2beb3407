from django.urls import include, path

from . import views_form, views_problems

app_name = "inspections"
urlpatterns = [
    path("", include(views_form.urlpatterns)),
    path("", include(views_problems.urlpatterns)),
]
