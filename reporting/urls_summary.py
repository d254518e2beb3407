"""City work summaries (工作总结), mounted at /summaries/."""

from django.urls import path

from . import views_summary as views

app_name = "summaries"

urlpatterns = [
    path("", views.SummaryListView.as_view(), name="list"),
    path("<int:campaign>/rollup.xlsx", views.RollupXlsxView.as_view(), name="rollup_xlsx"),
    path("<int:campaign>/rollup.docx", views.RollupDocxView.as_view(), name="rollup_docx"),
    path("<int:campaign>/<str:city>/", views.SummaryDetailView.as_view(), name="detail"),
    path("<int:campaign>/<str:city>/save/", views.SummarySaveView.as_view(), name="save"),
    path("<int:campaign>/<str:city>/review/", views.SummaryReviewView.as_view(), name="review"),
    path(
        "<int:campaign>/<str:city>/sections/<str:department>/",
        views.SummarySectionView.as_view(),
        name="section",
    ),
    path("<int:campaign>/<str:city>/word/", views.SummaryWordView.as_view(), name="word"),
    path("<int:campaign>/<str:city>/pdf/", views.SummaryPdfView.as_view(), name="pdf"),
    path(
        "<int:campaign>/<str:city>/submissions/<int:number>/",
        views.SubmissionView.as_view(),
        name="submission",
    ),
]
