from django.urls import path

from gatehouse.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.signin, name="signin"),
    path("code/", views.signin_code, name="signin_code"),
    path("choose/", views.signin_choose, name="signin_choose"),
]
