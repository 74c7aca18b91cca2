from django.urls import path

from gatehouse.returnees import views

app_name = "returnees"
urlpatterns = [
    path("", views.registration_list, name="list"),
    path("me/", views.register_me, name="me"),
    path("register/<uuid:resident_id>/", views.register_for, name="register"),
    path("key-areas/", views.key_areas, name="key_areas"),
    path("key-areas/<uuid:area_id>/delete/", views.key_area_delete, name="key_area_delete"),
]
