from django.contrib import admin

from gatehouse.observation.models import ObservationCase


@admin.register(ObservationCase)
class ObservationCaseAdmin(admin.ModelAdmin[ObservationCase]):
    list_display = ["resident", "kind", "status", "starts_on", "ends_on"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["resident", "household", "compound"]
