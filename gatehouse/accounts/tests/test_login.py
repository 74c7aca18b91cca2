from django.test import Client, override_settings

from gatehouse.testing import PASSWORD, BaseTestCase


class LoginThrottleTest(BaseTestCase):
    def login(self, client, password):
        return client.post("/login/", {"username": "worker-a", "password": password}, REMOTE_ADDR="10.1.1.1")

    @override_settings(AXES_FAILURE_LIMIT=3)
    def test_repeated_failures_lock_the_account_from_that_address_even_with_the_right_password(self):
        client = Client()
        for _ in range(2):
            self.assertEqual(self.login(client, "wrong-password").status_code, 200)
        self.assertEqual(self.login(client, "wrong-password").status_code, 429)
        locked = self.login(client, PASSWORD)
        self.assertEqual(locked.status_code, 429)
        self.assertNotIn("_auth_user_id", client.session)

    def test_the_right_password_signs_in_and_lands_on_the_role_home(self):
        client = Client()
        response = self.login(client, PASSWORD)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(client.get("/").url, "/places/")

    def test_a_resident_lands_on_their_own_record(self):
        client = self.client_for(self.resident_user)
        self.assertEqual(client.get("/").url, "/me/")


class TokenCacheTest(BaseTestCase):
    def test_a_verified_token_is_remembered_briefly_and_forgotten_on_revocation(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        from gatehouse.accounts.services import api_token_authenticate, api_token_issue, api_token_revoke
        from gatehouse.core.audit import SYSTEM

        token, plain = api_token_issue(
            scope=self.gate_a.scope, actor=SYSTEM, user=self.gate_a, name="gate phone"
        )
        with override_settings(GATEHOUSE_API_TOKEN_CACHE_SECONDS=60):
            self.assertEqual(api_token_authenticate(plain), self.gate_a)
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(api_token_authenticate(plain), self.gate_a)
            self.assertEqual(len(queries), 0)
            api_token_revoke(scope=self.gate_a.scope, actor=SYSTEM, token=token)
            self.assertIsNone(api_token_authenticate(plain))
