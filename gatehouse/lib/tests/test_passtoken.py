import uuid

from hypothesis import given
from hypothesis import strategies as st

from gatehouse.lib.passtoken import (
    MAX_TOKEN_CHARS,
    PassToken,
    TokenError,
    public_key_bytes,
    signing_key_from_secret,
    token_sign,
    token_verify,
)

KEY = signing_key_from_secret("test secret")
PUBLIC = public_key_bytes(KEY)
PASS = uuid.UUID("12345678-1234-5678-1234-567812345678")
NOW = 1_582_156_800  # 2020-02-20 08:00 +08:00


def test_a_fresh_token_verifies_with_the_public_key_alone():
    token = token_sign(KEY, pass_id=PASS, unix_seconds=NOW)
    result = token_verify(PUBLIC, token, unix_seconds=NOW + 10)
    assert isinstance(result, PassToken)
    assert result.pass_id == PASS
    assert len(token) <= MAX_TOKEN_CHARS


def test_a_screenshot_stops_working_within_a_minute():
    token = token_sign(KEY, pass_id=PASS, unix_seconds=NOW)
    assert isinstance(token_verify(PUBLIC, token, unix_seconds=NOW + 45), PassToken)
    assert token_verify(PUBLIC, token, unix_seconds=NOW + 46) is TokenError.EXPIRED
    assert token_verify(PUBLIC, token, unix_seconds=NOW - 46) is TokenError.FROM_THE_FUTURE


def test_another_key_or_a_changed_byte_is_a_forgery():
    other = signing_key_from_secret("another deployment")
    token = token_sign(other, pass_id=PASS, unix_seconds=NOW)
    assert token_verify(PUBLIC, token, unix_seconds=NOW) is TokenError.FORGED
    good = token_sign(KEY, pass_id=PASS, unix_seconds=NOW)
    tampered = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
    assert token_verify(PUBLIC, tampered, unix_seconds=NOW) in (TokenError.FORGED, TokenError.MALFORMED)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_garbage_is_malformed_or_forged_never_an_exception(text):
    result = token_verify(PUBLIC, text, unix_seconds=NOW)
    assert result in (TokenError.MALFORMED, TokenError.FORGED)


def test_each_token_carries_a_fresh_nonce():
    a = token_verify(PUBLIC, token_sign(KEY, pass_id=PASS, unix_seconds=NOW), unix_seconds=NOW)
    b = token_verify(PUBLIC, token_sign(KEY, pass_id=PASS, unix_seconds=NOW), unix_seconds=NOW)
    assert isinstance(a, PassToken)
    assert isinstance(b, PassToken)
    assert a.nonce != b.nonce
