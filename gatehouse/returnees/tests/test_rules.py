"""Classifying returnees: pure rules over the answers and the district's key areas."""

import datetime as dt
from decimal import Decimal

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.returnees.rules import Classification, KeyAreaFacts, ReturneeFacts, Visit, classify

TODAY = dt.date(2020, 2, 20)
WUHAN = KeyAreaFacts("湖北省", "武汉", dt.date(2020, 1, 1), None)
WENZHOU = KeyAreaFacts("浙江", "温州市", dt.date(2020, 1, 20), dt.date(2020, 2, 10))


def facts(**overrides):
    values = {
        "origin_province": "江苏",
        "origin_city": "南京",
        "departed_on": dt.date(2020, 2, 18),
        "arrived_on": dt.date(2020, 2, 18),
    }
    values.update(overrides)
    return ReturneeFacts(**values)


def run(f, areas=(WUHAN, WENZHOU)):
    return classify(
        f, key_areas=areas, observation_days=14, monitoring_days=14, fever_line=Decimal("37.3"), today=TODAY
    )


class ClassifyTest(SimpleTestCase):
    def test_from_an_ordinary_city_is_health_monitoring_for_14_days(self):
        result = run(facts())
        self.assertEqual(result.classification, Classification.HEALTH_MONITORING)
        self.assertEqual((result.starts_on, result.ends_on), (dt.date(2020, 2, 18), dt.date(2020, 3, 3)))
        self.assertEqual(result.reasons, ("arrival_from_outside",))

    def test_from_a_key_area_is_home_observation(self):
        result = run(facts(origin_province="湖北", origin_city="武汉市"))
        self.assertEqual(
            (result.classification, result.reasons), (Classification.HOME_OBSERVATION, ("key_area_stay",))
        )

    def test_a_key_area_only_counts_within_its_dates_and_the_14_days(self):
        wenzhou_after = facts(origin_province="浙江", origin_city="温州")  # left 2-18, area ended 2-10
        self.assertEqual(run(wenzhou_after).classification, Classification.HOME_OBSERVATION)
        long_ago = facts(visits=(Visit("浙江", "温州", "stay", dt.date(2020, 1, 1), dt.date(2020, 1, 10)),))
        self.assertEqual(run(long_ago).classification, Classification.HEALTH_MONITORING)
        left_before = facts(
            origin_province="浙江",
            origin_city="温州",
            departed_on=dt.date(2020, 1, 15),
            arrived_on=dt.date(2020, 2, 18),
        )
        self.assertEqual(run(left_before).classification, Classification.HEALTH_MONITORING)

    def test_a_transit_is_monitoring_with_its_reason(self):
        transit = facts(
            visits=(Visit("湖北", "武汉", "transit", dt.date(2020, 2, 17), dt.date(2020, 2, 17)),)
        )
        self.assertEqual(run(transit).reasons, ("key_area_transit",))

    def test_contacts_symptoms_and_fever_mean_home_observation(self):
        for overrides, reason in (
            ({"contact_confirmed": True}, "contact_confirmed"),
            ({"contact_suspected": True}, "contact_suspected"),
            ({"symptoms": ("cough",)}, "symptoms"),
            ({"temperature": Decimal("37.5")}, "fever"),
        ):
            result = run(facts(**overrides))
            self.assertEqual(
                (result.classification, result.reasons), (Classification.HOME_OBSERVATION, (reason,))
            )
        self.assertEqual(run(facts(symptoms=("none",))).classification, Classification.HEALTH_MONITORING)

    def test_a_period_already_over_needs_nothing(self):
        old = facts(departed_on=dt.date(2020, 1, 20), arrived_on=dt.date(2020, 2, 1))
        self.assertEqual(run(old).classification, Classification.PERIOD_OVER)

    def test_the_district_sets_the_lengths(self):
        result = classify(
            facts(contact_confirmed=True),
            key_areas=[],
            observation_days=21,
            monitoring_days=7,
            fever_line=Decimal("37.3"),
            today=TODAY,
        )
        self.assertEqual(result.ends_on, dt.date(2020, 3, 10))

    @settings(max_examples=300, deadline=None)
    @given(
        st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2020, 3, 1)),
        st.integers(min_value=0, max_value=30),
        st.booleans(),
        st.booleans(),
        st.sampled_from(["湖北", "浙江", "江苏", "广东"]),
    )
    def test_exposure_never_gives_less_than_monitoring(self, arrived, travel_days, confirmed, key, province):
        f = facts(
            origin_province=province,
            origin_city="武汉" if province == "湖北" else "某市",
            arrived_on=arrived,
            departed_on=arrived - dt.timedelta(days=travel_days),
            contact_confirmed=confirmed,
        )
        result = run(f)
        self.assertGreaterEqual(result.ends_on, result.starts_on)
        if result.classification != Classification.PERIOD_OVER and (
            confirmed or (province == "湖北" and travel_days <= 14)
        ):
            self.assertEqual(result.classification, Classification.HOME_OBSERVATION)
