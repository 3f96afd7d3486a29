"""The membership transition map as a table: every (state, action, decider) → allowed or refused, and
nobody acts on their own account — without a database."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from accounts.models import InvalidTransition, Membership, Role, User

State, Action, Decider = Membership.State, Membership.Action, Membership.Decider
ALLOWED = {
    (State.REQUESTED, Action.CONFIRM, Decider.CONFIRMER): State.ACTIVE,
    (State.REQUESTED, Action.CONFIRM, Decider.CONSOLE): State.ACTIVE,
    (State.REQUESTED, Action.DECLINE, Decider.CONFIRMER): State.DECLINED,
    (State.REQUESTED, Action.REVOKE, Decider.OPERATOR): State.REVOKED,
    (State.REQUESTED, Action.REVOKE, Decider.SYSTEM): State.REVOKED,
    (State.ACTIVE, Action.REVOKE, Decider.OPERATOR): State.REVOKED,
    (State.ACTIVE, Action.REVOKE, Decider.SYSTEM): State.REVOKED,
    (State.ACTIVE, Action.RECHECK, Decider.SYSTEM): State.REQUESTED,
}
GRANTEE, REQUESTER, OTHER = 1, 2, 3


def _by(decider: str | None, user_id: int = OTHER) -> Membership | None:
    # Unsaved memberships: the map and the self checks need no database.
    if decider in Membership.IMPERSONAL:
        return None
    return Membership(user=User(pk=user_id), role=Role.LEAD)


def _grant(state: str) -> Membership:
    return Membership(user=User(pk=GRANTEE), role=Role.VOLUNTEER, state=state, requested_by_id=REQUESTER,
                      requested_at=timezone.now())


@pytest.mark.parametrize("state,action,decider", list(itertools.product(State, Action, [*Decider, None])))
def test_every_state_action_decider_triple(state, action, decider):
    grant = _grant(state)
    expected = ALLOWED.get((state, action, decider))
    by = _by(decider)
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            grant.transition(action, by=by, decider=decider, now=timezone.now())
        assert refused.value.messages[0]  # a message saying why, never a silent no-op
        assert grant.state == state
        assert not grant.can(action, by=by, decider=decider)
    else:
        assert grant.can(action, by=by, decider=decider)
        grant.transition(action, by=by, decider=decider, now=timezone.now())
        assert grant.state == expected


def test_the_map_has_exactly_the_documented_moves():
    documented: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for (state, action, decider), to in ALLOWED.items():
        documented.setdefault((state, action), (to, set()))[1].add(decider)
    assert {k: (to, frozenset(d)) for k, (to, d) in documented.items()} == Membership.TRANSITIONS


@pytest.mark.parametrize("state,action", [(s, a) for (s, a) in Membership.TRANSITIONS])
@pytest.mark.parametrize("decider", [Decider.CONFIRMER, Decider.OPERATOR])
def test_nobody_takes_any_step_on_their_own_membership(state, action, decider):
    grant = _grant(state)
    own = _by(decider, user_id=GRANTEE)

    with pytest.raises(InvalidTransition, match="vai trò của chính mình"):
        grant.transition(action, by=own, decider=decider, now=timezone.now())
    assert grant.state == state


def test_the_one_who_asked_cannot_confirm_even_as_the_confirmer():
    grant = _grant(State.REQUESTED)

    with pytest.raises(InvalidTransition, match="không được tự xác nhận"):
        grant.transition(Action.CONFIRM, by=_by(Decider.CONFIRMER, user_id=REQUESTER), decider=Decider.CONFIRMER,
                         now=timezone.now())
    assert grant.state == State.REQUESTED


def test_confirming_records_who_and_when_and_a_recheck_clears_the_decision():
    grant, confirmer, now = _grant(State.REQUESTED), _by(Decider.CONFIRMER), timezone.now()

    grant.transition(Action.CONFIRM, by=confirmer, decider=Decider.CONFIRMER, now=now)
    assert (grant.state, grant.decided_by, grant.decided_at) == (State.ACTIVE, confirmer.user, now)

    later = now + timezone.timedelta(days=1)
    grant.transition(Action.RECHECK, by=None, decider=Decider.SYSTEM, now=later)
    assert (grant.state, grant.decided_by, grant.decided_at, grant.requested_at) == (
        State.REQUESTED, None, None, later)


def test_a_person_cannot_pass_for_the_system_nor_the_system_for_a_person():
    grant = _grant(State.ACTIVE)
    with pytest.raises(InvalidTransition):
        grant.transition(Action.RECHECK, by=_by(Decider.CONFIRMER), decider=Decider.SYSTEM, now=timezone.now())
    with pytest.raises(InvalidTransition):
        grant.transition(Action.REVOKE, by=None, decider=Decider.OPERATOR, now=timezone.now())
