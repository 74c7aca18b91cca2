"""The alert queue: dedupe, take, assign, resolve, escalation by the clock, and notices that survive
broken gateways. Time is frozen with time-machine; the SMS gateway is a real HTTP server on
127.0.0.1 standing in for the provider."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from typing import Any
from unittest import mock

import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from gatehouse.alerts import channels
from gatehouse.alerts.models import Alert, AlertEvent, Contact, Notification
from gatehouse.alerts.services import (
    NOTIFY_MAX_ATTEMPTS,
    alert_acknowledge,
    alert_assign,
    alert_raise,
    alert_resolve,
    alert_resolve_by_key,
    alerts_escalate_due,
    notifications_deliver_due,
    notifications_purge,
    recipients_for,
)
from gatehouse.core.audit import Actor
from gatehouse.core.models import AuditEntry
from gatehouse.testing import BaseTestCase

T0 = dt.datetime(2020, 2, 20, 9, 0, tzinfo=dt.UTC)


class AlertTestCase(BaseTestCase):
    def raise_one(self, key: str = "k1", at: dt.datetime = T0, **kw) -> Alert:
        args: dict[str, Any] = {
            "kind": Alert.Kind.GATE_FEVER,
            "severity": Alert.Severity.HIGH,
            "neighbourhood": self.nb_a,
            "compound": self.compound_a1,
            "subject": self.wang_fang,
            "title": "发热 38.1",
            "dedupe_key": key,
            "evidence": {"temp_c": "38.1"},
            "at": at,
        }
        args.update(kw)
        alert, _created = alert_raise(**args)
        return alert

    def actor(self, user) -> Actor:
        return Actor(user_id=user.pk, label=user.label, role=user.role)


class RaiseTest(AlertTestCase):
    def test_it_opens_one_alert_per_key_and_absorbs_repeats(self):
        first = self.raise_one()
        again, created = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.CRITICAL,
            neighbourhood=self.nb_a,
            title="x",
            dedupe_key="k1",
            evidence={"temp_c": "39.0"},
        )
        self.assertFalse(created)
        self.assertEqual(again.id, first.id)
        again.refresh_from_db()
        self.assertEqual((again.evidence_count, again.severity), (2, Alert.Severity.CRITICAL))
        self.assertEqual(again.subject_label, "王*")

    def test_it_queues_one_notice_per_channel_and_a_timeline_entry(self):
        alert = self.raise_one()
        self.assertEqual(
            list(alert.notifications.values_list("channel", "level", "reason", "status")),
            [("log", "neighbourhood", "raised", "pending")],
        )
        self.assertEqual(list(alert.events.values_list("kind", flat=True)), ["raised"])
        self.assertEqual(alert.escalate_at, T0 + dt.timedelta(minutes=15))

    def test_a_resolved_key_opens_a_new_alert(self):
        alert = self.raise_one()
        alert_resolve(
            scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=alert, note="复测正常"
        )
        self.assertNotEqual(self.raise_one().id, alert.id)


class HandleTest(AlertTestCase):
    def test_taking_an_alert_stops_its_escalation_and_is_audited(self):
        alert = alert_acknowledge(
            scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=self.raise_one()
        )
        self.assertEqual(
            (alert.status, alert.escalate_at, alert.assignee_id), ("acknowledged", None, self.worker_a.pk)
        )
        entry = AuditEntry.objects.filter(object_type="alert").first()
        self.assertEqual((entry.actor_label, entry.subject_resident_id), ("李娜", self.wang_fang.id))

    def test_resolving_needs_a_note(self):
        alert = self.raise_one()
        with self.assertRaises(ValidationError) as ctx:
            alert_resolve(scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=alert, note="  ")
        self.assertIn("note", ctx.exception.message_dict)
        done = alert_resolve(
            scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=alert, note="已送发热门诊"
        )
        self.assertEqual(
            (done.status, done.resolution_note, done.resolved_by), ("resolved", "已送发热门诊", "李娜")
        )
        with self.assertRaises(ValidationError):
            alert_resolve(
                scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=alert, note="again"
            )
        self.assertEqual(list(done.events.values_list("kind", flat=True)), ["raised", "resolved"])

    def test_a_role_without_the_capability_cannot_handle(self):
        with self.assertRaises(PermissionDenied):
            alert_acknowledge(scope=self.gate_a.scope, actor=self.actor(self.gate_a), alert=self.raise_one())

    def test_it_assigns_only_to_someone_who_reaches_the_alert(self):
        alert = self.raise_one()
        with self.assertRaises(ValidationError):
            alert_assign(
                scope=self.street_officer.scope,
                actor=self.actor(self.street_officer),
                alert=alert,
                assignee=self.worker_b,
            )
        done = alert_assign(
            scope=self.street_officer.scope,
            actor=self.actor(self.street_officer),
            alert=alert,
            assignee=self.worker_a,
        )
        self.assertEqual(
            (done.assignee_id, done.status, done.escalate_at), (self.worker_a.pk, "acknowledged", None)
        )

    def test_resolve_by_key_closes_the_open_alert_of_that_key(self):
        alert = self.raise_one(key="case:x:follow_up_overdue")
        self.assertIsNone(
            alert_resolve_by_key(dedupe_key="nothing", actor=self.actor(self.worker_a), note="n")
        )
        alert_resolve_by_key(
            dedupe_key="case:x:follow_up_overdue", actor=self.actor(self.worker_a), note="已随访"
        )
        alert.refresh_from_db()
        self.assertEqual((alert.status, alert.resolution_note), ("resolved", "已随访"))


class EscalationTest(AlertTestCase):
    def test_an_alert_nobody_takes_climbs_to_the_street_then_the_district(self):
        alert = self.raise_one()
        self.assertEqual(alerts_escalate_due(now=T0 + dt.timedelta(minutes=14, seconds=59)), 0)
        at_15 = T0 + dt.timedelta(minutes=15)
        self.assertEqual(alerts_escalate_due(now=at_15), 1)
        alert.refresh_from_db()
        self.assertEqual(
            (alert.level, alert.escalated_at, alert.escalate_at),
            ("street", at_15, at_15 + dt.timedelta(minutes=15)),
        )
        self.assertEqual(alerts_escalate_due(now=at_15 + dt.timedelta(minutes=1)), 0)
        self.assertEqual(alerts_escalate_due(now=at_15 + dt.timedelta(minutes=15)), 1)
        alert.refresh_from_db()
        self.assertEqual((alert.level, alert.escalate_at), ("district", None))
        self.assertEqual(alerts_escalate_due(now=at_15 + dt.timedelta(hours=5)), 0)
        self.assertEqual(
            list(alert.notifications.order_by("created_at").values_list("level", "reason")),
            [("neighbourhood", "raised"), ("street", "escalated"), ("district", "escalated")],
        )
        self.assertEqual(
            list(alert.events.values_list("kind", "level")),
            [("raised", "neighbourhood"), ("escalated", "street"), ("escalated", "district")],
        )

    def test_the_districts_setting_sets_the_wait(self):
        self.district.alert_escalation_minutes = 5
        self.district.save()
        alert = self.raise_one()
        self.assertEqual(alert.escalate_at, T0 + dt.timedelta(minutes=5))
        self.assertEqual(alerts_escalate_due(now=T0 + dt.timedelta(minutes=5)), 1)

    def test_a_taken_alert_does_not_escalate(self):
        alert = self.raise_one()
        alert_acknowledge(scope=self.worker_a.scope, actor=self.actor(self.worker_a), alert=alert)
        self.assertEqual(alerts_escalate_due(now=T0 + dt.timedelta(hours=1)), 0)

    def test_the_street_officer_sees_it_highlighted_first_after_escalation(self):
        from gatehouse.alerts.selectors import alert_board

        quiet = self.raise_one(
            key="quiet", neighbourhood=self.nb_b, compound=self.compound_b1, at=T0 + dt.timedelta(minutes=10)
        )
        loud = self.raise_one(key="loud", severity=Alert.Severity.MEDIUM)
        alerts_escalate_due(now=T0 + dt.timedelta(minutes=15))
        board = list(alert_board(scope=self.street_officer.scope))
        self.assertEqual([a.id for a in board], [loud.id, quiet.id])
        self.assertTrue(board[0].escalated)
        self.assertEqual([a.id for a in alert_board(scope=self.worker_a.scope)], [loud.id])


class BrokenChannel(channels.Channel):
    name = "broken"

    def send(self, notice):
        raise channels.ChannelError("gateway down")


class NotificationTest(AlertTestCase):
    def test_the_log_channel_reports_to_the_neighbourhood(self):
        alert = self.raise_one()
        with self.assertLogs("gatehouse.alerts", "WARNING") as logs:
            self.assertEqual(notifications_deliver_due(now=T0), 1)
        self.assertIn(str(alert.id), logs.output[0])
        self.assertNotIn("王芳", logs.output[0])
        row = alert.notifications.get()
        self.assertEqual((row.status, row.recipients, row.next_attempt_at), ("sent", 1, None))
        self.assertEqual(notifications_deliver_due(now=T0 + dt.timedelta(minutes=5)), 0)

    def test_a_broken_gateway_is_retried_and_never_loses_the_alert(self):
        alert = self.raise_one()
        with (
            mock.patch("gatehouse.alerts.services.channel_by_name", return_value=BrokenChannel()),
            self.assertLogs("gatehouse.alerts", "WARNING"),
        ):
            now = T0
            for _attempt in range(NOTIFY_MAX_ATTEMPTS):
                self.assertEqual(notifications_deliver_due(now=now), 0)
                row = alert.notifications.get()
                if row.next_attempt_at is None:
                    break
                self.assertGreater(row.next_attempt_at, now)
                now = row.next_attempt_at
        row = alert.notifications.get()
        self.assertEqual((row.status, row.attempts), ("failed", NOTIFY_MAX_ATTEMPTS))
        self.assertIn("gateway down", row.last_error)
        self.assertTrue(Alert.objects.filter(id=alert.id, status="open").exists())

    def test_recipients_are_the_people_of_the_level(self):
        alert = self.raise_one()
        Contact.objects.create(user=self.worker_a, phone="13800000001")
        self.worker_a.email = "lina@example.org"
        self.worker_a.save()
        self.assertEqual(
            recipients_for(alert, "neighbourhood"),
            (channels.Recipient(label="李娜", email="lina@example.org", phone="13800000001"),),
        )
        self.assertEqual([r.label for r in recipients_for(alert, "street")], ["周强"])
        self.assertEqual([r.label for r in recipients_for(alert, "district")], ["区防控办"])

    @override_settings(GATEHOUSE_ALERT_CHANNELS=["email"], DEFAULT_FROM_EMAIL="gh@example.org")
    def test_the_email_channel_uses_djangos_mail(self):
        self.worker_a.email = "lina@example.org"
        self.worker_a.save()
        self.raise_one()
        self.assertEqual(notifications_deliver_due(now=T0), 1)
        self.assertEqual(mail.outbox[0].to, ["lina@example.org"])
        self.assertIn("卡点发热", mail.outbox[0].subject)

    def test_the_sms_channel_posts_to_the_gateway_and_retries_its_errors(self):
        received: list[dict] = []
        status = {"code": 503}

        class Gateway(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"auth": self.headers["Authorization"], **json.loads(body)})
                self.send_response(status["code"])
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Gateway)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/send"
            Contact.objects.create(user=self.worker_a, phone="13800000001")
            with override_settings(
                GATEHOUSE_ALERT_CHANNELS=["sms"], GATEHOUSE_SMS_URL=url, GATEHOUSE_SMS_TOKEN="t0k"
            ):
                alert = self.raise_one()
                with self.assertLogs("gatehouse.alerts", "WARNING"):
                    self.assertEqual(notifications_deliver_due(now=T0), 0)
                row = alert.notifications.get()
                self.assertEqual((row.status, row.attempts), ("pending", 1))
                status["code"] = 200
                self.assertEqual(notifications_deliver_due(now=row.next_attempt_at), 1)
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(len(received), 2)
        self.assertEqual(received[1]["to"], ["13800000001"])
        self.assertEqual(received[1]["auth"], "Bearer t0k")
        self.assertIn("发热 38.1", received[1]["text"])
        self.assertNotIn("王芳", received[1]["text"])

    def test_old_delivered_notices_are_purged(self):
        self.raise_one()
        notifications_deliver_due(now=T0)
        self.assertEqual(notifications_purge(now=T0 + dt.timedelta(days=29)), 0)
        self.assertEqual(notifications_purge(now=timezone.now() + dt.timedelta(days=31)), 1)
        self.assertFalse(Notification.objects.exists())
        self.assertTrue(AlertEvent.objects.exists())


class FrozenClockTest(AlertTestCase):
    def test_the_worker_job_escalates_by_the_wall_clock(self):
        from gatehouse.worker.jobs import JOBS

        job = next(j for j in JOBS if j.name == "escalate unacknowledged alerts")
        with time_machine.travel(T0, tick=False):
            alert = self.raise_one(at=timezone.now())
        with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
            self.assertEqual(job.run(timezone.now()), 1)
        alert.refresh_from_db()
        self.assertEqual(alert.level, "street")
