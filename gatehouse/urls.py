from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from gatehouse.api.base import api
from gatehouse.api.urls import urlpatterns as _api_routes  # noqa: F401 - mounts every router

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("alerts/", include("gatehouse.alerts.urls")),
    path("observation/", include("gatehouse.observation.urls")),
    path("volunteers/", include("gatehouse.volunteers.urls")),
    path("signin/", include("gatehouse.accounts.urls")),
    path("passes/", include("gatehouse.passes.urls")),
    path("gate/", include("gatehouse.gate.urls")),
    path("returnees/", include("gatehouse.returnees.urls")),
    path("wristbands/", include("gatehouse.devices.urls")),
    path("", include("gatehouse.web.urls")),
]
