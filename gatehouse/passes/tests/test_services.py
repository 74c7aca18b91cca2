import datetime as dt

from django.utils import timezone

from gatehouse.lib import passtoken
from gatehouse.passes.models import Card
from gatehouse.passes.services import (
    CARD_REVOKED,
    PASS_REVOKED,
    card_issue,
    card_resolve,
    pass_revoke,
    pass_scan_resolve,
    pass_token_for,
    seen_nonces_purge,
)
from gatehouse.testing import SETUP, BaseTestCase


class PassScanTest(BaseTestCase):
    def test_a_fresh_token_resolves_to_its_resident_once(self):
        now = timezone.now()
        token = pass_token_for(self.wang_fang, now=now)
        first = pass_scan_resolve(token=token, now=now)
        self.assertEqual((first.ok, first.resident), (True, self.wang_fang))
        again = pass_scan_resolve(token=token, now=now + dt.timedelta(seconds=2))
        self.assertEqual(again.reason, passtoken.TokenError.REPLAYED.value)

    def test_an_old_screenshot_is_refused(self):
        now = timezone.now()
        token = pass_token_for(self.wang_fang, now=now - dt.timedelta(seconds=120))
        self.assertEqual(pass_scan_resolve(token=token, now=now).reason, "token_expired")

    def test_revocation_takes_effect_at_once(self):
        now = timezone.now()
        token = pass_token_for(self.wang_fang, now=now)
        pass_revoke(actor=SETUP, resident=self.wang_fang, reason="moved_out")
        self.assertEqual(pass_scan_resolve(token=token, now=now).reason, PASS_REVOKED)

    def test_moving_out_ends_the_pass_and_cards_at_once(self):
        from gatehouse.people.services import resident_move_out

        now = timezone.now()
        token = pass_token_for(self.li_wei, now=now)
        card = card_issue(actor=SETUP, resident=self.li_wei)
        resident_move_out(scope=self.worker_b.scope, actor=SETUP, resident=self.li_wei)
        self.assertEqual(pass_scan_resolve(token=token, now=now).reason, PASS_REVOKED)
        self.assertEqual(card_resolve(serial=card.serial).reason, CARD_REVOKED)

    def test_nonces_are_purged_after_tokens_could_no_longer_verify(self):
        now = timezone.now()
        pass_scan_resolve(token=pass_token_for(self.wang_fang, now=now), now=now)
        self.assertEqual(seen_nonces_purge(now=now + dt.timedelta(seconds=60)), 0)
        self.assertEqual(seen_nonces_purge(now=now + dt.timedelta(seconds=200)), 1)


class CardTest(BaseTestCase):
    def test_a_reprint_revokes_the_old_card(self):
        first = card_issue(actor=SETUP, resident=self.li_wei)
        second = card_issue(actor=SETUP, resident=self.li_wei)
        self.assertEqual(
            (second.version, card_resolve(serial=second.serial.lower()).resident), (2, self.li_wei)
        )
        self.assertEqual(card_resolve(serial=first.serial).reason, CARD_REVOKED)
        self.assertEqual(Card.objects.filter(status="active").count(), 1)


class OfflineBundleTest(BaseTestCase):
    def test_the_bundle_holds_masked_names_colours_and_revocations_but_no_personal_numbers(self):
        from gatehouse.passes.selectors import offline_bundle_for_compound
        from gatehouse.passes.services import pass_for
        from gatehouse.testing import ID_WANG_FANG

        active = pass_for(self.wang_fang)
        old_card = card_issue(actor=SETUP, resident=self.wang_fang)
        new_card = card_issue(actor=SETUP, resident=self.wang_fang)
        bundle = offline_bundle_for_compound(self.compound_a1)
        self.assertEqual(
            bundle["passes"], [{"pass_id": str(active.id), "masked_name": "王*", "colour": "green"}]
        )
        self.assertEqual([c["serial"] for c in bundle["cards"]], [new_card.serial])
        self.assertEqual(bundle["revoked_card_serials"], [old_card.serial])
        text = str(bundle)
        self.assertNotIn(ID_WANG_FANG, text)
        self.assertNotIn("13812345678", text)
        pass_revoke(actor=SETUP, resident=self.wang_fang, reason="lost")
        self.assertEqual(offline_bundle_for_compound(self.compound_a1)["revoked_pass_ids"], [str(active.id)])
