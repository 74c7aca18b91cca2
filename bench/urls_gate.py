"""The app's URLs plus the framework's floor: a view doing one indexed SELECT and one INSERT."""

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from gatehouse.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    gate_id = json.loads(request.body)["gate_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, status FROM places_gate WHERE id = %s", [gate_id])
        row = cursor.fetchone()
        cursor.execute("INSERT INTO bench_bare (at, gate_id) VALUES (%s, %s)", [timezone.now(), gate_id])
    return JsonResponse({"status": row[1] if row else None}, status=201)


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
