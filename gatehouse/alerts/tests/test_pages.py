"""The alert board and its actions, by persona: each sees and handles only the alerts in reach;
the board's poll answers 204 while nothing changed."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client

from gatehouse.alerts.models import Alert
from gatehouse.alerts.services import alert_raise, alerts_escalate_due
from gatehouse.testing import BaseTestCase, covers


class AlertPagesTest(BaseTestCase):
    def setUp(self) -> None:
        self.alert_b, _ = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=Alert.Severity.HIGH,
            neighbourhood=self.nb_b,
            compound=self.compound_b1,
            title="B的告警",
            dedupe_key="b",
            evidence={"temp_c": "38.2"},
        )

    def client_for(self, user, language="en"):
        # These tests read English labels; pages are Chinese unless the language cookie says otherwise.
        return super().client_for(user, language=language)

    def get(self, user, path, **extra):
        client = self.client_for(user) if user else Client()
        return client.get(path, HTTP_ACCEPT_LANGUAGE="en", **extra)

    @covers("PAGE alerts:board")
    def test_the_board_is_scoped_and_polls_cheaply(self):
        self.assertNotContains(self.get(self.worker_a, "/alerts/"), "B的告警")
        page = self.get(self.worker_b, "/alerts/")
        self.assertContains(page, "B的告警")
        self.assertContains(page, 'hx-trigger="every 3s')
        for user in (self.gate_a, self.resident_user, self.courier):
            self.assertEqual(self.get(user, "/alerts/").status_code, 403, user.username)
        self.assertEqual(self.get(None, "/alerts/").status_code, 302)
        version = page.context["version"]
        same = self.get(self.worker_b, f"/alerts/?v={version}", HTTP_HX_REQUEST="true")
        self.assertEqual(same.status_code, 204)
        alert_raise(
            kind=Alert.Kind.OTHER,
            severity=2,
            neighbourhood=self.nb_b,
            title="新告警",
            dedupe_key="b2",
            evidence={},
        )
        changed = self.get(self.worker_b, f"/alerts/?v={version}", HTTP_HX_REQUEST="true")
        self.assertContains(changed, "新告警")
        self.assertNotContains(changed, "<html")

    def test_escalated_alerts_are_highlighted_for_the_street(self):
        Alert.objects.filter(id=self.alert_b.id).update(escalate_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        alerts_escalate_due(now=dt.datetime(2020, 1, 1, 0, 1, tzinfo=dt.UTC))
        page = self.get(self.street_officer, "/alerts/").content.decode()
        self.assertIn("escalated", page.split(f'id="alert-{self.alert_b.id}"')[0].rsplit("<div", 1)[1])
        self.assertIn("Escalated to Street", page)

    @covers("PAGE alerts:detail")
    def test_the_detail_shows_evidence_and_timeline_in_reach_only(self):
        self.assertEqual(self.get(self.worker_a, f"/alerts/{self.alert_b.id}/").status_code, 404)
        page = self.get(self.worker_b, f"/alerts/{self.alert_b.id}/")
        self.assertContains(page, "temp_c=38.2")
        self.assertContains(page, "Raised")
        self.assertEqual(self.get(self.gate_a, f"/alerts/{self.alert_b.id}/").status_code, 403)

    @covers("PAGE alerts:action")
    def test_actions_are_scoped(self):
        base = f"/alerts/{self.alert_b.id}"
        self.assertEqual(self.client_for(self.worker_a).post(f"{base}/acknowledge/").status_code, 404)
        self.assertEqual(self.client_for(self.worker_b).post(f"{base}/explode/").status_code, 404)
        taken = self.client_for(self.worker_b).post(
            f"{base}/acknowledge/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertContains(taken, "Taken by")
        assigned = self.client_for(self.street_officer).post(
            f"{base}/assign/", {"username": "worker-a", "back": "detail"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertRedirects(assigned, f"{base}/", fetch_redirect_response=False)
        self.assertEqual(
            Alert.objects.get(id=self.alert_b.id).assignee, self.worker_b
        )  # worker-a cannot reach B
        empty = self.client_for(self.worker_b).post(f"{base}/resolve/", {"note": ""}, follow=True)
        self.assertEqual(Alert.objects.get(id=self.alert_b.id).status, "acknowledged")
        self.assertEqual(len(list(empty.context["messages"])), 1)
        self.client_for(self.worker_b).post(f"{base}/resolve/", {"note": "复测36.8，已回家"})
        alert = Alert.objects.get(id=self.alert_b.id)
        self.assertEqual((alert.status, alert.resolution_note), ("resolved", "复测36.8，已回家"))


class AlertAssignApiTest(BaseTestCase):
    @covers("POST /api/alerts/{alert_id}/assign")
    def test_an_alert_is_handed_only_to_someone_in_reach(self):
        alert, _ = alert_raise(
            kind=Alert.Kind.GATE_FEVER,
            severity=3,
            neighbourhood=self.nb_b,
            title="x",
            dedupe_key="k",
            evidence={},
        )

        def assign(user, username):
            return self.client_for(user).post(
                f"/api/alerts/{alert.id}/assign",
                data=json.dumps({"username": username}),
                content_type="application/json",
                HTTP_ACCEPT_LANGUAGE="en",
            )

        self.assertEqual(assign(self.worker_a, "worker-a").status_code, 404)
        refused = assign(self.street_officer, "worker-a")
        self.assertEqual((refused.status_code, refused.json()["errors"][0]["field"]), (422, "username"))
        done = assign(self.street_officer, "worker-b")
        self.assertEqual(
            (done.status_code, done.json()["assignee"], done.json()["status"]), (200, "赵磊", "acknowledged")
        )
        self.assertEqual([e["kind"] for e in done.json()["events"]], ["raised", "assigned"])
