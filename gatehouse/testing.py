"""The test world: one district, two streets, three neighbourhoods, and a person for every role.

Personas and what each may reach:
- command (区防控办) sees the whole district and the audit trail.
- street_officer (周强) works on 外滩街道 (street S1): neighbourhoods A and B, not C on street S2.
- worker_a (李娜) works in neighbourhood A and must not see B's or C's residents.
- worker_b (赵磊) works in neighbourhood B and must not see A's.
- gate_a (孙浩) stands at gate A1-南门; runs checks, sees no resident list.
- building_manager (钱敏) runs commercial building A-大厦 in neighbourhood A; sees only its people.
- meals, courier, org: no personal data yet.
- resident_user is 王芳 of compound A1, who sees only her own record and who looked at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client, TestCase

from gatehouse.accounts.models import User
from gatehouse.accounts.services import user_create
from gatehouse.core.audit import Actor
from gatehouse.core.roles import Role
from gatehouse.people.models import Resident, Vehicle
from gatehouse.people.services import resident_register, vehicle_register
from gatehouse.places.models import Compound, CompoundClass, District, Gate, Neighbourhood, Street
from gatehouse.places.services import regimes_seed

# Every API operation ("GET /api/…") and page (url name "web:…") a test proves the scoping of.
# tests/test_api_authorization.py fails when one exists that no test names.
COVERED: set[str] = set()


def covers(*operations: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a test as the authorization test of `operations`."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        COVERED.update(operations)
        return fn

    return mark


PASSWORD = "correct-horse-battery"  # test-only; the suite uses a fast hasher
SETUP = Actor(user_id=None, label="test setup", role="system")

# Synthetic numbers with valid check characters (the standard's own example and derived ones).
ID_WANG_FANG = "11010519491231002X"
ID_LI_WEI = "310101198003150030"
ID_CHEN_JING = "310104199207080023"


def make_world(test: Any) -> None:
    """Attach the world's places, residents and users to `test` (a TestCase class or instance)."""
    test.district = District.objects.create(code="310101", name_zh="黄浦区", name_en="Huangpu")
    regimes_seed(district=test.district)
    test.street_s1 = Street.objects.create(district=test.district, code="310101013", name_zh="外滩街道")
    test.street_s2 = Street.objects.create(district=test.district, code="310101021", name_zh="打浦桥街道")
    test.nb_a = Neighbourhood.objects.create(street=test.street_s1, name="A居民区")
    test.nb_b = Neighbourhood.objects.create(street=test.street_s1, name="B居民区")
    test.nb_c = Neighbourhood.objects.create(street=test.street_s2, name="C居民区")
    test.compound_a1 = Compound.objects.create(
        neighbourhood=test.nb_a, name="A1小区", compound_class=CompoundClass.COMMODITY_HOUSING
    )
    test.building_a = Compound.objects.create(
        neighbourhood=test.nb_a, name="A-大厦", compound_class=CompoundClass.COMMERCIAL_BUILDING
    )
    test.compound_b1 = Compound.objects.create(
        neighbourhood=test.nb_b, name="B1里", compound_class=CompoundClass.OLD_LANE
    )
    test.compound_c1 = Compound.objects.create(
        neighbourhood=test.nb_c, name="C1新村", compound_class=CompoundClass.NO_PROPERTY_MANAGEMENT
    )
    test.gate_a1 = Gate.objects.create(compound=test.compound_a1, name="南门", has_vehicle_lane=True)
    test.gate_a1_sealed = Gate.objects.create(
        compound=test.compound_a1, name="北门", status=Gate.Status.SEALED
    )
    test.gate_b1 = Gate.objects.create(
        compound=test.compound_b1, name="弄口", status=Gate.Status.MAIN_PASSAGE_ONLY
    )
    test.gate_c1 = Gate.objects.create(compound=test.compound_c1, name="东门")
    test.gate_building = Gate.objects.create(compound=test.building_a, name="大堂")

    command = user_create(
        username="command",
        password=PASSWORD,
        role=Role.DISTRICT_COMMAND,
        district=test.district,
        display_name="区防控办",
    )
    scope = command.scope
    test.wang_fang = resident_register(
        scope=scope,
        actor=SETUP,
        compound=test.compound_a1,
        building="3",
        room="402",
        name="王芳",
        id_number=ID_WANG_FANG,
        phone="13812345678",
    )
    test.li_wei = resident_register(
        scope=scope,
        actor=SETUP,
        compound=test.compound_b1,
        building="12弄",
        room="5号",
        name="李伟",
        id_number=ID_LI_WEI,
        phone="13900001111",
    )
    test.chen_jing = resident_register(
        scope=scope,
        actor=SETUP,
        compound=test.compound_c1,
        building="7",
        room="101",
        name="陈静",
        id_number=ID_CHEN_JING,
    )
    test.employee = resident_register(
        scope=scope,
        actor=SETUP,
        compound=test.building_a,
        building="A座",
        room="1201",
        name="吴刚",
        sex=Resident.Sex.MALE,
        birth_date=dt.date(1985, 5, 5),
    )
    test.vehicle_a = vehicle_register(
        scope=scope, actor=SETUP, household=test.wang_fang.household, plate="沪A12345"
    )
    test.vehicle_b = vehicle_register(
        scope=scope, actor=SETUP, household=test.li_wei.household, plate="沪BD12345"
    )

    def user(username: str, role: str, label: str, **places: Any) -> User:
        return user_create(
            username=username,
            password=PASSWORD,
            role=role,
            display_name=label,
            check_password=False,
            **places,
        )

    test.command = command
    test.street_officer = user("street", Role.STREET_OFFICER, "周强", street=test.street_s1)
    test.worker_a = user("worker-a", Role.NEIGHBOURHOOD_WORKER, "李娜", neighbourhood=test.nb_a)
    test.worker_b = user("worker-b", Role.NEIGHBOURHOOD_WORKER, "赵磊", neighbourhood=test.nb_b)
    test.gate_a = user("gate-a", Role.GATE_STAFF, "孙浩", gate=test.gate_a1)
    test.building_manager = user("building", Role.BUILDING_MANAGER, "钱敏", compound=test.building_a)
    test.meals = user("meals", Role.MEAL_CENTRE_OPERATOR, "配餐中心", street=test.street_s1)
    test.courier = user("courier", Role.COURIER, "送餐员", street=test.street_s1)
    test.org = user("org", Role.ORGANISATION_COORDINATOR, "社会组织", street=test.street_s1)
    test.resident_user = user("resident", Role.RESIDENT, "王芳", resident=test.wang_fang)


class BaseTestCase(TestCase):
    """A TestCase with the world above, built once per class."""

    district: District
    street_s1: Street
    street_s2: Street
    nb_a: Neighbourhood
    nb_b: Neighbourhood
    nb_c: Neighbourhood
    compound_a1: Compound
    building_a: Compound
    compound_b1: Compound
    compound_c1: Compound
    gate_a1: Gate
    gate_a1_sealed: Gate
    gate_b1: Gate
    gate_c1: Gate
    gate_building: Gate
    wang_fang: Resident
    li_wei: Resident
    chen_jing: Resident
    employee: Resident
    vehicle_a: Vehicle
    vehicle_b: Vehicle
    command: User
    street_officer: User
    worker_a: User
    worker_b: User
    gate_a: User
    building_manager: User
    meals: User
    courier: User
    org: User
    resident_user: User

    @classmethod
    def setUpTestData(cls) -> None:
        make_world(cls)

    def client_for(self, user: User, language: str | None = None) -> Client:
        """A signed-in client; `language` sets the language cookie (pages are Chinese without it)."""
        client = Client()
        client.force_login(user)
        if language:
            client.cookies["django_language"] = language
        return client
