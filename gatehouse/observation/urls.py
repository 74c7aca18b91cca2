from django.urls import path

from gatehouse.observation import views

app_name = "observation"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case"),
    path("cases/<uuid:case_id>/follow-up/", views.follow_up, name="follow_up"),
    path("cases/<uuid:case_id>/close/", views.case_close, name="case_close"),
    path("cases/<uuid:case_id>/release-notice.pdf", views.release_notice, name="release_notice"),
    path("me/", views.self_report, name="self_report"),
]
