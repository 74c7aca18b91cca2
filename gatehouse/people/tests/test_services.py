import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gatehouse.core.models import AuditEntry
from gatehouse.lib import crypto
from gatehouse.people.models import HealthColour, HealthColourChange, Household, Resident
from gatehouse.people.selectors import resident_list, resident_search
from gatehouse.people.services import (
    ID_CONTEXT,
    resident_health_colour_set,
    resident_move_out,
    resident_register,
    resident_update,
    residents_purge_departed,
)
from gatehouse.testing import ID_WANG_FANG, SETUP, BaseTestCase


class ResidentRegisterTest(BaseTestCase):
    def register(self, **overrides):
        values = {
            "scope": self.worker_a.scope,
            "actor": SETUP,
            "compound": self.compound_a1,
            "building": "9",
            "room": "901",
            "name": "张三",
        }
        values.update(overrides)
        return resident_register(**values)

    def test_it_derives_birth_date_and_sex_from_the_identity_number_and_stores_it_encrypted(self):
        body = "31010119750203004"
        from stdnum.cn import ric

        number = body + ric.calc_check_digit(body + "0")
        resident = self.register(id_number=number)
        self.assertEqual((resident.birth_date, resident.sex), (dt.date(1975, 2, 3), "F"))
        stored = Resident.objects.get(id=resident.id)
        self.assertNotIn(number.encode(), bytes(stored.id_number_ciphertext))
        self.assertEqual(crypto.decrypt_text(bytes(stored.id_number_ciphertext), context=ID_CONTEXT), number)
        self.assertEqual(stored.id_number_masked, "310101********0045"[:14] + number[14:])

    def test_bad_input_names_each_field_and_writes_nothing(self):
        households = Household.objects.count()
        with self.assertRaises(ValidationError) as ctx:
            self.register(name="", phone="12345", id_number="110105194912310021")
        self.assertEqual(set(ctx.exception.message_dict), {"name", "phone", "id_number"})
        self.assertEqual(Household.objects.count(), households)

    def test_a_duplicate_identity_number_is_refused_without_repeating_it(self):
        with self.assertRaises(ValidationError) as ctx:
            self.register(id_number=ID_WANG_FANG)
        self.assertIn("id_number", ctx.exception.message_dict)
        self.assertNotIn(ID_WANG_FANG, str(ctx.exception))

    def test_a_birth_date_that_contradicts_the_identity_number_is_refused(self):
        with self.assertRaises(ValidationError) as ctx:
            self.register(id_number="310101198003150057", birth_date=dt.date(1981, 1, 1))
        self.assertIn("birth_date", ctx.exception.message_dict)

    def test_without_an_identity_number_birth_date_and_sex_are_required(self):
        with self.assertRaises(ValidationError) as ctx:
            self.register()
        self.assertEqual(set(ctx.exception.message_dict), {"birth_date", "sex"})
        with self.assertRaises(ValidationError) as ctx:
            self.register(sex="F", birth_date=dt.date.today() + dt.timedelta(days=1))
        self.assertIn("birth_date", ctx.exception.message_dict)

    def test_roles_without_the_right_cannot_register(self):
        for user in (self.gate_a, self.resident_user, self.courier):
            with self.assertRaises(PermissionDenied):
                self.register(scope=user.scope, sex="M", birth_date=dt.date(1990, 1, 1))

    def test_each_write_leaves_an_audit_entry(self):
        before = AuditEntry.objects.count()
        resident = self.register(sex="M", birth_date=dt.date(1990, 1, 1))
        resident_update(scope=self.worker_a.scope, actor=SETUP, resident=resident, phone="13700001234")
        actions = list(AuditEntry.objects.order_by("seq").values_list("action", "detail")[before:])
        self.assertEqual(actions, [("create", ""), ("update", "changed: phone")])


class ResidentUpdateTest(BaseTestCase):
    def test_moving_rooms_reuses_or_creates_the_household(self):
        resident_update(
            scope=self.worker_a.scope, actor=SETUP, resident=self.wang_fang, building="3", room="403"
        )
        self.assertEqual(self.wang_fang.household.room, "403")

    def test_a_new_identity_number_replaces_birth_date_and_sex(self):
        resident_update(
            scope=self.worker_a.scope, actor=SETUP, resident=self.wang_fang, id_number="310101198003150057"
        )
        self.assertEqual((self.wang_fang.birth_date, self.wang_fang.sex), (dt.date(1980, 3, 15), "M"))
        self.assertEqual(self.wang_fang.id_number_masked, "310101********0057")

    def test_invalid_changes_leave_the_record_as_it_was(self):
        with self.assertRaises(ValidationError):
            resident_update(
                scope=self.worker_a.scope, actor=SETUP, resident=self.wang_fang, name="新名字", phone="bad"
            )
        self.assertEqual(Resident.objects.get(id=self.wang_fang.id).name, "王芳")


class HealthColourTest(BaseTestCase):
    def test_a_colour_changes_only_with_a_reason_the_holder_can_read(self):
        resident_health_colour_set(
            actor=SETUP,
            resident=self.wang_fang,
            colour=HealthColour.RED,
            reason=HealthColourChange.Reason.CASE_OPENED,
            note="自湖北返沪",
        )
        fresh = Resident.objects.get(id=self.wang_fang.id)
        self.assertEqual(fresh.health_colour, "red")
        self.assertIn("自湖北返沪", fresh.health_colour_reason)
        self.assertEqual(fresh.colour_changes.get().from_colour, "green")

    def test_an_officers_decision_needs_a_note(self):
        with self.assertRaises(ValidationError) as ctx:
            resident_health_colour_set(
                actor=SETUP,
                resident=self.wang_fang,
                colour=HealthColour.YELLOW,
                reason=HealthColourChange.Reason.OFFICER_DECISION,
            )
        self.assertIn("note", ctx.exception.message_dict)


class RetentionTest(BaseTestCase):
    def test_departed_residents_are_purged_after_the_districts_period(self):
        resident_move_out(scope=self.worker_b.scope, actor=SETUP, resident=self.li_wei)
        now = self.li_wei.left_at
        self.assertEqual(residents_purge_departed(now=now + dt.timedelta(days=89)), 0)
        self.assertEqual(residents_purge_departed(now=now + dt.timedelta(days=91)), 1)
        self.assertFalse(Resident.objects.filter(id=self.li_wei.id).exists())
        self.assertTrue(AuditEntry.objects.filter(object_id=str(self.li_wei.id), action="delete").exists())


class SelectorQueryCountTest(BaseTestCase):
    def test_a_list_page_costs_one_query(self):
        with CaptureQueriesContext(connection) as queries:
            rows = [
                (r.name, r.compound.name, r.household.room) for r in resident_list(scope=self.command.scope)
            ]
        self.assertEqual(len(rows), 4)
        self.assertEqual(len(queries), 1)

    def test_search_by_full_identity_number_finds_exactly_one(self):
        result = resident_search(scope=self.worker_a.scope, actor=SETUP, query=ID_WANG_FANG.lower())
        self.assertEqual((result.kind, [r.name for r in result.residents]), ("id_number", ["王芳"]))
        entry = AuditEntry.objects.filter(action="search").latest("seq")
        self.assertNotIn(ID_WANG_FANG, entry.detail)
