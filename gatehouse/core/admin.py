from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gatehouse.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the trail is browsed, never edited, from the application."""

    list_display = [
        "seq",
        "at",
        "actor_label",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "ip_address",
    ]
    list_filter = ["action", "object_type", "actor_role"]
    search_fields = ["actor_label", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
