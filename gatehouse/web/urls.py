from django.urls import path

from gatehouse.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("places/", views.places, name="places"),
    path("places/streets/<uuid:street_id>/", views.street_node, name="street"),
    path("places/neighbourhoods/<uuid:neighbourhood_id>/", views.neighbourhood_node, name="neighbourhood"),
    path("places/compounds/<uuid:compound_id>/", views.compound_page, name="compound"),
    path("places/compounds/<uuid:compound_id>/residents/new/", views.resident_new, name="resident_new"),
    path("places/gates/<uuid:gate_id>/edit/", views.gate_edit, name="gate_edit"),
    path("regimes/", views.regimes, name="regimes"),
    path("regimes/<str:compound_class>/", views.regime_edit, name="regime_edit"),
    path("policy/", views.policy, name="policy"),
    path("residents/", views.resident_search, name="resident_search"),
    path("residents/export/", views.resident_export, name="resident_export"),
    path("residents/<uuid:resident_id>/", views.resident_detail, name="resident"),
    path("residents/<uuid:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("audit/", views.audit, name="audit"),
    path("me/", views.me, name="me"),
]
