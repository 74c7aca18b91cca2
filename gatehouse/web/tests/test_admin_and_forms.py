from gatehouse.core.models import AuditEntry
from gatehouse.people.models import Resident
from gatehouse.people.services import resident_register
from gatehouse.testing import SETUP, BaseTestCase


class AdminTest(BaseTestCase):
    def test_district_command_opens_the_admin_and_each_resident_opened_there_is_audited(self):
        client = self.client_for(self.command)
        self.assertEqual(client.get("/admin/places/compound/").status_code, 200)
        before = AuditEntry.objects.filter(action="view").count()
        page = client.get(f"/admin/people/resident/{self.wang_fang.id}/change/")
        self.assertContains(page, "110105********002X")
        self.assertNotContains(page, "11010519491231002X")
        self.assertEqual(AuditEntry.objects.filter(action="view").count(), before + 1)

    def test_nobody_edits_the_audit_trail_in_the_admin(self):
        client = self.client_for(self.command)
        entry = AuditEntry.objects.first()
        self.assertEqual(client.get("/admin/core/auditentry/").status_code, 200)
        self.assertEqual(
            client.post(f"/admin/core/auditentry/{entry.seq}/delete/", {"post": "yes"}).status_code, 403
        )
        self.assertTrue(AuditEntry.objects.filter(seq=entry.seq).exists())

    def test_other_roles_have_no_admin(self):
        self.assertEqual(self.client_for(self.worker_a).get("/admin/").status_code, 302)


class ResidentFormTest(BaseTestCase):
    def test_a_bad_identity_number_is_explained_in_chinese_on_its_field_and_nothing_changes(self):
        client = self.client_for(self.worker_a)
        page = client.post(
            f"/residents/{self.wang_fang.id}/edit/",
            {
                "name": "王芳",
                "id_number": "110105194912310021",
                "building": "3",
                "room": "402",
                "phone": "1381234",
            },
        )
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "校验位")
        self.assertContains(page, "不是有效的中国电话号码")
        self.assertEqual(Resident.objects.get(id=self.wang_fang.id).phone, "13812345678")

    def test_a_new_resident_registered_through_the_form(self):
        client = self.client_for(self.worker_a)
        response = client.post(
            f"/places/compounds/{self.compound_a1.id}/residents/new/",
            {
                "name": "周小红",
                "sex": "F",
                "birth_date": "1950-06-01",
                "building": "5",
                "room": "101",
                "tags": ["elderly_alone", "needs_meals"],
            },
        )
        resident = Resident.objects.get(name="周小红")
        self.assertRedirects(response, f"/residents/{resident.id}/")
        self.assertEqual(set(resident.tags.values_list("tag", flat=True)), {"elderly_alone", "needs_meals"})


class ExportInjectionTest(BaseTestCase):
    def test_a_name_that_is_a_formula_is_exported_as_text(self):
        resident_register(
            scope=self.command.scope,
            actor=SETUP,
            compound=self.compound_a1,
            building="1",
            room="1",
            name='=HYPERLINK("http://x")',
            sex="M",
            birth_date=__import__("datetime").date(1990, 1, 1),
        )
        text = self.client_for(self.worker_a).get("/residents/export/?fmt=csv").content.decode("utf-8")
        self.assertIn("'=HYPERLINK", text)
        self.assertNotIn(",=HYPERLINK", text)
