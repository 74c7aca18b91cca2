"""Demo data: the district's key areas as in February 2020, and a few registered returnees."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from gatehouse.core.audit import SYSTEM
from gatehouse.people.models import Resident
from gatehouse.places.models import District
from gatehouse.returnees.models import KeyArea, ReturneeRegistration
from gatehouse.returnees.services import ReturneeAnswers, returnee_register

KEY_AREAS = [
    ("湖北", "", dt.date(2020, 1, 23), None, "全省"),
    ("浙江", "温州", dt.date(2020, 1, 26), dt.date(2020, 2, 21), ""),
    ("河南", "信阳", dt.date(2020, 1, 28), dt.date(2020, 2, 20), ""),
    ("广东", "深圳", dt.date(2020, 1, 30), dt.date(2020, 2, 15), ""),
]
ORIGINS = [
    ("江苏", "南京", "train", "G7012"),
    ("安徽", "合肥", "coach", ""),
    ("湖北", "武汉", "car", "鄂A12345"),
]


def seed_key_areas_and_returnees(*, scale_name: str, rng: random.Random) -> None:
    district = District.objects.get(code="310101")
    if not KeyArea.objects.filter(district=district).exists():
        KeyArea.objects.bulk_create(
            KeyArea(district=district, province=p, city=c, starts_on=s, ends_on=e, note=n)
            for p, c, s, e, n in KEY_AREAS
        )
    if ReturneeRegistration.objects.exists():
        return
    today = timezone.localdate()
    residents = list(Resident.objects.filter(status=Resident.Status.ACTIVE).order_by("id")[:200])
    for resident, (province, city, transport, number) in zip(rng.sample(residents, 3), ORIGINS, strict=False):
        arrived = today - dt.timedelta(days=rng.randint(0, 5))
        returnee_register(
            actor=SYSTEM,
            resident=resident,
            answers=ReturneeAnswers(
                origin_province=province,
                origin_city=city,
                departed_on=arrived - dt.timedelta(days=1),
                arrived_on=arrived,
                transport=transport,
                transport_number=number,
                symptoms=["none"],
            ),
            via=ReturneeRegistration.Via.WORKER,
            today=today,
        )
