from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gatehouse.accounts.services import actor_from_request
from gatehouse.core.audit import audit_record
from gatehouse.people.models import Resident, Vehicle


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin[Resident]):
    """Identity numbers appear masked only; the ciphertext and hash are not editable here."""

    list_display = ["name", "id_number_masked", "compound", "status", "health_colour"]
    list_filter = ["status", "health_colour"]
    search_fields = ["name", "phone"]
    readonly_fields = [
        "id_number_masked",
        "health_colour",
        "health_colour_reason",
        "health_colour_changed_at",
    ]
    exclude = ["id_number_ciphertext", "id_number_hash"]
    raw_id_fields = ["household", "compound"]
    show_full_result_count = False

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Resident | None:
        # Opening a record in the admin is a read of personal data like any other: audited.
        resident = super().get_object(request, object_id, from_field)
        if resident is not None:
            audit_record(
                actor=actor_from_request(request),
                action="view",
                object_type="resident",
                object_id=resident.id,
                subject_resident_id=resident.id,
                detail="admin",
            )
        return resident


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin[Vehicle]):
    list_display = ["plate", "compound", "new_energy"]
    search_fields = ["plate"]
    raw_id_fields = ["household", "compound"]
