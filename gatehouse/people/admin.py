from django.contrib import admin

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


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin[Vehicle]):
    list_display = ["plate", "compound", "new_energy"]
    search_fields = ["plate"]
    raw_id_fields = ["household", "compound"]
