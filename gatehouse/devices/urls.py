from django.urls import path

from gatehouse.devices import views

app_name = "devices"
urlpatterns = [
    path("", views.wristband_list, name="list"),
    path("<uuid:wristband_id>/", views.wristband_detail, name="detail"),
    path("<uuid:wristband_id>/<str:action>/", views.wristband_action, name="action"),
]
