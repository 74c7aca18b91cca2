"""Token names and usernames are text a person reads: control characters (NUL, which PostgreSQL cannot
store, among them) are refused with the field named, never a server error."""

import json

from gatehouse.testing import BaseTestCase


class TokenNameTest(BaseTestCase):
    def test_control_characters_are_refused_with_the_field_named(self):
        client = self.client_for(self.command)
        for body, field in [
            ({"name": "camera\u0000"}, "name"),
            ({"name": "line\nbreak"}, "name"),
            ({"name": "ok", "username": "worker-a\u0000"}, "username"),
        ]:
            response = client.post("/api/accounts/tokens", json.dumps(body), content_type="application/json")
            self.assertEqual(response.status_code, 422, body)
            self.assertEqual([e["field"] for e in response.json()["errors"]], [field])
        ok = client.post(
            "/api/accounts/tokens", json.dumps({"name": "门岗摄像头 1"}), content_type="application/json"
        )
        self.assertEqual(ok.status_code, 201)
