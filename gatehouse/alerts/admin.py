from django.contrib import admin

from gatehouse.alerts.models import Alert, Contact, Notification


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin[Alert]):
    list_display = ["title", "kind", "severity", "status", "level", "neighbourhood", "raised_at"]
    list_filter = ["kind", "status", "level"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    """Where a handler gets SMS alerts; e-mail goes to the user's own address."""

    list_display = ["user", "phone", "sms", "email"]
    raw_id_fields = ["user"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["alert", "channel", "level", "reason", "status", "attempts", "created_at", "last_error"]
    list_filter = ["status", "channel"]
    readonly_fields = [f.name for f in Notification._meta.fields]
