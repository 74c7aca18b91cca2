"""The API's schema is one coherent document: every enum has one name, so no two collide."""

import enum

from django.db import models
from django.test import Client


def _choices_classes(base: type = models.Choices) -> set[type]:
    found: set[type] = set()
    sub: type
    for sub in base.__subclasses__():
        if sub.__module__.startswith("gatehouse"):
            found.add(sub)
        found |= _choices_classes(sub)
    return found


def test_choices_have_unique_class_names():
    # The OpenAPI generator names an enum after its class; two `Status` enums would overwrite each
    # other and the published schema would lie about one of them.
    names: dict[str, list[str]] = {}
    for cls in _choices_classes():
        names.setdefault(cls.__name__, []).append(cls.__qualname__ + " in " + cls.__module__)
    assert {n: where for n, where in names.items() if len(where) > 1} == {}


def _schema_classes() -> set[type]:
    import pydantic

    import gatehouse.api.urls  # noqa: F401 - imports every app's api.py

    found: set[type] = set()
    stack: list[type] = [pydantic.BaseModel]
    sub: type
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("gatehouse"):
                found.add(sub)
    return found


def test_schemas_have_unique_class_names():
    # The same for request and response schemas: the gate's list of gates and the places' gate were
    # both `GateOut`, and whichever app mounted later decided what /api/gate/gates was documented as.
    names: dict[str, list[str]] = {}
    for cls in _schema_classes():
        names.setdefault(cls.__name__, []).append(cls.__module__)
    assert {n: where for n, where in names.items() if len(where) > 1} == {}


def test_every_enum_in_the_schema_matches_its_source():
    schema = Client().get("/api/openapi.json").json()
    by_name = {cls.__name__: cls for cls in _choices_classes() if issubclass(cls, enum.Enum)}
    for name, component in schema["components"]["schemas"].items():
        if "enum" in component and name in by_name:
            assert component["enum"] == [c.value for c in by_name[name]], name


def test_every_paginated_list_uses_the_bounded_pagination():
    # ninja's own LimitOffsetPagination has no upper bound on offset: 10**25 reached PostgreSQL as a
    # bigint overflow. Every list must go through gatehouse.api.base.Pagination (the default).
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent / "gatehouse"
    offenders = [str(p) for p in root.glob("*/api.py") if "LimitOffsetPagination" in p.read_text()]
    assert offenders == []
