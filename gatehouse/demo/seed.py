"""The Huangpu demo: real streets, generated neighbourhoods, compounds, gates and residents.

Everything generated is synthetic (Faker zh_CN names, identity numbers with valid check characters);
the street list is public data (see data/README.md). Residents are written in bulk: PostgreSQL's
COPY when the database is PostgreSQL, batched multi-row INSERTs on SQLite, so the district scale
(about 660,000 residents) loads in minutes, not hours.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.db import connection, models, transaction
from django.utils import timezone
from faker.providers.person.zh_CN import Provider as PersonProvider
from stdnum.cn import ric

from gatehouse.lib import crypto
from gatehouse.lib.identity import identity_number_mask, identity_number_synthetic
from gatehouse.lib.plates import plate_is_new_energy
from gatehouse.people.models import Household, Resident, ResidentTag, Vehicle
from gatehouse.people.services import ID_CONTEXT
from gatehouse.places.models import Compound, CompoundClass, District, Gate, Neighbourhood, Street
from gatehouse.places.services import regimes_seed

DATA = Path(__file__).parent / "data"
DISTRICT_RESIDENTS_2020 = 662_030
DISTRICT_COMMITTEES = 183


@dataclass(frozen=True)
class Scale:
    streets: int
    neighbourhoods_per_street: int | None  # None: the model allocation of ~183 committees
    compounds_per_neighbourhood: float
    residents: int


SCALES = {
    "tiny": Scale(streets=2, neighbourhoods_per_street=2, compounds_per_neighbourhood=3, residents=300),
    "demo": Scale(streets=10, neighbourhoods_per_street=2, compounds_per_neighbourhood=4, residents=5_000),
    "street": Scale(streets=10, neighbourhoods_per_street=4, compounds_per_neighbourhood=4, residents=66_000),
    "district": Scale(
        streets=10,
        neighbourhoods_per_street=None,
        compounds_per_neighbourhood=3.9,
        residents=DISTRICT_RESIDENTS_2020,
    ),
}

# Model allocation for an old inner-city district: many lanes and compounds without management.
CLASS_MIX = {
    CompoundClass.COMMODITY_HOUSING: 0.44,
    CompoundClass.NO_PROPERTY_MANAGEMENT: 0.20,
    CompoundClass.OLD_LANE: 0.22,
    CompoundClass.RELOCATION_PLOT: 0.06,
    CompoundClass.UNOCCUPIED_AREA: 0.03,
    CompoundClass.COMMERCIAL_BUILDING: 0.05,
}
# Huangpu is old: roughly a third of residents are over 60. Buckets of (from age, to age, weight).
AGE_BUCKETS = [(0, 15, 0.09), (15, 30, 0.12), (30, 45, 0.16), (45, 60, 0.2), (60, 75, 0.27), (75, 96, 0.16)]
HOUSEHOLD_SIZES = ([1, 2, 3, 4, 5], [0.26, 0.36, 0.24, 0.1, 0.04])
_AGE_CUM = list(itertools.accumulate(b[2] for b in AGE_BUCKETS))
_SIZE_CUM = list(itertools.accumulate(HOUSEHOLD_SIZES[1]))
# Where people's numbers were first issued: mostly Huangpu, then other Shanghai districts, then elsewhere.
REGIONS = ["310101"] * 14 + [
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
    "320102",
    "330102",
    "340102",
    "420102",
    "510104",
    "110105",
    "370102",
    "410102",
]
ROADS = [
    "复兴",
    "建国",
    "瑞金",
    "淮海",
    "方浜",
    "河南",
    "蓬莱",
    "制造局",
    "徐家汇",
    "西藏",
    "肇嘉浜",
    "陆家浜",
    "丽园",
    "局门",
    "中华",
    "人民",
    "金陵",
    "延安",
    "南京",
    "四川",
    "九江",
    "汉口",
    "福州",
    "广东",
    "宁海",
    "顺昌",
    "合肥",
    "自忠",
    "太仓",
    "崇德",
    "兴业",
    "永年",
    "打浦",
    "斜土",
    "鲁班",
    "新桥",
    "思南",
    "雁荡",
]
LANE_SUFFIXES = ["坊", "里", "邨", "新村", "公寓", "苑", "花园", "大楼"]
LANE_WORDS = [
    "仁德",
    "尚贤",
    "福康",
    "恒庆",
    "吉祥",
    "安乐",
    "同福",
    "梅兰",
    "永裕",
    "承兴",
    "德安",
    "积善",
    "瑞华",
    "康乐",
    "长乐",
    "宝裕",
    "怡安",
    "新乐",
    "明德",
    "敦和",
    "惠安",
    "余庆",
    "三德",
    "太平",
]
PLATE_LETTERS = "ABCDEFGHJKLMN"


@dataclass
class SeedReport:
    streets: int = 0
    neighbourhoods: int = 0
    compounds: int = 0
    gates: int = 0
    households: int = 0
    residents: int = 0
    vehicles: int = 0


class BulkWriter:
    """Rows of one model written in bulk: COPY on PostgreSQL, multi-row INSERT elsewhere.

    Values go through each field's own `get_db_prep_save`, so UUIDs, dates and bytes reach either
    database in the form Django itself would write.
    """

    def __init__(self, model: type[models.Model], field_names: Sequence[str], batch: int = 5000) -> None:
        self.model = model
        self.fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in field_names]
        self.columns = [str(f.column) for f in self.fields]
        # psycopg adapts UUIDs, dates, datetimes and bytes itself, so on PostgreSQL the per-value
        # Django preparation (a third of the seed's time when measured) is skipped.
        self.preps: list[Callable[[Any], Any]] | None = (
            None
            if connection.vendor == "postgresql"
            else [functools.partial(f.get_db_prep_save, connection=connection) for f in self.fields]
        )
        self.rows: list[tuple[Any, ...]] = []
        self.batch = batch
        self.written = 0
        self.table = model._meta.db_table

    def add(self, values: Sequence[Any]) -> None:
        if self.preps is None:
            self.rows.append(tuple(values))
        else:
            self.rows.append(tuple(prep(v) for prep, v in zip(self.preps, values, strict=True)))
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                # SQLite allows 32,766 variables a statement; stay well under it.
                per = max(1, 999 // len(self.columns))
                for start in range(0, len(self.rows), per):
                    chunk = self.rows[start : start + per]
                    marks = ", ".join(["(" + ", ".join(["%s"] * len(self.columns)) + ")"] * len(chunk))
                    cursor.execute(
                        f"INSERT INTO {connection.ops.quote_name(self.table)} ({quoted}) VALUES {marks}",  # noqa: S608
                        [v for row in chunk for v in row],
                    )
        self.written += len(self.rows)
        self.rows = []


class NameMaker:
    """Chinese names drawn from Faker zh_CN's weighted surnames and given-name characters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = list(PersonProvider.last_names.keys())
        # Cumulative weights once: random.choices re-accumulates plain weights on every call.
        self.surname_cum = list(itertools.accumulate(PersonProvider.last_names.values()))
        self.male = list(PersonProvider.first_names_male)
        self.female = list(PersonProvider.first_names_female)
        self.single_male = [n for n in self.male if len(n) == 1]
        self.single_female = [n for n in self.female if len(n) == 1]

    def __call__(self, male: bool) -> str:
        surname = self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]
        pool = self.single_male if male else self.single_female
        given = self.rng.choice(self.male if male else self.female)
        if len(given) == 1 and self.rng.random() < 0.6:
            given += self.rng.choice(pool)
        return surname + given


