"""Bad input through the API: a clear error naming the field, in the caller's language; never a 500."""

import json

from gatehouse.people.models import Resident
from gatehouse.testing import BaseTestCase


class BadInputTest(BaseTestCase):
    def post(self, body, lang="zh-hans", raw=None):
        client = self.client_for(self.worker_a)
        return client.post(
            "/api/residents",
            data=raw if raw is not None else json.dumps(body),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=lang,
        )

    def body(self, **overrides):
        body = {
            "compound_id": str(self.compound_a1.id),
            "building": "1",
            "room": "101",
            "name": "张三",
            "id_number": "11010519491231002X",
        }
        body.update(overrides)
        return body

    def fields(self, response):
        return {e["field"] for e in response.json()["errors"]}

    def test_a_wrong_check_character_is_named_in_chinese_by_default(self):
        response = self.post(self.body(id_number="110105194912310021"))
        self.assertEqual(response.status_code, 422)
        error = response.json()["errors"][0]
        self.assertEqual(error["field"], "id_number")
        self.assertIn("校验", error["message"])
        self.assertNotIn("110105194912310021", response.content.decode())

    def test_the_same_error_in_english(self):
        response = self.post(self.body(id_number="110105194912310021"), lang="en")
        self.assertIn("check character", response.json()["errors"][0]["message"])

    def test_an_impossible_birth_date_is_explained(self):
        from stdnum.cn import ric

        body = "31010119800231001"
        response = self.post(self.body(id_number=body + ric.calc_check_digit(body + "0")), lang="en")
        self.assertIn("birth date", response.json()["errors"][0]["message"])

    def test_schema_errors_name_each_field(self):
        response = self.post({"compound_id": "nope", "name": "x" * 41, "building": "", "extra": 1}, lang="en")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(self.fields(response), {"compound_id", "name", "building", "room", "extra"})
        self.assertTrue(all(e["message"] for e in response.json()["errors"]))

    def test_malformed_json_is_a_400_naming_the_body_not_a_500(self):
        response = self.post(None, raw="{not json", lang="en")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["field"], "body")

    def test_an_unknown_compound_is_a_404_and_nothing_is_written(self):
        before = Resident.objects.count()
        response = self.post(self.body(compound_id="00000000-0000-0000-0000-000000000000"))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Resident.objects.count(), before)

    def test_a_bad_plate_and_phone_are_named(self):
        client = self.client_for(self.worker_a)
        response = client.post(
            "/api/vehicles",
            data=json.dumps({"resident_id": str(self.wang_fang.id), "plate": "ABC"}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual((response.status_code, self.fields(response)), (422, {"plate"}))
        response = client.patch(
            f"/api/residents/{self.wang_fang.id}",
            data=json.dumps({"phone": "123"}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual((response.status_code, self.fields(response)), (422, {"phone"}))

    def test_an_oversized_body_is_refused(self):
        response = self.post(self.body(name="张" * 100_000))
        self.assertIn(response.status_code, (413, 422, 400))

    def test_an_explicit_null_for_a_field_that_cannot_be_empty_is_named(self):
        client = self.client_for(self.command)
        response = client.patch(
            "/api/places/regimes/old_lane",
            data=json.dumps({"description": None}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual((response.status_code, self.fields(response)), (422, {"description"}))
        response = client.patch(
            f"/api/residents/{self.wang_fang.id}",
            data=json.dumps({"building": None}),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual((response.status_code, self.fields(response)), (422, {"building"}))
        # Opening hours may be emptied: null there means "open all day".
        response = client.patch(
            f"/api/places/gates/{self.gate_a1.id}",
            data=json.dumps({"opens_at": None, "closes_at": None}),
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200)

    def test_control_characters_are_refused_naming_the_field_before_the_database_sees_them(self):
        response = self.post(self.body(name="张\u0000三"), lang="en")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(self.fields(response), {"name"})
        self.assertIn("control characters", response.json()["errors"][0]["message"])
        client = self.client_for(self.worker_a)
        response = client.get("/api/residents?q=%00x", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual((response.status_code, self.fields(response)), (422, {"q"}))
