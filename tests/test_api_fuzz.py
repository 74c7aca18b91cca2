"""Schemathesis over the whole API, as district command and as a neighbourhood worker: whatever the
generated input (valid, invalid, hostile), the API answers without a server error and what it answers
matches its own schema."""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from gatehouse.accounts.services import api_token_issue
from gatehouse.core.audit import SYSTEM
from gatehouse.testing import make_world

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


class _World:
    pass


@pytest.fixture
def tokens(django_db_setup, django_db_blocker):
    """One world per operation (hypothesis runs many examples per test on the same data)."""
    with django_db_blocker.unblock():
        world = _World()
        make_world(world)
        result = {}
        for user in (world.command, world.worker_a):
            _token, plain = api_token_issue(scope=user.scope, actor=SYSTEM, user=user, name="fuzz")
            result[user.username] = plain
        yield result


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("GATEHOUSE_FUZZ_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_makes_the_api_fail(case, tokens):
    for plain in tokens.values():
        response = case.call(headers={"Authorization": f"Bearer {plain}", "Accept-Language": "en"})
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
