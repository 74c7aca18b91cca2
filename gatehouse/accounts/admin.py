from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from gatehouse.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "display_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            "Gatehouse",
            {
                "fields": (
                    "display_name",
                    "role",
                    "district",
                    "street",
                    "neighbourhood",
                    "compound",
                    "gate",
                    "resident",
                )
            },
        ),
    )
    raw_id_fields = ["resident", "compound", "gate", "neighbourhood"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
