from django.urls import path

from gatehouse.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.board, name="board"),
    path("<uuid:alert_id>/", views.detail, name="detail"),
    path("<uuid:alert_id>/<str:action>/", views.action, name="action"),
]
