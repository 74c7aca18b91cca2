"""A resident signs in on their phone with a one-time code.

Personas: 王芳 (13812345678, neighbourhood A) already has the account "resident"; 李伟 (13900001111,
neighbourhood B) has none yet. Nobody else must learn whether a number is registered.
"""

import datetime as dt
import http.server
import json
import re
import threading

import time_machine
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from gatehouse.accounts import sms
from gatehouse.accounts.models import SignInCode, User
from gatehouse.accounts.selectors import signin_members
from gatehouse.accounts.services import (
    signin_code_request,
    signin_code_verify,
    signin_codes_purge,
    signin_complete,
)
from gatehouse.core.models import AuditEntry
from gatehouse.core.roles import Role
from gatehouse.people.models import Resident
from gatehouse.people.services import resident_register
from gatehouse.testing import SETUP, BaseTestCase, covers

LI_WEI_PHONE = "13900001111"
WANG_FANG_PHONE = "13812345678"
UNKNOWN_PHONE = "13700007777"


def last_code() -> str:
    match = re.search(r"\b(\d{6})\b", sms.outbox[-1].text)
    assert match, sms.outbox[-1].text
    return match.group(1)


@override_settings(SMS_GATEWAY="memory")
class SignInTestCase(BaseTestCase):
    def setUp(self) -> None:
        sms.outbox.clear()

    def post(self, client, path, data, ip="10.9.0.1"):
        # The text goes out after commit; TestCase never commits, so run those callbacks here.
        client.cookies["django_language"] = "en"  # pages are Chinese unless English was chosen
        with self.captureOnCommitCallbacks(execute=True):
            return client.post(path, data, REMOTE_ADDR=ip)

    def request_code(self, phone):
        with self.captureOnCommitCallbacks(execute=True):
            return signin_code_request(phone=phone, ip_address=None)

    def ask(self, client, phone, ip="10.9.0.1"):
        return self.post(client, "/signin/", {"phone": phone}, ip)

    def type_code(self, client, code):
        return self.post(client, "/signin/code/", {"code": code})


class SignInFlowTest(SignInTestCase):
    @covers("PAGE accounts:signin", "PAGE accounts:signin_code")
    def test_it_signs_a_resident_in_with_the_texted_code_and_creates_the_account_once(self):
        client = Client()
        self.assertContains(client.get("/signin/"), "居民手机号登录")
        response = self.ask(client, "139 0000 1111")
        self.assertRedirects(response, "/signin/code/", fetch_redirect_response=False)
        self.assertEqual([m.to for m in sms.outbox], [LI_WEI_PHONE])
        self.assertContains(client.get("/signin/code/"), "139****1111")
        signed_in = self.type_code(client, last_code())
        self.assertRedirects(signed_in, "/passes/me/", fetch_redirect_response=False)
        user = User.objects.get(resident=self.li_wei)
        self.assertEqual((user.role, user.has_usable_password()), (Role.RESIDENT, False))
        self.assertEqual(int(client.session["_auth_user_id"]), user.pk)
        self.assertTrue(AuditEntry.objects.filter(object_type="user", object_id=str(user.pk)).exists())
        # A second sign-in reuses the account.
        other = Client()
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
            self.ask(other, LI_WEI_PHONE)
            self.type_code(other, last_code())
        self.assertEqual(User.objects.filter(resident=self.li_wei).count(), 1)

    def test_an_existing_resident_account_is_the_one_signed_in(self):
        client = Client()
        self.ask(client, WANG_FANG_PHONE)
        self.type_code(client, last_code())
        self.assertEqual(int(client.session["_auth_user_id"]), self.resident_user.pk)

    def test_codes_are_kept_only_as_keyed_hashes(self):
        challenge = self.request_code(LI_WEI_PHONE)
        code = last_code()
        stored = SignInCode.objects.get(id=challenge.id)
        row = " ".join(str(v) for v in SignInCode.objects.filter(id=challenge.id).values().first().values())
        self.assertNotIn(code, stored.code_hash)
        self.assertNotIn(LI_WEI_PHONE, row)
        self.assertEqual(len(stored.code_hash), 64)

    def test_a_next_address_on_this_site_is_honoured_and_another_site_is_not(self):
        client = Client()
        client.get("/signin/?next=/me/")
        self.ask(client, LI_WEI_PHONE)
        self.assertEqual(self.type_code(client, last_code()).url, "/me/")
        evil = Client()
        evil.get("/signin/?next=https://evil.example/")
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
            self.ask(evil, LI_WEI_PHONE)
            self.assertEqual(self.type_code(evil, last_code()).url, "/passes/me/")

    @override_settings(SMS_GATEWAY="off")
    def test_with_the_gateway_off_the_page_says_so_and_sends_nothing(self):
        client = Client()
        client.cookies["django_language"] = "en"
        page = client.get("/signin/")
        self.assertContains(page, "not available")
        self.assertEqual(self.ask(client, LI_WEI_PHONE).status_code, 200)
        self.assertEqual(SignInCode.objects.count(), 0)


