"""Writes to places: each validates, saves in one transaction and leaves one audit row."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from gatehouse.core.audit import Actor, audit_record
from gatehouse.core.roles import Capability, Scope
from gatehouse.places.models import Compound, CompoundClass, District, Gate, GateRegime

# The article's regimes (精准防控把好"社区门"), as the seed a district starts from and then edits.
REGIME_DEFAULTS: dict[str, dict[str, Any]] = {
    CompoundClass.COMMODITY_HOUSING: {
        "closed_management": True,
        "question_returnees": True,
        "registered_vehicles_only": True,
        "visitor_rule": GateRegime.VisitorRule.REGISTERED_VISIT,
        "staff_day": 2,
        "staff_night": 1,
        "description": "全封闭式管理，在岗亭处设置防控卡点，做好人员和车辆进出管理。",
    },
    CompoundClass.NO_PROPERTY_MANAGEMENT: {
        "closed_management": True,
        "seal_sealable_passages": True,
        "question_returnees": True,
        "visitor_rule": GateRegime.VisitorRule.REGISTERED_VISIT,
        "staff_day": 2,
        "staff_night": 1,
        "description": "各类通道能封尽封、应管尽管；志愿者轮流值守出入口，设置防控卡点；"
        "回沪人员必询问、必登记、必测温。",
    },
    CompoundClass.OLD_LANE: {
        "closed_management": True,
        "main_passage_only": True,
        "patrol_required": True,
        "question_returnees": True,
        "visitor_rule": GateRegime.VisitorRule.REGISTERED_VISIT,
        "staff_day": 2,
        "staff_night": 1,
        "description": "仅保留主要通道，志愿者巡逻巡查，在必经出入口设置防控卡点。",
    },
    CompoundClass.RELOCATION_PLOT: {
        "closed_management": True,
        "patrol_required": True,
        "question_returnees": True,
        "visitor_rule": GateRegime.VisitorRule.REFUSED,
        "staff_day": 1,
        "staff_night": 1,
        "description": "所属居民区落实属地责任，不因房屋结构老化等硬件缺陷而造成防控工作脱节。",
    },
    CompoundClass.UNOCCUPIED_AREA: {
        "closed_management": True,
        "seal_sealable_passages": True,
        "no_entry": True,
        "patrol_required": True,
        "visitor_rule": GateRegime.VisitorRule.REFUSED,
        "staff_day": 0,
        "staff_night": 0,
        "description": "协调动迁指挥部进行出入口封闭，限制任何人员、车辆进入，加强巡逻巡查。",
    },
    CompoundClass.COMMERCIAL_BUILDING: {
        "closed_management": True,
        "building_four_gates": True,
        "question_returnees": True,
        "registered_vehicles_only": True,
        "visitor_rule": GateRegime.VisitorRule.REGISTERED_VISIT,
        "staff_day": 2,
        "staff_night": 0,
        "description": "把牢楼宇重点人员“筛查关”、进出楼宇“检测关”、公共场所“阻断关”、突发情况“处置关”。",
    },
}


def regimes_seed(*, district: District) -> list[GateRegime]:
    """Create the article's regime for every class the district does not have yet."""
    created = []
    for compound_class, values in REGIME_DEFAULTS.items():
        regime, was_created = GateRegime.objects.get_or_create(
            district=district, compound_class=compound_class, defaults=values
        )
        if was_created:
            created.append(regime)
    return created


def _require(scope: Scope, capability: Capability) -> None:
    if not scope.can(capability):
        raise PermissionDenied(_("Your role may not do this."))


def _apply(instance: Any, changes: dict[str, Any], allowed: set[str]) -> list[str]:
    changed = []
    for name, value in changes.items():
        if name not in allowed:
            raise ValueError(f"{name} cannot be changed here")
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def gate_update(*, scope: Scope, actor: Actor, gate: Gate, **changes: Any) -> Gate:
    """Change a gate's status, hours or vehicle lane. `gate` must come from a scoped selector."""
    _require(scope, Capability.EDIT_PLACES)
    changed = _apply(gate, changes, {"name", "status", "opens_at", "closes_at", "has_vehicle_lane"})
    if not changed:
        return gate
    gate.full_clean()
    with transaction.atomic():
        gate.save()
        audit_record(
            actor=actor,
            action="update",
            object_type="gate",
            object_id=gate.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return gate


def compound_update(*, scope: Scope, actor: Actor, compound: Compound, **changes: Any) -> Compound:
    _require(scope, Capability.EDIT_PLACES)
    changed = _apply(compound, changes, {"name", "compound_class", "address", "pickup_point"})
    if not changed:
        return compound
    compound.full_clean()
    with transaction.atomic():
        compound.save()
        audit_record(
            actor=actor,
            action="update",
            object_type="compound",
            object_id=compound.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return compound


def regime_update(*, scope: Scope, actor: Actor, regime: GateRegime, **changes: Any) -> GateRegime:
    _require(scope, Capability.EDIT_REGIMES)
    editable = {f.name for f in GateRegime._meta.fields} - {
        "id",
        "district",
        "compound_class",
        "created_at",
        "updated_at",
    }
    changed = _apply(regime, changes, editable)
    if not changed:
        return regime
    regime.full_clean()
    with transaction.atomic():
        regime.save()
        audit_record(
            actor=actor,
            action="update",
            object_type="gate_regime",
            object_id=regime.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return regime


def district_policy_update(*, scope: Scope, actor: Actor, district: District, **changes: Any) -> District:
    _require(scope, Capability.EDIT_POLICIES)
    editable = {
        "fever_line_c",
        "observation_days",
        "health_monitoring_days",
        "gate_event_retention_days",
        "telemetry_retention_days",
        "moved_out_retention_days",
        "alert_escalation_minutes",
    }
    changed = _apply(district, changes, editable)
    if not changed:
        return district
    district.full_clean()
    with transaction.atomic():
        district.save()
        audit_record(
            actor=actor,
            action="update",
            object_type="district",
            object_id=district.id,
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return district
