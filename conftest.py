"""Suite-wide fixtures: services that some tests need, skipped or failed by GATEHOUSE_REQUIRE_SERVICES."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# No per-example deadline: the machine is shared and loaded, and speed is `make bench`'s business.
# On CI the examples are derandomized, so a run is reproducible; locally each run explores anew.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def services_required() -> bool:
    return os.environ.get("GATEHOUSE_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def need_service(reason: str) -> None:
    """Skip with `reason` on a machine without the service; fail where CI promised it."""
    if services_required():
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL"):
            pytest.fail("DATABASE_URL is set but the suite is not running on PostgreSQL")
        # The SQLite pass skips these; `make test` runs the PostgreSQL pass when DATABASE_URL is set.
        pytest.skip("needs PostgreSQL: set DATABASE_URL (make test runs a PostgreSQL pass when it is set)")
