import uuid

from django.db.models import Q

from gatehouse.core.roles import Capability, Role, Scope


def test_an_unbound_scope_matches_nothing():
    assert Scope.for_role(Role.NEIGHBOURHOOD_WORKER).place_q(to_compound="compound") == Q(pk__in=[])


def test_a_scope_filters_at_its_own_level_through_the_models_path():
    nb = uuid.uuid4()
    scope = Scope.for_role(Role.NEIGHBOURHOOD_WORKER, neighbourhood_id=nb)
    assert scope.place_q(to_compound="household__compound") == Q(household__compound__neighbourhood__id=nb)
    assert scope.place_q(to_neighbourhood="") == Q(id=nb)


def test_a_model_that_cannot_reach_the_scopes_level_is_hidden():
    gate_scope = Scope.for_role(Role.GATE_STAFF, gate_id=uuid.uuid4())
    assert gate_scope.place_q(to_compound="compound") == Q(pk__in=[])
    compound_scope = Scope.for_role(Role.BUILDING_MANAGER, compound_id=uuid.uuid4())
    assert compound_scope.place_q(to_neighbourhood="neighbourhood") == Q(pk__in=[])


def test_a_district_scope_filters_on_the_streets_district():
    district = uuid.uuid4()
    scope = Scope.for_role(Role.DISTRICT_COMMAND, district_id=district)
    assert scope.place_q(to_compound="compound") == Q(compound__neighbourhood__street__district_id=district)


def test_own_paths_win_over_derived_ones():
    nb = uuid.uuid4()
    scope = Scope.for_role(Role.NEIGHBOURHOOD_WORKER, neighbourhood_id=nb)
    assert scope.place_q(to_compound="compound", to_neighbourhood="neighbourhood") == Q(neighbourhood__id=nb)


def test_roles_reach_only_their_column():
    assert not Scope.for_role(Role.GATE_STAFF).can(Capability.VIEW_RESIDENTS)
    assert not Scope.for_role(Role.COURIER).can(Capability.VIEW_RESIDENTS)
    assert not Scope.for_role(Role.STREET_OFFICER).can(Capability.VIEW_AUDIT)
    assert Scope.for_role(Role.DISTRICT_COMMAND).can(Capability.VIEW_AUDIT)
    assert Scope.for_role(Role.RESIDENT).capabilities == frozenset({Capability.VIEW_OWN_RECORD})
