"""FUZZ: schemathesis over the gate and returnee operations, and hypothesis over the check body with a
real gate, as gate staff and a neighbourhood worker: whatever arrives, never a server error, never a
response outside the schema, and a check is stored at most once per client id. Kept short."""

import json
import uuid

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from gatehouse.accounts.services import api_token_issue
from gatehouse.core.audit import SYSTEM
from gatehouse.gate.models import GateEvent
from gatehouse.gate.selectors import gate_context_cache_clear
from gatehouse.testing import BaseTestCase, make_world

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).include(
    path_regex=r"^/api/(gate|returnees)/"
)


class _World:
    pass


@pytest.fixture
def tokens(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        gate_context_cache_clear()
        world = _World()
        make_world(world)
        result = []
        for user in (world.gate_a, world.worker_a):
            _token, plain = api_token_issue(scope=user.scope, actor=SYSTEM, user=user, name="fuzz")
            result.append(plain)
        yield result


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_fuzz_gate_operations_never_fail(case, tokens):
    for plain in tokens:
        response = case.call(headers={"Authorization": f"Bearer {plain}", "Accept-Language": "en"})
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=2),
)


class CheckBodyFuzzTest(HypothesisTestCase, BaseTestCase):
    """FUZZ: random values in every field of a check at a real gate."""

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        subject=st.sampled_from(
            ["token", "card", "id_number", "plate", "visitor", "courier", "emergency", "staff", "x"]
        ),
        value=st.one_of(st.text(max_size=300), anything),
        temperature=st.one_of(anything, st.text(max_size=40)),
        direction=st.sampled_from(["in", "out", "up"]),
        extra=st.dictionaries(
            st.sampled_from(["declares_arrival", "host_building", "host_room", "device", "offline", "zzz"]),
            anything,
            max_size=3,
        ),
    )
    def test_fuzz_no_check_body_makes_a_server_error(self, subject, value, temperature, direction, extra):
        gate_context_cache_clear()
        client_id = uuid.uuid4().hex
        body = {
            "gate_id": str(self.gate_a1.id),
            "client_id": client_id,
            "subject": subject,
            "value": value,
            "temperature": temperature,
            "direction": direction,
            **extra,
        }
        client = self.client_for(self.gate_a)
        for _ in range(2):
            response = client.post("/api/gate/checks", data=json.dumps(body), content_type="application/json")
            self.assertIn(response.status_code, (200, 201, 422), response.content[:300])
        self.assertLessEqual(GateEvent.objects.filter(client_id=client_id).count(), 1)