class NoEnumerationTest(SignInTestCase):
    def test_known_and_unknown_numbers_get_the_same_answer(self):
        known, unknown = Client(), Client()
        a = self.ask(known, LI_WEI_PHONE)
        b = self.ask(unknown, UNKNOWN_PHONE)
        self.assertEqual((a.status_code, a.url), (b.status_code, b.url))
        page_a = known.get("/signin/code/").content.decode()
        page_b = unknown.get("/signin/code/").content.decode()

        def strip(page):
            page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
            page = re.sub(r'"X-CSRFToken": "[^"]+"', "", page)
            return page.replace("139****1111", "N").replace("137****7777", "N")

        self.assertEqual(strip(page_a), strip(page_b))
        self.assertEqual(len(sms.outbox), 1)  # only the known number got a text
        # Whatever is typed for the unknown number, it is just "wrong".
        wrong = self.type_code(unknown, "000000")
        self.assertContains(wrong, "Wrong code")
        self.assertEqual(SignInCode.objects.count(), 2)

    def test_a_departed_resident_gets_no_text(self):
        from gatehouse.people.services import resident_move_out

        resident_move_out(scope=self.worker_b.scope, actor=SETUP, resident=self.li_wei)
        self.assertEqual(self.ask(Client(), LI_WEI_PHONE).status_code, 302)
        self.assertEqual(sms.outbox, [])


class WrongAndExpiredCodesTest(SignInTestCase):
    @override_settings(SIGNIN_CODE_MAX_ATTEMPTS=3)
    def test_wrong_codes_lock_the_code_even_for_the_right_one_after(self):
        client = Client()
        self.ask(client, LI_WEI_PHONE)
        right = last_code()
        wrong = "000000" if right != "000000" else "111111"
        first = self.type_code(client, wrong)
        self.assertContains(first, "Wrong code. 2 more tries")
        self.assertContains(self.type_code(client, wrong), "Wrong code. 1 more try")
        self.assertContains(self.type_code(client, wrong), "Too many wrong codes")
        locked = self.type_code(client, right)
        self.assertContains(locked, "Too many wrong codes")
        self.assertNotIn("_auth_user_id", client.session)

    def test_malformed_codes_are_named_and_do_not_use_up_tries(self):
        client = Client()
        self.ask(client, LI_WEI_PHONE)
        for typed in ("12345", "abcdef", "1234567", "' OR 1=1 --", "<b>1</b>"):
            self.assertContains(self.type_code(client, typed), "6-digit code")
        self.assertEqual(SignInCode.objects.get().attempts, 0)

    def test_a_code_expires_after_five_minutes(self):
        client = Client()
        self.ask(client, LI_WEI_PHONE)
        code = last_code()
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=301)):
            response = self.type_code(client, code)
        self.assertContains(response, "expired")
        self.assertNotIn("_auth_user_id", client.session)

    def test_a_code_works_once(self):
        challenge = self.request_code(LI_WEI_PHONE)
        verified = signin_code_verify(code_id=challenge.id, code=last_code())
        signin_complete(challenge=verified, resident=self.li_wei)
        with self.assertRaises(ValidationError):
            signin_complete(challenge=SignInCode.objects.get(id=challenge.id), resident=self.li_wei)
        with self.assertRaises(ValidationError):
            signin_code_verify(code_id=challenge.id, code=last_code())

    def test_the_code_page_without_a_request_goes_back_to_the_start(self):
        client = Client()
        self.assertRedirects(client.get("/signin/code/"), "/signin/", fetch_redirect_response=False)
        session = client.session
        session["signin_code_id"] = "not-a-uuid"
        session.save()
        self.assertContains(self.type_code(client, "123456"), "no longer valid")

    def test_old_codes_are_purged(self):
        self.request_code(LI_WEI_PHONE)
        self.assertEqual(signin_codes_purge(now=timezone.now()), 0)
        self.assertEqual(signin_codes_purge(now=timezone.now() + dt.timedelta(days=2)), 1)


