"""Demo logins, one or more for every role, all bound to real seeded places."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from gatehouse.accounts.models import User
from gatehouse.accounts.services import user_create
from gatehouse.core.roles import Role
from gatehouse.people.models import Resident
from gatehouse.places.models import Compound, CompoundClass, District, Gate, Neighbourhood, Street


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


def demo_password() -> str:
    password = os.environ.get("GATEHOUSE_DEMO_PASSWORD", "")
    if not password:
        raise ImproperlyConfigured("GATEHOUSE_DEMO_PASSWORD must be set (make demo writes it into .env)")
    return password


def demo_accounts_create(*, password: str) -> list[DemoLogin]:
    """Create the demo users if missing. Two neighbourhood workers in different neighbourhoods of the
    same street show that neither sees the other's residents."""
    district = District.objects.get(code="310101")
    street = Street.objects.order_by("code").first()
    assert street is not None
    neighbourhoods = list(Neighbourhood.objects.filter(street=street).order_by("name")[:2])
    nb_a, nb_b = neighbourhoods[0], neighbourhoods[-1]
    home_compound = (
        Compound.objects.filter(neighbourhood=nb_a, residents__isnull=False)
        .distinct()
        .order_by("name")
        .first()
    )
    gate = (
        Gate.objects.filter(compound=home_compound)
        .exclude(status=Gate.Status.SEALED)
        .order_by("name")
        .first()
    )
    building = (
        Compound.objects.filter(compound_class=CompoundClass.COMMERCIAL_BUILDING).order_by("name").first()
    )
    resident = (
        Resident.objects.filter(compound=home_compound)
        .exclude(phone="")
        .order_by("household__room", "name")
        .first()
    )
    specs: list[tuple[str, Role, dict[str, Any], str]] = [
        ("command", Role.DISTRICT_COMMAND, {"district": district}, "黄浦区防控办"),
        ("street", Role.STREET_OFFICER, {"street": street}, f"{street.name_zh}"),
        ("worker-a", Role.NEIGHBOURHOOD_WORKER, {"neighbourhood": nb_a}, f"{nb_a.name}社工"),
        ("worker-b", Role.NEIGHBOURHOOD_WORKER, {"neighbourhood": nb_b}, f"{nb_b.name}社工"),
        ("gate", Role.GATE_STAFF, {"gate": gate}, f"{home_compound} {gate.name if gate else ''}值守"),
        ("building", Role.BUILDING_MANAGER, {"compound": building}, f"{building}楼宇管理"),
        ("meals", Role.MEAL_CENTRE_OPERATOR, {"street": street}, "光明村配餐中心"),
        ("courier", Role.COURIER, {"street": street}, "送餐员"),
        ("org", Role.ORGANISATION_COORDINATOR, {"street": street}, "社会组织协调员"),
        ("resident", Role.RESIDENT, {"resident": resident}, resident.name if resident else "居民"),
        ("volunteer", Role.VOLUNTEER, {"street": street}, "陈晓红"),
    ]
    logins = []
    for username, role, places, label in specs:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                password=password,
                role=role,
                display_name=label[:60],
                check_password=False,
                **places,
            )
        logins.append(DemoLogin(username, str(role.label), label))
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            "admin", password=password, role=Role.DISTRICT_COMMAND, district=district, display_name="管理员"
        )
    logins.append(DemoLogin("admin", "Django admin", "/admin/"))
    return logins
