"""Cases, follow-ups, self-reports, the overdue job and the release notice, with the clock frozen."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alerts_escalate_due
from gatehouse.core.audit import Actor
from gatehouse.core.models import AuditEntry
from gatehouse.observation import selectors
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.observation.notice import release_notice_pdf
from gatehouse.observation.services import (
    case_close,
    case_open,
    follow_up_record,
    follow_ups_overdue_raise,
    release_notice_export,
    self_report_submit,
)
from gatehouse.testing import BaseTestCase

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MONDAY_8 = dt.datetime(2020, 2, 17, 8, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 2, day, hour, minute, tzinfo=SH)


def pdf_text(pdf: bytes) -> str:
    """The text of an uncompressed reportlab PDF: its CID strings are UTF-16BE in PDF escapes."""
    chunks = []
    for raw in re.findall(rb"\((.*?)(?<!\\)\) Tj", pdf, flags=re.S):
        data = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), raw)
        data = re.sub(rb"\\(.)", rb"\1", data, flags=re.S)
        try:
            chunks.append(data.decode("utf-16-be"))
        except UnicodeDecodeError:
            chunks.append(data.decode("latin-1"))
    return "".join(chunks)


class CaseTestCase(BaseTestCase):
    def actor(self, user) -> Actor:
        return Actor(user_id=user.pk, label=user.label, role=user.role)

    def open_case(self, resident=None, kind=ObservationCase.Kind.HOME_OBSERVATION, when=MONDAY_8, **kw):
        with time_machine.travel(when, tick=False):
            return case_open(
                actor=self.actor(self.worker_a),
                resident=resident or self.wang_fang,
                kind=kind,
                reason="自武汉返沪",
                **kw,
            )

    def follow_up(self, case, when, temperature="36.5", **kw):
        with time_machine.travel(when, tick=False):
            return follow_up_record(
                scope=self.worker_a.scope,
                actor=self.actor(self.worker_a),
                case=case,
                method=FollowUp.Method.PHONE,
                temperature_c=temperature,
                **kw,
            )


class OpenCloseTest(CaseTestCase):
    def test_opening_sets_the_policy_length_the_colour_and_the_first_deadline(self):
        case = self.open_case()
        self.assertEqual((case.starts_on, case.ends_on), (dt.date(2020, 2, 17), dt.date(2020, 3, 2)))
        self.assertEqual(case.next_follow_up_due, at(17, 12))
        self.assertEqual(case.follow_up_alert_at, at(17, 12))
        self.wang_fang.refresh_from_db()
        self.assertEqual(self.wang_fang.health_colour, "red")
        self.assertTrue(AuditEntry.objects.filter(object_type="observation_case", action="create").exists())

    def test_a_second_active_case_is_refused(self):
        self.open_case()
        with self.assertRaises(ValidationError) as ctx:
            self.open_case()
        self.assertIn("resident", ctx.exception.message_dict)

    def test_a_street_officer_may_not_open_one(self):
        with self.assertRaises(PermissionDenied):
            self.open_case(scope=self.street_officer.scope)

    def test_release_waits_for_the_end_and_then_turns_the_pass_green(self):
        case = self.open_case()
        with time_machine.travel(at(20, 10), tick=False), self.assertRaises(ValidationError) as ctx:
            case_close(actor=self.actor(self.worker_a), case=case, status="released")
        self.assertIn("2020-03-02", ctx.exception.message_dict["status"][0])
        with time_machine.travel(dt.datetime(2020, 3, 2, 9, 0, tzinfo=SH), tick=False):
            closed = case_close(
                actor=self.actor(self.worker_a), case=case, status="released", note="期满无症状"
            )
        self.assertEqual(
            (closed.status, closed.next_follow_up_due, closed.follow_up_alert_at), ("released", None, None)
        )
        self.wang_fang.refresh_from_db()
        self.assertEqual(self.wang_fang.health_colour, "green")
        with self.assertRaises(ValidationError):
            case_close(actor=self.actor(self.worker_a), case=case, status="hospital")

    def test_a_transfer_to_hospital_is_possible_any_day(self):
        case = self.open_case()
        with time_machine.travel(at(18, 10), tick=False):
            self.assertEqual(
                case_close(actor=self.actor(self.worker_a), case=case, status="hospital").status, "hospital"
            )


class FollowUpTest(CaseTestCase):
    def test_a_follow_up_moves_the_deadline_and_keeps_the_needs(self):
        case = self.open_case()
        done = self.follow_up(case, at(17, 9, 30), needs=["food", "rubbish"], symptoms=[])
        case.refresh_from_db()
        self.assertEqual((case.next_follow_up_due, case.last_follow_up_at), (at(17, 18), at(17, 9, 30)))
        self.assertEqual((done.slot_due, done.needs, done.fever), (at(17, 12), ["food", "rubbish"], False))
        self.assertFalse(Alert.objects.exists())

    def test_fever_raises_a_symptom_alert_with_evidence(self):
        case = self.open_case()
        self.follow_up(case, at(17, 9), temperature="37.8")
        alert = Alert.objects.get(kind=Alert.Kind.SYMPTOM_REPORT)
        self.assertEqual(
            (alert.severity, alert.neighbourhood_id, alert.subject_resident_id),
            (3, self.nb_a.id, self.wang_fang.id),
        )
        self.assertEqual(alert.evidence[0]["temp_c"], "37.8")

    def test_bad_input_names_the_field(self):
        case = self.open_case()
        for temperature in ("98.6", "NaN", "", "abc", None):
            with self.assertRaises(ValidationError) as ctx:
                self.follow_up(case, at(17, 9), temperature=temperature)
            self.assertIn("temperature_c", ctx.exception.message_dict, temperature)
        with self.assertRaises(ValidationError) as ctx:
            self.follow_up(case, at(17, 9), symptoms=["sneezing"])
        self.assertIn("symptoms", ctx.exception.message_dict)
        with self.assertRaises(ValidationError) as ctx:
            follow_up_record(
                scope=self.worker_a.scope,
                actor=self.actor(self.worker_a),
                case=case,
                method="self_report",
                temperature_c="36.5",
            )
        self.assertIn("method", ctx.exception.message_dict)


class OverdueTest(CaseTestCase):
    def test_the_job_raises_one_alert_per_missed_deadline_and_a_follow_up_resolves_it(self):
        case = self.open_case()
        self.assertEqual(follow_ups_overdue_raise(now=at(17, 11, 59)), 0)
        self.assertEqual(follow_ups_overdue_raise(now=at(17, 12)), 1)
        self.assertEqual(follow_ups_overdue_raise(now=at(17, 12, 30)), 0)  # claimed: not again
        alert = Alert.objects.get(kind=Alert.Kind.FOLLOW_UP_OVERDUE)
        self.assertEqual((alert.subject_resident_id, alert.status), (self.wang_fang.id, "open"))
        with time_machine.travel(at(17, 12), tick=False):
            self.assertEqual(
                [
                    c.is_overdue
                    for c in selectors.worklist(scope=self.worker_a.scope, now=at(17, 12, 5)).cases
                ],
                [True],
            )
        self.follow_up(case, at(17, 13))
        alert.refresh_from_db()
        self.assertEqual(alert.status, "resolved")
        case.refresh_from_db()
        self.assertEqual(case.follow_up_alert_at, at(18, 12))
        self.assertEqual(follow_ups_overdue_raise(now=at(18, 12)), 1)
        self.assertEqual(Alert.objects.filter(kind=Alert.Kind.FOLLOW_UP_OVERDUE).count(), 2)

    def test_an_ignored_overdue_alert_escalates_to_the_street(self):
        self.open_case()
        follow_ups_overdue_raise(now=at(17, 12))
        self.assertEqual(alerts_escalate_due(now=at(17, 12, 15)), 1)
        self.assertEqual(Alert.objects.get().level, "street")

    def test_closed_cases_are_never_overdue(self):
        case = self.open_case()
        with time_machine.travel(at(17, 10), tick=False):
            case_close(actor=self.actor(self.worker_a), case=case, status="central_quarantine")
        self.assertEqual(follow_ups_overdue_raise(now=at(25, 12)), 0)


class SelfReportTest(CaseTestCase):
    def test_health_monitoring_is_kept_on_time_by_self_reports(self):
        case = self.open_case(kind=ObservationCase.Kind.HEALTH_MONITORING)
        self.assertEqual(case.next_follow_up_due, at(17, 20))
        with time_machine.travel(at(17, 19), tick=False):
            self_report_submit(
                scope=self.resident_user.scope,
                actor=self.actor(self.resident_user),
                case=case,
                temperature_c="36.4",
            )
        case.refresh_from_db()
        self.assertEqual(case.next_follow_up_due, at(18, 20))
        self.assertEqual(follow_ups_overdue_raise(now=at(18, 20)), 1)
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.evidence[0]["due"]), ("follow_up_overdue", "2020-02-18 20:00"))

    def test_symptoms_in_a_self_report_raise_an_alert(self):
        case = self.open_case(kind=ObservationCase.Kind.HEALTH_MONITORING)
        with time_machine.travel(at(17, 19), tick=False):
            self_report_submit(
                scope=self.resident_user.scope,
                actor=self.actor(self.resident_user),
                case=case,
                temperature_c="36.9",
                symptoms=["cough"],
            )
        alert = Alert.objects.get()
        self.assertEqual((alert.kind, alert.severity), (Alert.Kind.SYMPTOM_REPORT, Alert.Severity.MEDIUM))

    def test_nobody_reports_for_someone_else(self):
        case = self.open_case(resident=self.li_wei, kind=ObservationCase.Kind.HEALTH_MONITORING)
        with self.assertRaises(PermissionDenied):
            self_report_submit(
                scope=self.resident_user.scope,
                actor=self.actor(self.resident_user),
                case=case,
                temperature_c="36.4",
            )

    def test_a_self_report_does_not_replace_the_workers_home_follow_up(self):
        case = self.open_case()
        with time_machine.travel(at(17, 9), tick=False):
            self_report_submit(
                scope=self.resident_user.scope,
                actor=self.actor(self.resident_user),
                case=case,
                temperature_c="36.4",
            )
        case.refresh_from_db()
        self.assertEqual(case.next_follow_up_due, at(17, 12))


class ReleaseNoticeTest(CaseTestCase):
    def test_the_notice_is_a_chinese_pdf_with_the_period_and_is_audited(self):
        case = self.open_case()
        with time_machine.travel(dt.datetime(2020, 3, 2, 9, 0, tzinfo=SH), tick=False):
            case = case_close(actor=self.actor(self.worker_a), case=case, status="released")
        with translation.override("zh-hans"):
            pdf = release_notice_pdf(case=case, compress=False)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        for expected in ("解除", "王芳", "2020-02-17", "2020-03-02", "A居民区", "110105********002X"):
            self.assertIn(expected, text)
        self.assertNotIn("11010519491231002X", text)
        before = AuditEntry.objects.filter(action="export").count()
        self.assertTrue(release_notice_export(actor=self.actor(self.worker_a), case=case).startswith(b"%PDF"))
        self.assertEqual(AuditEntry.objects.filter(action="export").count(), before + 1)

    def test_an_active_case_has_no_notice(self):
        with self.assertRaises(ValidationError):
            release_notice_export(actor=self.actor(self.worker_a), case=self.open_case())


class WorklistTest(CaseTestCase):
    def test_it_lists_overdue_first_and_counts_the_day(self):
        late = self.open_case(when=at(16, 8))
        on_time = self.open_case(resident=self.employee, when=at(16, 8))
        self.follow_up(late, at(16, 9))
        self.follow_up(on_time, at(16, 9))
        self.follow_up(on_time, at(17, 9))
        other = self.open_case(resident=self.li_wei, when=at(16, 8))
        work = selectors.worklist(scope=self.worker_a.scope, now=at(17, 10))
        self.assertEqual([c.id for c in work.cases], [late.id, on_time.id])
        self.assertNotIn(other.id, [c.id for c in work.cases])
        self.assertEqual((work.overdue, work.due_today, work.done_today), (1, 1, 1))
        self.assertEqual(selectors.worklist(scope=self.gate_a.scope).cases, [])

    def test_the_worklist_reads_in_a_fixed_number_of_queries(self):
        for resident in (self.wang_fang, self.employee):
            case = self.open_case(resident=resident)
            self.follow_up(case, at(17, 9), needs=["food"])
        with self.assertNumQueries(3):
            work = selectors.worklist(scope=self.worker_a.scope, now=at(17, 10))
        self.assertEqual(work.cases[0].need_labels, [str(FollowUp.Need.FOOD.label)])


class DemoSeedTest(BaseTestCase):
    def test_the_seed_step_fills_worker_as_worklist(self):
        import random

        from gatehouse.observation.demo import seed_observation

        seed_observation(scale_name="tiny", rng=random.Random(1))
        work = selectors.worklist(scope=self.worker_a.scope)
        # The tiny world has one resident without a login in A, plus the demo resident's monitoring.
        self.assertEqual(sorted(c.kind for c in work.cases), ["health_monitoring", "home_observation"])
        self.assertTrue(Decimal("34") <= FollowUp.objects.first().temperature_c <= Decimal("43"))
        self.assertEqual(selectors.own_active_case(scope=self.resident_user.scope).kind, "health_monitoring")
        self.assertEqual(selectors.case_list(scope=self.worker_b.scope).count(), 1)