class FloodTest(SignInTestCase):
    def test_a_second_code_within_a_minute_is_refused(self):
        client = Client()
        self.ask(client, LI_WEI_PHONE)
        again = self.ask(client, LI_WEI_PHONE)
        self.assertEqual(again.status_code, 200)
        self.assertContains(again, "Wait")
        self.assertEqual(len(sms.outbox), 1)

    @override_settings(SIGNIN_CODES_PER_PHONE_PER_HOUR=3)
    def test_codes_per_number_are_limited_per_hour_known_or_not(self):
        for phone in (LI_WEI_PHONE, UNKNOWN_PHONE):
            start = timezone.now()
            for i in range(3):
                with time_machine.travel(start + dt.timedelta(minutes=2 * i)):
                    self.assertEqual(self.ask(Client(), phone, ip=f"10.1.{i}.1").status_code, 302)
            with time_machine.travel(start + dt.timedelta(minutes=10)):
                self.assertContains(self.ask(Client(), phone, ip="10.2.0.1"), "Too many codes")
            with time_machine.travel(start + dt.timedelta(minutes=70)):
                self.assertEqual(self.ask(Client(), phone, ip="10.3.0.1").status_code, 302)

    @override_settings(SIGNIN_CODES_PER_ADDRESS_PER_HOUR=4)
    def test_codes_per_address_are_limited_per_hour(self):
        for i in range(4):
            self.assertEqual(self.ask(Client(), f"1370000{i:04d}", ip="10.7.7.7").status_code, 302)
        flood = self.ask(Client(), "13700009999", ip="10.7.7.7")
        self.assertContains(flood, "from this network")
        self.assertEqual(self.ask(Client(), "13700009999", ip="10.7.7.8").status_code, 302)

    def test_malformed_numbers_are_named_without_a_code(self):
        for typed in ("", "12345", "abc", "1" * 40, "<script>", "139000011110000"):
            response = self.ask(Client(), typed)
            self.assertEqual(response.status_code, 200, typed)
            self.assertContains(response, "errorlist")
        self.assertEqual(SignInCode.objects.count(), 0)


