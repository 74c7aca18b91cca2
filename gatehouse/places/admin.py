from django.contrib import admin

from gatehouse.places.models import Compound, District, Gate, GateRegime, Neighbourhood, Street


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin[District]):
    list_display = ["name_zh", "code", "fever_line_c", "observation_days", "gate_event_retention_days"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin[Street]):
    list_display = ["name_zh", "name_en", "code", "area_km2"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin[Neighbourhood]):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name"]


class GateInline(admin.TabularInline[Gate, Compound]):
    model = Gate
    extra = 0


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin[Compound]):
    list_display = ["name", "compound_class", "neighbourhood"]
    list_filter = ["compound_class", "neighbourhood__street"]
    search_fields = ["name"]
    inlines = [GateInline]


@admin.register(GateRegime)
class GateRegimeAdmin(admin.ModelAdmin[GateRegime]):
    list_display = ["compound_class", "district", "closed_management", "no_entry", "visitor_rule"]
