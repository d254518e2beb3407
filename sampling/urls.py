from django.urls import path

from . import views

app_name = "sampling"
urlpatterns = [
    path("", views.RoundListView.as_view(), name="rounds"),
    path("rounds/<int:pk>/", views.RoundView.as_view(), name="round"),
    path("rounds/<int:pk>/draw/", views.DrawPreviewView.as_view(), name="draw_preview"),
    path("rounds/<int:pk>/pool/", views.PoolAddView.as_view(), name="pool_add"),
    path(
        "rounds/<int:pk>/pool/<int:member_pk>/remove/",
        views.PoolRemoveView.as_view(),
        name="pool_remove",
    ),
    path("rounds/<int:pk>/conflicts/", views.ConflictAddView.as_view(), name="conflict_add"),
    path("rounds/<int:pk>/complete/", views.RoundCompleteView.as_view(), name="round_complete"),
    path("draws/<int:pk>/", views.DrawView.as_view(), name="draw"),
    path("draws/<int:pk>/confirm/", views.DrawConfirmView.as_view(), name="draw_confirm"),
    path("draws/<int:pk>/export/", views.DrawExportView.as_view(), name="draw_export"),
]
