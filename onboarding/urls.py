from django.urls import path

from tabular.views import import_urls

from . import views, views_import

app_name = "onboarding"

urlpatterns = [
    path("", views.UserListView.as_view(), name="users"),
    path("new/", views.UserCreateView.as_view(), name="user_new"),
    path("<int:pk>/", views.UserDetailView.as_view(), name="user"),
    path("<int:pk>/active/", views.UserActiveView.as_view(), name="user_active"),
    path(
        "<int:pk>/password-reset/",
        views.PasswordResetView.as_view(),
        name="user_password_reset",
    ),
    path("<int:pk>/grants/", views.GrantAddView.as_view(), name="grant_add"),
    path(
        "<int:pk>/grants/<int:grant_pk>/remove/",
        views.GrantRemoveView.as_view(),
        name="grant_remove",
    ),
    # 账号导入: the one import flow (onboarding:import, :import_template, :import_run …).
    *import_urls("accounts"),
    path(
        "import/<int:pk>/passwords/",
        views_import.PasswordSheetView.as_view(),
        name="import_passwords",
    ),
]
