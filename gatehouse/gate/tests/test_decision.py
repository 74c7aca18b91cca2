"""The gate decision, rule by rule, then as properties over every combination hypothesis can draw."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.test import SimpleTestCase
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from gatehouse.gate.decision import (
    AlertKind,
    CheckFacts,
    GateFacts,
    Outcome,
    RegimeFacts,
    SubjectFacts,
    SubjectKind,
    TemperatureStatus,
    decide,
    gate_is_open_at,
    next_steps,
    reason_labels,
    temperature_read,
)

RESIDENT = SubjectFacts(kind=SubjectKind.RESIDENT, colour="green")


def check(**overrides) -> CheckFacts:
    values: dict[str, Any] = {
        "gate": GateFacts(),
        "regime": RegimeFacts(),
        "subject": RESIDENT,
        "direction": "in",
        "temperature": "36.6",
    }
    values.update(overrides)
    return CheckFacts(**values)


class TemperatureTest(SimpleTestCase):
    def test_it_reads_plain_readings_and_rounds_half_up(self):
        self.assertEqual(temperature_read("36.6").value, Decimal("36.6"))
        self.assertEqual(temperature_read(" 37 ").value, Decimal("37.0"))
        self.assertEqual(temperature_read(37.25).value, Decimal("37.3"))
        self.assertEqual(temperature_read(37.25).status, TemperatureStatus.FEVER)
        self.assertEqual(temperature_read(Decimal("36.9")).status, TemperatureStatus.NORMAL)

    def test_it_refuses_to_trust_odd_readings(self):
        for raw in (
            "37,5",
            "NaN",
            "nan",
            float("nan"),
            float("inf"),
            "abc",
            "3 7",
            "37.5°",
            "375",
            True,
            [],
            "-37",
        ):
            self.assertEqual(temperature_read(raw).status, TemperatureStatus.IMPLAUSIBLE, repr(raw))
        for raw in ("33.9", "42.6", 30, 45.0):
            self.assertEqual(temperature_read(raw).status, TemperatureStatus.IMPLAUSIBLE, repr(raw))

    def test_empty_is_not_taken(self):
        for raw in (None, "", "   "):
            self.assertEqual(temperature_read(raw).status, TemperatureStatus.NOT_TAKEN)

    def test_the_edges_of_the_plausible_range_and_the_fever_line(self):
        self.assertEqual(temperature_read("34.0").status, TemperatureStatus.NORMAL)
        self.assertEqual(temperature_read("42.5").status, TemperatureStatus.FEVER)
        self.assertEqual(temperature_read("37.2").status, TemperatureStatus.NORMAL)
        self.assertEqual(temperature_read("37.3").status, TemperatureStatus.FEVER)
        self.assertEqual(
            temperature_read("37.3", fever_line=Decimal("37.5")).status, TemperatureStatus.NORMAL
        )


class RulesTest(SimpleTestCase):
    def test_a_green_resident_with_a_normal_reading_is_let_in(self):
        decision = decide(check())
        self.assertEqual((decision.outcome, decision.reasons), (Outcome.LET_IN, ("resident",)))
        self.assertEqual(decision.alerts, frozenset())

    def test_a_sealed_gate_refuses_everyone_even_an_ambulance(self):
        for kind in SubjectKind:
            decision = decide(check(gate=GateFacts(status="sealed"), subject=SubjectFacts(kind=kind)))
            self.assertEqual(decision.outcome, Outcome.REFUSE, kind)
            self.assertEqual(decision.reasons[0], "gate_sealed")

    def test_an_unoccupied_area_refuses_everyone_in_and_out(self):
        for direction in ("in", "out"):
            decision = decide(check(regime=RegimeFacts(no_entry=True), direction=direction))
            self.assertEqual((decision.outcome, decision.reasons), (Outcome.REFUSE, ("area_no_entry",)))

    def test_a_fever_at_a_sealed_gate_still_raises_the_alert(self):
        decision = decide(check(gate=GateFacts(status="sealed"), temperature="38.4"))
        self.assertEqual(decision.outcome, Outcome.REFUSE)
        self.assertIn(AlertKind.FEVER, decision.alerts)

    def test_home_observation_going_out_is_refused_with_an_alert(self):
        subject = SubjectFacts(kind=SubjectKind.RESIDENT, colour="red", open_case="home_observation")
        decision = decide(check(subject=subject, direction="out", temperature=None))
        self.assertEqual(decision.outcome, Outcome.REFUSE)
        self.assertEqual(decision.reasons, ("home_observation_exit",))
        self.assertEqual(decision.alerts, frozenset({AlertKind.OBSERVATION_EXIT}))

    def test_an_open_case_counts_even_before_the_colour_changed(self):
        subject = SubjectFacts(kind=SubjectKind.RESIDENT, colour="green", open_case="home_observation")
        self.assertEqual(decide(check(subject=subject, direction="out")).outcome, Outcome.REFUSE)

    def test_home_observation_coming_back_is_let_home_with_an_alert(self):
        subject = SubjectFacts(kind=SubjectKind.RESIDENT, colour="red")
        decision = decide(check(subject=subject))
        self.assertEqual(decision.outcome, Outcome.LET_IN)
        self.assertEqual(decision.alerts, frozenset({AlertKind.OBSERVATION_EXIT}))

    def test_fever_escalates_at_once_with_the_fever_steps(self):
        decision = decide(check(temperature="37.8"))
        self.assertEqual((decision.outcome, decision.reasons), (Outcome.ESCALATE, ("fever",)))
        self.assertEqual(decision.alerts, frozenset({AlertKind.FEVER}))
        with translation.override("en"):
            self.assertIn("temporary observation point", next_steps(decision)[0])

    def test_the_district_sets_the_fever_line(self):
        self.assertEqual(
            decide(check(temperature="37.4", fever_line=Decimal("37.5"))).outcome, Outcome.LET_IN
        )
        self.assertEqual(
            decide(check(temperature="37.5", fever_line=Decimal("37.5"))).outcome, Outcome.ESCALATE
        )

    def test_a_fever_with_a_bad_pass_escalates_and_names_both(self):
        subject = SubjectFacts(kind=SubjectKind.UNIDENTIFIED, refusal="token_forged")
        decision = decide(check(subject=subject, temperature="38.0"))
        self.assertEqual((decision.outcome, decision.reasons), (Outcome.ESCALATE, ("fever", "token_forged")))

    def test_implausible_readings_ask_to_measure_again(self):
        for raw in ("37,5", "NaN", "45", "33"):
            decision = decide(check(temperature=raw))
            self.assertEqual(decision.outcome, Outcome.REMEASURE, raw)
            self.assertEqual(decision.reasons, ("temperature_implausible",))

    def test_a_missing_reading_coming_in_asks_for_one(self):
        self.assertEqual(decide(check(temperature="")).outcome, Outcome.REMEASURE)
        self.assertEqual(decide(check(temperature=None, direction="out")).outcome, Outcome.LET_IN)
        no_check = RegimeFacts(temperature_check=False)
        self.assertEqual(decide(check(temperature=None, regime=no_check)).outcome, Outcome.LET_IN)

    def test_an_unregistered_returnee_goes_to_registration(self):
        decision = decide(check(declares_arrival=True))
        self.assertEqual((decision.outcome, decision.reasons), (Outcome.REGISTER, ("returnee_unregistered",)))
        self.assertEqual(
            decide(check(declares_arrival=True, returnee_registered=True)).outcome, Outcome.LET_IN
        )
        no_questions = RegimeFacts(question_returnees=False)
        self.assertEqual(decide(check(declares_arrival=True, regime=no_questions)).outcome, Outcome.LET_IN)

    def test_visitors_follow_the_class_rule(self):
        with_host = SubjectFacts(kind=SubjectKind.VISITOR, has_host_household=True)
        without = SubjectFacts(kind=SubjectKind.VISITOR)
        self.assertEqual(decide(check(subject=with_host)).reasons, ("visitor_registered",))
        self.assertEqual(decide(check(subject=without)).reasons, ("visitor_needs_host",))
        refused = RegimeFacts(visitor_rule="refused")
        self.assertEqual(decide(check(subject=with_host, regime=refused)).reasons, ("visitor_refused",))
        self.assertEqual(
            decide(check(subject=with_host, declares_arrival=True)).reasons, ("visitor_from_outside",)
        )

    def test_a_resident_of_another_compound_is_a_visitor(self):
        other = SubjectFacts(kind=SubjectKind.OTHER_RESIDENT, colour="green", has_host_household=True)
        self.assertEqual(decide(check(subject=other)).outcome, Outcome.LET_IN)
        red = SubjectFacts(kind=SubjectKind.OTHER_RESIDENT, colour="red", has_host_household=True)
        self.assertEqual(decide(check(subject=red)).reasons, ("visitor_under_observation",))

    def test_couriers_are_pointed_to_the_pick_up_point(self):
        decision = decide(check(subject=SubjectFacts(kind=SubjectKind.COURIER)))
        self.assertEqual((decision.outcome, decision.reasons), (Outcome.REFUSE, ("courier_no_entry",)))
        with translation.override("en"):
            self.assertIn("东门快递架", next_steps(decision, pickup_point="东门快递架")[0])

    def test_staff_on_duty_and_ambulances_pass(self):
        staff = SubjectFacts(kind=SubjectKind.STAFF, on_duty=True)
        self.assertEqual(decide(check(subject=staff, temperature=None)).reasons, ("staff_on_duty",))
        ambulance = SubjectFacts(kind=SubjectKind.EMERGENCY)
        self.assertEqual(decide(check(subject=ambulance, temperature=None)).reasons, ("emergency_vehicle",))
        night = GateFacts(opens_at=dt.time(6), closes_at=dt.time(22))
        self.assertEqual(
            decide(check(subject=ambulance, gate=night, local_time=dt.time(23, 30))).outcome, Outcome.LET_IN
        )
        off_duty = SubjectFacts(kind=SubjectKind.STAFF, on_duty=False)
        self.assertEqual(decide(check(subject=off_duty)).reasons, ("visitor_needs_host",))

    def test_closed_hours_refuse_all_but_staff_on_duty(self):
        night = GateFacts(opens_at=dt.time(6), closes_at=dt.time(22))
        self.assertEqual(decide(check(gate=night, local_time=dt.time(23))).reasons, ("gate_closed_hours",))
        self.assertEqual(decide(check(gate=night, local_time=dt.time(21, 59))).outcome, Outcome.LET_IN)
        staff = SubjectFacts(kind=SubjectKind.STAFF, on_duty=True)
        self.assertEqual(
            decide(check(gate=night, subject=staff, local_time=dt.time(2))).outcome, Outcome.LET_IN
        )

    def test_overnight_hours(self):
        overnight = GateFacts(opens_at=dt.time(22), closes_at=dt.time(6))
        self.assertTrue(gate_is_open_at(overnight, dt.time(23)))
        self.assertTrue(gate_is_open_at(overnight, dt.time(5, 59)))
        self.assertFalse(gate_is_open_at(overnight, dt.time(12)))

    def test_vehicles(self):
        car = SubjectFacts(kind=SubjectKind.VEHICLE)
        unknown = SubjectFacts(kind=SubjectKind.UNKNOWN_VEHICLE)
        self.assertEqual(decide(check(subject=car, temperature=None)).reasons, ("registered_vehicle",))
        self.assertEqual(decide(check(subject=unknown, temperature=None)).reasons, ("unknown_vehicle",))
        open_lane = RegimeFacts(registered_vehicles_only=False)
        self.assertEqual(
            decide(check(subject=unknown, regime=open_lane, temperature=None)).reasons,
            ("visitor_needs_host",),
        )
        no_lane = GateFacts(has_vehicle_lane=False)
        self.assertEqual(decide(check(subject=car, gate=no_lane)).reasons, ("no_vehicle_lane",))

    def test_a_bad_pass_is_refused_with_its_reason(self):
        for code in (
            "token_forged",
            "token_expired",
            "token_replayed",
            "pass_revoked",
            "pass_other_compound",
        ):
            subject = SubjectFacts(kind=SubjectKind.UNIDENTIFIED, refusal=code)
            decision = decide(check(subject=subject))
            self.assertEqual((decision.outcome, decision.reasons), (Outcome.REFUSE, (code,)))
            self.assertNotEqual(reason_labels(decision.reasons), [code])

    def test_every_reason_has_words_in_both_languages(self):
        from gatehouse.gate.decision import REASON_LABELS

        with translation.override("zh-hans"):
            untranslated = [k for k, v in REASON_LABELS.items() if str(v).isascii()]
        self.assertEqual(untranslated, [])


# --- properties ---------------------------------------------------------------------------------

temperatures = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=30, max_value=45, places=1),
    st.text(max_size=8),
    st.sampled_from(["37,5", "NaN", "", "36.6", "37.3", "38", "42.5", "34.0", "33.9", "42.6"]),
)
times = st.times()
gates = st.builds(
    GateFacts,
    status=st.sampled_from(["open", "main_passage_only", "sealed"]),
    opens_at=st.one_of(st.none(), times),
    closes_at=st.one_of(st.none(), times),
    has_vehicle_lane=st.booleans(),
)
regimes = st.builds(
    RegimeFacts,
    closed_management=st.booleans(),
    question_returnees=st.booleans(),
    temperature_check=st.booleans(),
    no_entry=st.booleans(),
    visitor_rule=st.sampled_from(["registered_visit", "refused"]),
    registered_vehicles_only=st.booleans(),
)
subjects = st.builds(
    SubjectFacts,
    kind=st.sampled_from(list(SubjectKind)),
    colour=st.sampled_from([None, "green", "yellow", "red"]),
    open_case=st.sampled_from([None, "home_observation", "health_monitoring"]),
    on_duty=st.booleans(),
    has_host_household=st.booleans(),
    refusal=st.sampled_from([None, "token_forged", "token_replayed", "pass_revoked", "card_unknown"]),
)
facts = st.builds(
    CheckFacts,
    gate=gates,
    regime=regimes,
    subject=subjects,
    direction=st.sampled_from(["in", "out"]),
    temperature=temperatures,
    fever_line=st.decimals(min_value=Decimal("37.0"), max_value=Decimal("38.5"), places=1),
    local_time=times,
    declares_arrival=st.booleans(),
    returnee_registered=st.booleans(),
)


def _implausible(raw) -> bool:
    return temperature_read(raw).status == TemperatureStatus.IMPLAUSIBLE


class PropertiesTest(SimpleTestCase):
    @settings(max_examples=600, deadline=None)
    @given(facts)
    def test_no_one_with_a_fever_is_ever_let_through(self, f):
        decision = decide(f)
        if decision.reading.status == TemperatureStatus.FEVER:
            self.assertNotEqual(decision.outcome, Outcome.LET_IN)
            self.assertIn(AlertKind.FEVER, decision.alerts)
            if f.gate.status != "sealed" and not f.regime.no_entry:
                self.assertEqual(decision.outcome, Outcome.ESCALATE)

    @settings(max_examples=400, deadline=None)
    @given(facts)
    def test_a_sealed_gate_always_refuses(self, f):
        if f.gate.status == "sealed" or f.regime.no_entry:
            self.assertEqual(decide(f).outcome, Outcome.REFUSE)

    @settings(max_examples=600, deadline=None)
    @given(facts)
    def test_an_implausible_reading_never_decides(self, f):
        decision = decide(f)
        if _implausible(f.temperature) and f.gate.status != "sealed" and not f.regime.no_entry:
            self.assertEqual(decision.outcome, Outcome.REMEASURE)
        if decision.outcome == Outcome.REMEASURE:
            self.assertIn(decision.reasons[0], {"temperature_implausible", "temperature_missing"})

    @settings(max_examples=400, deadline=None)
    @given(facts)
    def test_home_observation_never_goes_out(self, f):
        under = f.subject.colour == "red" or f.subject.open_case == "home_observation"
        if (
            under
            and f.direction == "out"
            and f.subject.kind
            not in (
                SubjectKind.VEHICLE,
                SubjectKind.UNKNOWN_VEHICLE,
                SubjectKind.EMERGENCY,
            )
        ):
            self.assertNotEqual(decide(f).outcome, Outcome.LET_IN)

    @settings(max_examples=400, deadline=None)
    @given(facts)
    def test_every_decision_has_reasons_and_a_step(self, f):
        decision = decide(f)
        self.assertTrue(decision.reasons)
        self.assertTrue(all(r for r in decision.reasons))
        self.assertTrue(next_steps(decision))
        self.assertEqual(decide(f), decision)  # pure: same facts, same decision

    @settings(max_examples=300, deadline=None)
    @given(facts)
    def test_couriers_and_failed_passes_never_enter(self, f):
        decision = decide(f)
        failed_pass = f.subject.refusal and f.subject.kind != SubjectKind.EMERGENCY
        if failed_pass or (f.subject.kind == SubjectKind.COURIER and f.direction == "in"):
            self.assertNotEqual(decision.outcome, Outcome.LET_IN)

    @settings(max_examples=200, deadline=None)
    @given(st.floats(min_value=34.0, max_value=42.5))
    def test_any_plausible_float_is_read_within_range(self, value):
        reading = temperature_read(value)
        self.assertIn(reading.status, (TemperatureStatus.NORMAL, TemperatureStatus.FEVER))
        self.assertFalse(math.isnan(float(reading.value)))
