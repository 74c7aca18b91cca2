from django.urls import path

from gatehouse.volunteers import views

app_name = "volunteers"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("people/<uuid:volunteer_id>/", views.detail, name="detail"),
    path("people/<uuid:volunteer_id>/edit/", views.edit, name="edit"),
    path("people/<uuid:volunteer_id>/<str:action>/", views.volunteer_action, name="volunteer_action"),
    path("streets/<uuid:street_id>/roster/", views.street_roster, name="street_roster"),
    path("streets/<uuid:street_id>/roster/status/", views.roster_status, name="roster_status"),
    path("streets/<uuid:street_id>/roster/solve/", views.roster_solve, name="roster_solve"),
    path("streets/<uuid:street_id>/roster/repair/", views.roster_repair, name="roster_repair"),
    path("streets/<uuid:street_id>/gates/", views.gates, name="gates"),
    path("streets/<uuid:street_id>/posters.pdf", views.gate_posters_pdf, name="gate_posters_pdf"),
    path(
        "neighbourhoods/<uuid:neighbourhood_id>/coverage/",
        views.neighbourhood_coverage,
        name="neighbourhood_coverage",
    ),
    path("slots/<uuid:slot_id>/", views.slot, name="slot"),
    path("slots/<uuid:slot_id>/assign/", views.slot_assign, name="slot_assign"),
    path("assignments/<uuid:assignment_id>/<str:action>/", views.assignment_action, name="assignment_action"),
    path("gates/<uuid:gate_id>/staffing/", views.gate_staffing, name="gate_staffing"),
    path("gates/<uuid:gate_id>/poster/", views.gate_poster, name="gate_poster"),
    path("routes/", views.routes, name="routes"),
    path("routes/<uuid:route_id>/", views.route, name="route"),
    path("routes/<uuid:route_id>/tags.pdf", views.route_tags_pdf, name="route_tags_pdf"),
    path("me/", views.my_shifts, name="my_shifts"),
    path("me/<str:action>/", views.my_action, name="my_action"),
    path("g/<str:code>/", views.scan_gate, name="scan_gate"),
    path("t/<str:code>/", views.scan_tag, name="scan_tag"),
]
