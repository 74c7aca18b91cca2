from django.urls import path

from gatehouse.gate import views

app_name = "gate"
urlpatterns = [
    path("", views.home, name="home"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("today/", views.today, name="today"),
    path("<uuid:gate_id>/", views.screen, name="screen"),
    path("events/<uuid:event_id>/register/", views.returnee_register, name="returnee_register"),
]
