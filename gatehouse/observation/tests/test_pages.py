"""Who reaches which observation page: worker_a works A's cases only, the street officer reads, the
resident 王芳 sends her own daily report and sees nobody else's."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from gatehouse.core.models import AuditEntry
from gatehouse.observation.models import FollowUp, ObservationCase
from gatehouse.observation.services import case_open
from gatehouse.testing import SETUP, BaseTestCase, covers


class ObservationPagesTest(BaseTestCase):
    def setUp(self) -> None:
        self.case_a = case_open(
            actor=SETUP, resident=self.employee, kind="home_observation", reason="自武汉返沪"
        )
        self.case_b = case_open(actor=SETUP, resident=self.li_wei, kind="home_observation", reason="密切接触")

    def client_for(self, user, language="en"):
        # These tests read English labels; pages are Chinese unless the language cookie says otherwise.
        return super().client_for(user, language=language)

    def get(self, user, path, **extra):
        client = self.client_for(user) if user else Client()
        return client.get(path, HTTP_ACCEPT_LANGUAGE="en", **extra)

    def post(self, user, path, data):
        return self.client_for(user).post(path, data, HTTP_ACCEPT_LANGUAGE="en")

    @covers("PAGE observation:worklist", "PAGE observation:cases")
    def test_lists_show_only_the_callers_cases(self):
        page = self.get(self.worker_a, "/observation/")
        self.assertContains(page, "吴刚")
        self.assertNotContains(page, "李伟")
        self.assertContains(self.get(self.street_officer, "/observation/cases/"), "李伟")
        self.assertNotContains(self.get(self.worker_b, "/observation/cases/"), "吴刚")
        for user in (self.gate_a, self.resident_user, self.courier):
            self.assertEqual(self.get(user, "/observation/").status_code, 403, user.username)
            self.assertEqual(self.get(user, "/observation/cases/").status_code, 403, user.username)
        self.assertEqual(self.get(None, "/observation/").status_code, 302)

    @covers("PAGE observation:case")
    def test_opening_a_case_is_scoped_and_audited(self):
        self.assertEqual(self.get(self.worker_a, f"/observation/cases/{self.case_b.id}/").status_code, 404)
        before = AuditEntry.objects.filter(action="view", object_type="observation_case").count()
        self.assertContains(self.get(self.worker_b, f"/observation/cases/{self.case_b.id}/"), "密切接触")
        self.assertEqual(
            AuditEntry.objects.filter(action="view", object_type="observation_case").count(), before + 1
        )

    @covers("PAGE observation:case_new")
    def test_a_case_is_opened_by_hand_only_for_a_resident_in_reach(self):
        found = self.get(self.worker_a, "/observation/cases/new/?q=王芳")
        self.assertContains(found, f"?resident={self.wang_fang.id}")
        self.assertEqual(
            self.get(self.worker_a, f"/observation/cases/new/?resident={self.li_wei.id}").status_code, 404
        )
        self.assertEqual(self.get(self.street_officer, "/observation/cases/new/").status_code, 403)
        response = self.post(
            self.worker_a,
            "/observation/cases/new/",
            {"resident": str(self.wang_fang.id), "kind": "health_monitoring", "reason": "自温州返沪"},
        )
        case = ObservationCase.objects.get(resident=self.wang_fang)
        self.assertRedirects(response, f"/observation/cases/{case.id}/", fetch_redirect_response=False)
        again = self.post(
            self.worker_a,
            "/observation/cases/new/",
            {"resident": str(self.wang_fang.id), "kind": "health_monitoring", "reason": "again"},
        )
        self.assertContains(again, "already has an active case")

    @covers("PAGE observation:follow_up")
    def test_a_follow_up_is_recorded_from_the_worklist(self):
        path = f"/observation/cases/{self.case_a.id}/follow-up/"
        self.assertEqual(self.get(self.worker_b, path).status_code, 404)
        self.assertEqual(self.get(self.street_officer, path).status_code, 403)
        bad = self.post(self.worker_a, path, {"method": "phone", "temperature_c": "98.6"})
        self.assertContains(bad, "not °F")
        done = self.post(
            self.worker_a, path, {"method": "doorstep", "temperature_c": "36.7", "needs": ["medicine"]}
        )
        self.assertRedirects(done, "/observation/", fetch_redirect_response=False)
        self.assertEqual(list(FollowUp.objects.values_list("needs", flat=True)), [["medicine"]])

    @covers("PAGE observation:case_close", "PAGE observation:release_notice")
    def test_closing_and_the_notice_are_scoped(self):
        close = f"/observation/cases/{self.case_b.id}/close/"
        notice = f"/observation/cases/{self.case_b.id}/release-notice.pdf"
        self.assertEqual(self.post(self.worker_a, close, {"status": "hospital"}).status_code, 404)
        self.assertEqual(self.post(self.street_officer, close, {"status": "hospital"}).status_code, 403)
        self.assertEqual(self.get(self.worker_b, notice).status_code, 400)
        ObservationCase.objects.filter(id=self.case_b.id).update(
            starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 15)
        )
        self.post(self.worker_b, close, {"status": "released", "note": "期满"})
        self.assertEqual(ObservationCase.objects.get(id=self.case_b.id).status, "released")
        self.assertEqual(self.get(self.worker_a, notice).status_code, 404)
        pdf = self.get(self.worker_b, notice)
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        self.assertEqual(self.get(self.gate_a, notice).status_code, 403)

    @covers("PAGE observation:self_report")
    def test_the_resident_reports_for_herself(self):
        self.assertContains(self.get(self.resident_user, "/observation/me/"), "not under observation")
        self.assertEqual(self.get(self.worker_a, "/observation/me/").status_code, 403)
        case = case_open(actor=SETUP, resident=self.wang_fang, kind="health_monitoring", reason="自温州返沪")
        sent = self.post(self.resident_user, "/observation/me/", {"temperature_c": "36.5"})
        self.assertRedirects(sent, "/observation/me/", fetch_redirect_response=False)
        self.assertEqual(case.follow_ups.get().method, "self_report")
        self.assertContains(self.get(self.resident_user, "/observation/me/"), "Reported")


class AlertCaseLinkTest(BaseTestCase):
    """A worker taking an alert about someone under observation reaches the case in one tap."""

    def test_the_alert_page_links_to_the_case_in_reach_only(self):
        from gatehouse.alerts.models import Alert
        from gatehouse.alerts.services import alert_raise
        from gatehouse.observation.services import case_close

        case = case_open(actor=SETUP, resident=self.employee, kind="home_observation", reason="自武汉返沪")
        alert, _created = alert_raise(
            kind=Alert.Kind.OTHER,
            severity=Alert.Severity.HIGH,
            neighbourhood=case.compound.neighbourhood,
            compound=case.compound,
            subject=self.employee,
            subject_label="某*",
            title="离开居家观察地点",
            dedupe_key="link-test",
            evidence={},
        )
        link = f'href="/observation/cases/{case.id}/"'
        for user in (self.worker_a, self.street_officer):
            page = self.client_for(user, language="en").get(f"/alerts/{alert.id}/")
            self.assertContains(page, link, msg_prefix=user.username)
            self.assertContains(page, "Observation case: ")
        # Taken to hospital: the alert still leads to the case it was about.
        case_close(actor=SETUP, case=case, status=ObservationCase.Status.HOSPITAL)
        page = self.client_for(self.worker_a, language="en").get(f"/alerts/{alert.id}/")
        self.assertContains(page, link)
        self.assertContains(page, "Transferred to hospital")
        # An alert about nobody, or about someone without a case, links nowhere.
        bare, _created = alert_raise(
            kind=Alert.Kind.OTHER,
            severity=2,
            neighbourhood=case.compound.neighbourhood,
            title="其他",
            dedupe_key="link-test-2",
            evidence={},
        )
        self.assertNotContains(
            self.client_for(self.worker_a).get(f"/alerts/{bare.id}/"), "/observation/cases/"
        )
