from django.urls import path

from gatehouse.passes import views

app_name = "passes"
urlpatterns = [
    path("me/", views.mine, name="mine"),
    path("me/live/", views.mine_qr, name="mine_qr"),
    path("residents/<uuid:resident_id>/", views.resident_page, name="resident"),
    path("residents/<uuid:resident_id>/cards/", views.cards_print, name="cards_print"),
    path("residents/<uuid:resident_id>/revoke/", views.revoke, name="revoke"),
]