class FamilyChooserTest(SignInTestCase):
    def setUp(self) -> None:
        super().setUp()
        scope = self.command.scope
        # 王芳's husband uses her phone; her son has his own; a neighbour in another flat does not.
        self.husband = resident_register(
            scope=scope,
            actor=SETUP,
            compound=self.compound_a1,
            building="3",
            room="402",
            name="张建国",
            sex=Resident.Sex.MALE,
            birth_date=dt.date(1948, 3, 1),
            phone=WANG_FANG_PHONE,
        )
        self.son = resident_register(
            scope=scope,
            actor=SETUP,
            compound=self.compound_a1,
            building="3",
            room="402",
            name="张小明",
            sex=Resident.Sex.MALE,
            birth_date=dt.date(1980, 1, 1),
            phone="13600006666",
        )

    @covers("PAGE accounts:signin_choose")
    def test_a_family_sharing_a_phone_chooses_a_member_and_sees_nobody_else(self):
        client = Client()
        self.ask(client, WANG_FANG_PHONE)
        self.assertRedirects(
            self.type_code(client, last_code()), "/signin/choose/", fetch_redirect_response=False
        )
        page = client.get("/signin/choose/")
        self.assertContains(page, "王芳")
        self.assertContains(page, "张建国")
        self.assertNotContains(page, "张小明")  # same flat, own phone
        self.assertNotContains(page, "李伟")
        self.assertNotContains(page, "402")  # no address on the chooser
        # Someone else's id is out of reach, even a member of the same household.
        self.assertEqual(client.post("/signin/choose/", {"resident": str(self.son.id)}).status_code, 404)
        self.assertEqual(client.post("/signin/choose/", {"resident": "garbage"}).status_code, 404)
        chosen = client.post("/signin/choose/", {"resident": str(self.husband.id)})
        self.assertRedirects(chosen, "/passes/me/", fetch_redirect_response=False)
        self.assertEqual(User.objects.get(pk=client.session["_auth_user_id"]).resident, self.husband)
        # The code is used: the chooser is gone.
        self.assertRedirects(client.get("/signin/choose/"), "/signin/", fetch_redirect_response=False)

    def test_the_chooser_needs_a_proven_phone(self):
        client = Client()
        self.assertRedirects(client.get("/signin/choose/"), "/signin/", fetch_redirect_response=False)
        self.ask(client, WANG_FANG_PHONE)  # asked, not yet proven
        self.assertRedirects(client.get("/signin/choose/"), "/signin/", fetch_redirect_response=False)
        self.assertEqual(client.post("/signin/choose/", {"resident": str(self.husband.id)}).status_code, 302)
        self.assertNotIn("_auth_user_id", client.session)

    def test_the_choice_expires(self):
        challenge = self.request_code(WANG_FANG_PHONE)
        verified = signin_code_verify(code_id=challenge.id, code=last_code())
        self.assertEqual(set(signin_members(challenge=verified)), {self.wang_fang, self.husband})
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
            self.assertEqual(list(signin_members(challenge=verified)), [])
            with self.assertRaises(ValidationError):
                signin_complete(challenge=verified, resident=self.husband)


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


class HttpGatewayTest(BaseTestCase):
    def test_it_posts_the_message_with_the_bearer_token(self):
        server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/send"
            gateway = sms.HttpGateway(url, "secret-token", 5)
            gateway.send(sms.SmsMessage(to=LI_WEI_PHONE, text="code 123456"))
            self.assertEqual(
                _Recorder.received, [("Bearer secret-token", {"to": "+8613900001111", "text": "code 123456"})]
            )
            with override_settings(
                SMS_GATEWAY="http", SMS_HTTP_URL=url, SMS_HTTP_TOKEN="t", SMS_HTTP_TIMEOUT_SECONDS=5
            ):
                self.assertIsInstance(sms.sms_gateway(), sms.HttpGateway)
        finally:
            server.shutdown()
            server.server_close()

    def test_an_unreachable_gateway_is_logged_not_raised(self):
        gateway = sms.HttpGateway("http://127.0.0.1:9/", "t", 1)
        with self.assertLogs("gatehouse.sms", level="ERROR") as logs:
            gateway.send(sms.SmsMessage(to=LI_WEI_PHONE, text="code 123456"))
        self.assertNotIn(LI_WEI_PHONE, "".join(logs.output))
        self.assertNotIn("123456", "".join(logs.output))

    def test_the_console_gateway_prints_the_code_for_the_demo(self):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sms.ConsoleGateway().send(sms.SmsMessage(to=LI_WEI_PHONE, text="code 123456"))
        self.assertIn("code 123456", out.getvalue())
        self.assertIn("139****1111", out.getvalue())
