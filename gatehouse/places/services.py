"""Writes to places: each validates, saves in one transaction and leaves one audit row."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
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


M = TypeVar("M", bound=models.Model)


def _update(
    *,
    scope: Scope,
    actor: Actor,
    capability: Capability,
    instance: M,
    changes: dict[str, Any],
    editable: set[str],
    object_type: str,
) -> M:
    """The one shape of every place edit: check the right, apply allowed fields, validate, save with
    one audit row naming the changed fields (not their values)."""
    _require(scope, capability)
    changed = []
    for name, value in changes.items():
        if name not in editable:
            raise ValueError(f"{name} cannot be changed here")
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    if not changed:
        return instance
    instance.full_clean()
    with transaction.atomic():
        instance.save()
        audit_record(
            actor=actor,
            action="update",
            object_type=object_type,
            object_id=str(instance.pk),
            detail="changed: " + ", ".join(sorted(changed)),
        )
    return instance


def gate_update(*, scope: Scope, actor: Actor, gate: Gate, **changes: Any) -> Gate:
    """Change a gate's status, hours or vehicle lane. `gate` must come from a scoped selector."""
    return _update(
        scope=scope,
        actor=actor,
        capability=Capability.EDIT_PLACES,
        instance=gate,
        changes=changes,
        editable={"name", "status", "opens_at", "closes_at", "has_vehicle_lane"},
        object_type="gate",
    )


def compound_update(*, scope: Scope, actor: Actor, compound: Compound, **changes: Any) -> Compound:
    return _update(
        scope=scope,
        actor=actor,
        capability=Capability.EDIT_PLACES,
        instance=compound,
        changes=changes,
        editable={"name", "compound_class", "address", "pickup_point"},
        object_type="compound",
    )


def regime_update(*, scope: Scope, actor: Actor, regime: GateRegime, **changes: Any) -> GateRegime:
    editable = {f.name for f in GateRegime._meta.fields} - {
        "id",
        "district",
        "compound_class",
        "created_at",
        "updated_at",
    }
    return _update(
        scope=scope,
        actor=actor,
        capability=Capability.EDIT_REGIMES,
        instance=regime,
        changes=changes,
        editable=editable,
        object_type="gate_regime",
    )


POLICY_FIELDS = {
    "fever_line_c",
    "observation_days",
    "health_monitoring_days",
    "gate_event_retention_days",
    "telemetry_retention_days",
    "moved_out_retention_days",
    "health_record_retention_days",
    "alert_escalation_minutes",
}


def district_policy_update(*, scope: Scope, actor: Actor, district: District, **changes: Any) -> District:
    return _update(
        scope=scope,
        actor=actor,
        capability=Capability.EDIT_POLICIES,
        instance=district,
        changes=changes,
        editable=POLICY_FIELDS,
        object_type="district",
    )
