"""The demo's passes: every resident has one, the "resident" login can sign in by phone, and a few
elderly residents without a phone have printed cards."""

from django.test import TestCase

from gatehouse.accounts.models import User
from gatehouse.demo.seed import seed
from gatehouse.passes.models import Card, Pass
from gatehouse.passes.seed import DEMO_PHONE
from gatehouse.passes.selectors import offline_bundle_for_compound
from gatehouse.people.models import Resident


class DemoSeedTest(TestCase):
    def test_the_tiny_demo_has_passes_a_phone_login_and_cards(self):
        seed(scale_name="tiny", demo_password="demo-password-for-tests")
        living = Resident.objects.filter(status="active")
        self.assertEqual(Pass.objects.filter(status="active").count(), living.count())
        me = User.objects.get(username="resident").resident
        self.assertEqual(me.phone, DEMO_PHONE)
        self.assertGreaterEqual(Resident.objects.filter(phone=DEMO_PHONE).count(), 1)
        cards = Card.objects.select_related("pass_record__resident")
        self.assertTrue(cards.exists())
        # Elderly residents without a phone of their own (one may share the demo family's phone).
        self.assertTrue(all(c.pass_record.resident.tags.filter(tag="no_phone").exists() for c in cards))
        bundle = offline_bundle_for_compound(me.compound)
        self.assertEqual(len(bundle["passes"]), living.filter(compound=me.compound).count())
