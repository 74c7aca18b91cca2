from django.contrib import admin

from gatehouse.alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = ["title", "kind", "severity", "status", "level", "neighbourhood", "raised_at"]
    list_filter = ["kind", "status", "level"]
