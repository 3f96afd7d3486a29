"""The transition map as a table: every (state, action, actor) → allowed or refused."""

import datetime as dt
import itertools
import uuid

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from referrals.models import Action, InvalidTransition, Referral, Side, Status

ALLOWED = {
    (Status.DRAFT, Action.SEND, Side.SENDER): Status.SENT,
    (Status.SENT, Action.ACCEPT, Side.PARTNER): Status.ACCEPTED,
    (Status.SENT, Action.DECLINE, Side.PARTNER): Status.DECLINED,
    (Status.SENT, Action.WITHDRAW, Side.SENDER): Status.WITHDRAWN,
    (Status.SENT, Action.EXPIRE, Side.SYSTEM): Status.EXPIRED,
    (Status.ACCEPTED, Action.START, Side.PARTNER): Status.IN_PROGRESS,
    (Status.ACCEPTED, Action.WITHDRAW, Side.SENDER): Status.WITHDRAWN,
    (Status.ACCEPTED, Action.CLOSE_WITHOUT_SERVICE, Side.PARTNER): Status.CLOSED_WITHOUT_SERVICE,
    (Status.IN_PROGRESS, Action.COMPLETE, Side.PARTNER): Status.COMPLETED,
    (Status.IN_PROGRESS, Action.CLOSE_WITHOUT_SERVICE, Side.PARTNER): Status.CLOSED_WITHOUT_SERVICE,
}
ACTORS = ["sender", "partner", "system", "other_partner", "other_address"]


ADDRESS, POLICE, OTHER_ADDRESS, HEALTH = (uuid.uuid4() for _ in range(4))


def _actor(name):
    # Unsaved memberships: the map and the side check need no database.
    return {
        "sender": Membership(organisation_id=ADDRESS, role=Role.VOLUNTEER),
        "partner": Membership(organisation_id=POLICE, role=Role.PARTNER_OFFICER),
        "system": None,
        "other_partner": Membership(organisation_id=HEALTH, role=Role.PARTNER_OFFICER),
        "other_address": Membership(organisation_id=OTHER_ADDRESS, role=Role.VOLUNTEER),
    }[name]


def _referral(status):
    referral = Referral(from_organisation_id=ADDRESS, partner_id=POLICE, status=status)
    referral.sent_at = None if status == Status.DRAFT else timezone.now()
    referral.respond_by = timezone.now() + dt.timedelta(hours=1)
    return referral


def _side(name):
    return {"sender": Side.SENDER, "partner": Side.PARTNER, "system": Side.SYSTEM}.get(name)


@pytest.mark.parametrize("status,action,actor", list(itertools.product(Status, Action, ACTORS)))
def test_every_state_action_actor_triple(status, action, actor):
    referral = _referral(status)
    expected = ALLOWED.get((status, action, _side(actor)))
    now = timezone.now()
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            referral.transition(action, by=_actor(actor), now=now)
        assert refused.value.messages[0]  # a message saying why, never a silent no-op
        assert referral.status == status
        assert not referral.can(action, by=_actor(actor))
    else:
        assert referral.can(action, by=_actor(actor))
        referral.transition(action, by=_actor(actor), now=now)
        assert referral.status == expected


def test_the_map_has_exactly_the_documented_moves():
    documented = {(s, a): (to, side) for (s, a, side), to in ALLOWED.items()}
    assert documented == Referral.TRANSITIONS


def test_an_expired_referral_cannot_be_accepted_even_before_the_expiry_job_runs(settings):
    referral = _referral(Status.DRAFT)
    referral.urgency = Referral.Urgency.URGENT
    referral.transition(Action.SEND, by=_actor("sender"), now=timezone.now() - dt.timedelta(days=2))
    with pytest.raises(InvalidTransition) as refused:
        referral.transition(Action.ACCEPT, by=_actor("partner"), now=timezone.now())
    assert "expired" in str(refused.value.messages[0]) or "hết hạn" in str(refused.value.messages[0])