class IdentityMaker:
    """Unique synthetic identity numbers that python-stdnum accepts (region valid for the birth year)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self._region_ok: dict[tuple[str, int], bool] = {}

    def _valid_region(self, region: str, year: int) -> bool:
        key = (region, year)
        if key not in self._region_ok:
            probe = f"{region}{year}0101001"
            self._region_ok[key] = ric.is_valid(probe + ric.calc_check_digit(probe + "0"))
        return self._region_ok[key]

    def __call__(self, birth_date: dt.date, male: bool) -> str:
        region = self.rng.choice(REGIONS)
        if not self._valid_region(region, birth_date.year):
            region = "310101"
        while True:
            number = identity_number_synthetic(self.rng, region=region, birth_date=birth_date, male=male)
            if number not in self.used:
                self.used.add(number)
                return number


def _street_rows() -> list[dict[str, str]]:
    with (DATA / "huangpu_streets.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _neighbourhood_allocation(rows: list[dict[str, str]]) -> list[int]:
    """Known committee counts where the data has them; the remainder of ~183 split over the rest."""
    known = [int(r["neighbourhood_committees"]) if r["neighbourhood_committees"] else None for r in rows]
    unknown = [i for i, k in enumerate(known) if k is None]
    remainder = DISTRICT_COMMITTEES - sum(k for k in known if k is not None)
    share, extra = divmod(remainder, max(1, len(unknown)))
    return [
        k if k is not None else share + (1 if unknown.index(i) < extra else 0) for i, k in enumerate(known)
    ]


def _birth_date(rng: random.Random, today: dt.date) -> dt.date:
    low, high, _w = rng.choices(AGE_BUCKETS, cum_weights=_AGE_CUM)[0]
    age_days = rng.randrange(low * 365, high * 365 + 1)
    return today - dt.timedelta(days=age_days)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _plate(rng: random.Random, used: set[str]) -> str:
    while True:
        letter = rng.choice(PLATE_LETTERS)
        if rng.random() < 0.25:  # new-energy: 沪AD12345
            body = rng.choice("DF") + rng.choice("0123456789ABCDEFGHJK") + f"{rng.randrange(10000):04d}"
        else:
            body = (
                "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(1))
                + f"{rng.randrange(10000):04d}"
            )
        plate = f"沪{letter}{body}"
        if plate not in used:
            used.add(plate)
            return plate


def _unique_name(rng: random.Random, make: Callable[[], str], taken: set[str]) -> str:
    for _ in range(50):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    name = f"{make()}{len(taken) + 1}"
    taken.add(name)
    return name


def _compound_name(rng: random.Random, compound_class: str) -> str:
    road = rng.choice(ROADS)
    word = rng.choice(LANE_WORDS)
    if compound_class == CompoundClass.COMMERCIAL_BUILDING:
        return f"{road}{rng.choice(['大厦', '广场', '中心', '商务楼'])}"
    if compound_class == CompoundClass.UNOCCUPIED_AREA:
        return f"{road}路{rng.randrange(1, 900)}号地块空置区"
    if compound_class == CompoundClass.RELOCATION_PLOT:
        return f"{road}{rng.choice(['东', '西', '南', '北'])}块动迁地块"
    if compound_class == CompoundClass.OLD_LANE:
        return f"{word}{rng.choice(['里', '坊', '弄'])}"
    return f"{word}{rng.choice(LANE_SUFFIXES)}"


GATE_NAMES = ["南门", "北门", "东门", "西门", "正门", "后门", "侧门"]


def _gates_for(rng: random.Random, compound_class: str) -> list[dict[str, Any]]:
    """Gates a compound of this class typically has, with statuses its regime implies."""
    n = {
        CompoundClass.COMMODITY_HOUSING: rng.randint(2, 3),
        CompoundClass.NO_PROPERTY_MANAGEMENT: rng.randint(2, 4),
        CompoundClass.OLD_LANE: rng.randint(2, 4),
        CompoundClass.RELOCATION_PLOT: rng.randint(1, 2),
        CompoundClass.UNOCCUPIED_AREA: rng.randint(1, 2),
        CompoundClass.COMMERCIAL_BUILDING: 2,
    }[CompoundClass(compound_class)]
    names = rng.sample(GATE_NAMES, n)
    gates = []
    for i, name in enumerate(names):
        status = Gate.Status.OPEN
        if compound_class == CompoundClass.UNOCCUPIED_AREA:
            status = Gate.Status.SEALED
        elif compound_class == CompoundClass.NO_PROPERTY_MANAGEMENT and i >= 1:
            status = Gate.Status.SEALED  # 能封尽封: one open entrance, the rest sealed
        elif compound_class == CompoundClass.OLD_LANE:
            status = Gate.Status.MAIN_PASSAGE_ONLY if i == 0 else Gate.Status.SEALED
        opens, closes = (None, None)
        if status != Gate.Status.SEALED and i > 0:
            opens, closes = dt.time(6, 0), dt.time(22, 0)
        vehicle = (
            compound_class in (CompoundClass.COMMODITY_HOUSING, CompoundClass.COMMERCIAL_BUILDING) and i == 0
        )
        gates.append(
            {
                "name": name,
                "status": status,
                "opens_at": opens,
                "closes_at": closes,
                "has_vehicle_lane": vehicle,
            }
        )
    return gates


def seed_places(*, scale: Scale, rng: random.Random) -> tuple[District, list[Compound], SeedReport]:
    report = SeedReport()
    district, _ = District.objects.get_or_create(
        code="310101", defaults={"name_zh": "黄浦区", "name_en": "Huangpu"}
    )
    regimes_seed(district=district)
    rows = _street_rows()[: scale.streets]
    allocation = _neighbourhood_allocation(_street_rows())[: scale.streets]
    compounds: list[Compound] = []
    class_names, class_weights = list(CLASS_MIX), list(CLASS_MIX.values())
    for row, committees in zip(rows, allocation, strict=True):
        street = Street.objects.create(
            district=district,
            code=row["code"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            area_km2=Decimal(row["area_km2"]) if row["area_km2"] else None,
        )
        report.streets += 1
        count = scale.neighbourhoods_per_street or committees
        taken: set[str] = set()
        for _ in range(count):
            name = _unique_name(rng, lambda: f"{rng.choice(ROADS)}{rng.choice(LANE_WORDS)}居民区", taken)
            neighbourhood = Neighbourhood.objects.create(street=street, name=name)
            report.neighbourhoods += 1
            n_compounds = max(1, round(rng.gauss(scale.compounds_per_neighbourhood, 1)))
            compound_taken: set[str] = set()
            for _c in range(n_compounds):
                # Every class appears early so even the tiny scale shows each regime.
                if len(compounds) < len(class_names):
                    compound_class = class_names[len(compounds)]
                else:
                    compound_class = rng.choices(class_names, class_weights)[0]
                cname = _unique_name(
                    rng, functools.partial(_compound_name, rng, compound_class), compound_taken
                )
                compound = Compound.objects.create(
                    neighbourhood=neighbourhood,
                    name=cname,
                    compound_class=compound_class,
                    address=f"{rng.choice(ROADS)}路{rng.randrange(1, 1500)}号",
                    pickup_point=(
                        f"{cname}门口快递架" if compound_class != CompoundClass.UNOCCUPIED_AREA else ""
                    ),
                )
                compounds.append(compound)
                report.compounds += 1
                Gate.objects.bulk_create(
                    [Gate(compound=compound, **g) for g in _gates_for(rng, compound_class)]
                )
    report.gates = Gate.objects.filter(compound__in=compounds).count()
    return district, compounds, report


def _resident_targets(
    compounds: list[Compound], total: int, rng: random.Random
) -> list[tuple[Compound, int]]:
    homes = [
        c
        for c in compounds
        if c.compound_class not in (CompoundClass.UNOCCUPIED_AREA, CompoundClass.COMMERCIAL_BUILDING)
    ]
    weights = [rng.uniform(0.5, 1.5) for _ in homes]
    scale = total / sum(weights)
    targets = [int(w * scale) for w in weights]
    for i in range(total - sum(targets)):
        targets[i % len(targets)] += 1
    return list(zip(homes, targets, strict=True))


def seed_residents(
    *,
    compounds: list[Compound],
    total: int,
    rng: random.Random,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Households, residents, tags and vehicles for `compounds`, in bulk."""
    report = SeedReport()
    today = timezone.localdate()
    now = timezone.now()
    names, identities = NameMaker(rng), IdentityMaker(rng)
    plates: set[str] = set()
    households = BulkWriter(Household, ["id", "created_at", "updated_at", "compound", "building", "room"])
    residents = BulkWriter(
        Resident,
        [
            "id",
            "created_at",
            "updated_at",
            "household",
            "compound",
            "name",
            "phone",
            "birth_date",
            "sex",
            "id_number_ciphertext",
            "id_number_hash",
            "id_number_masked",
            "status",
            "health_colour",
            "health_colour_reason",
        ],
    )
    tags = BulkWriter(ResidentTag, ["resident", "tag"])
    vehicles = BulkWriter(
        Vehicle, ["id", "created_at", "updated_at", "plate", "household", "compound", "new_energy"]
    )
    encrypt, lookup = crypto.encrypt_text, crypto.lookup_hash
    sizes = HOUSEHOLD_SIZES[0]
    for compound, target in _resident_targets(compounds, total, rng):
        placed, building, room_no = 0, 1, 101
        while placed < target:
            size = min(target - placed, rng.choices(sizes, cum_weights=_SIZE_CUM)[0])
            household_id = uuid.uuid4()
            households.add((household_id, now, now, compound.id, str(building), str(room_no)))
            report.households += 1
            room_no += 1
            if room_no % 100 > 6:
                room_no = (room_no // 100 + 1) * 100 + 1
                if room_no > 1806:
                    building, room_no = building + 1, 101
            lives_alone = size == 1
            for member in range(size):
                male = rng.random() < 0.49
                birth = _birth_date(rng, today)
                number = identities(birth, male)
                age = (today - birth).days // 365
                resident_id = uuid.uuid4()
                phone = _phone(rng) if (age >= 12 and rng.random() < (0.6 if age >= 75 else 0.95)) else ""
                residents.add(
                    (
                        resident_id,
                        now,
                        now,
                        household_id,
                        compound.id,
                        names(male),
                        phone,
                        birth,
                        "M" if male else "F",
                        encrypt(number, context=ID_CONTEXT),
                        lookup(number, context=ID_CONTEXT),
                        identity_number_mask(number),
                        "active",
                        "green",
                        "",
                    )
                )
                if age >= 70 and lives_alone:
                    tags.add((resident_id, ResidentTag.Tag.ELDERLY_ALONE))
                    if rng.random() < 0.5:
                        tags.add((resident_id, ResidentTag.Tag.NEEDS_MEALS))
                elif age >= 80 and rng.random() < 0.25:
                    tags.add((resident_id, ResidentTag.Tag.NEEDS_MEALS))
                if not phone and age >= 12:
                    tags.add((resident_id, ResidentTag.Tag.NO_PHONE))
                if (
                    member == 0
                    and compound.compound_class == CompoundClass.COMMODITY_HOUSING
                    and rng.random() < 0.2
                ):
                    plate = _plate(rng, plates)
                    vehicles.add(
                        (uuid.uuid4(), now, now, plate, household_id, compound.id, plate_is_new_energy(plate))
                    )
            placed += size
            if progress is not None:
                progress(size)
    # Households before residents, residents before their tags: foreign keys hold at every flush.
    for writer in (households, residents, tags, vehicles):
        writer.flush()
    report.residents, report.vehicles = residents.written, vehicles.written
    return report


# Other apps' demo data, run in order after places, residents and the demo logins exist. Each is a
# dotted path to `fn(*, scale_name: str, rng: random.Random) -> None`; add one line per app.
SEED_STEPS: list[str] = [
    "gatehouse.observation.demo.seed_observation",
    "gatehouse.volunteers.demo.seed_volunteers",
    "gatehouse.passes.seed.seed_passes",
    "gatehouse.returnees.seed.seed_key_areas_and_returnees",
    "gatehouse.gate.seed.seed_gate_events",
    "gatehouse.devices.seed.seed_wristbands",
]


def seed(
    *,
    scale_name: str,
    random_seed: int = 20200313,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
    demo_password: str | None = None,
) -> SeedReport:
    """Build the whole demo at `scale_name` in one transaction; with a password, the demo logins too."""
    from django.utils.module_loading import import_string

    from gatehouse.demo.accounts import demo_accounts_create

    scale = SCALES[scale_name]
    rng = random.Random(random_seed)
    with transaction.atomic():
        _district, compounds, report = seed_places(scale=scale, rng=rng)
        progress = progress_factory(scale.residents) if progress_factory else None
        people = seed_residents(compounds=compounds, total=scale.residents, rng=rng, progress=progress)
        if demo_password is not None:
            demo_accounts_create(password=demo_password)
        for step in SEED_STEPS:
            import_string(step)(scale_name=scale_name, rng=rng)
    report.households, report.residents, report.vehicles = (
        people.households,
        people.residents,
        people.vehicles,
    )
    return report
