"""The transition map as a table: every (state, action, actor) → allowed or refused."""

import datetime as dt
import itertools
import uuid

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role
from referrals.models import TOO_LATE, Action, InvalidTransition, Referral, Side, Status, overdue_at

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


# Before, exactly at and after the time to answer: a referral exactly at respond_by is still on time.
MOMENTS = {"before": -dt.timedelta(seconds=1), "at": dt.timedelta(0), "after": dt.timedelta(microseconds=1)}


@pytest.mark.parametrize("status,action,actor,moment",
                         list(itertools.product(Status, Action, ACTORS, MOMENTS)))
def test_can_and_transition_give_the_same_answer_at_the_same_moment(status, action, actor, moment):
    referral = _referral(status)
    now = referral.respond_by + MOMENTS[moment]
    refusal = referral.refusal(action, by=_actor(actor), now=now)
    allowed = referral.can(action, by=_actor(actor), now=now)
    assert allowed is (refusal is None)
    if allowed:
        referral.transition(action, by=_actor(actor), now=now)
        assert referral.status == ALLOWED[(status, action, _side(actor))]
    else:
        with pytest.raises(InvalidTransition) as refused:
            referral.transition(action, by=_actor(actor), now=now)
        assert refused.value.messages == [refusal]
        assert referral.status == status


@pytest.mark.parametrize("moment,allowed", [("before", True), ("at", True), ("after", False)])
def test_the_partner_may_accept_until_respond_by_and_not_after(moment, allowed):
    referral = _referral(Status.SENT)
    now = referral.respond_by + MOMENTS[moment]
    assert referral.can(Action.ACCEPT, by=_actor("partner"), now=now) is allowed
    assert referral.is_overdue_at(now) is not allowed
    expected = None if allowed else str(TOO_LATE)
    assert referral.refusal(Action.ACCEPT, by=_actor("partner"), now=now) == expected


def test_the_wrong_side_is_told_who_may_act_even_after_respond_by():
    referral = _referral(Status.SENT)
    refusal = referral.refusal(Action.ACCEPT, by=_actor("sender"), now=referral.respond_by + dt.timedelta(days=1))
    assert refusal == str(_("Only %(side)s can do this.") % {"side": Side.PARTNER.label})


@pytest.mark.django_db
@pytest.mark.parametrize("status,moment", list(itertools.product(Status, MOMENTS)))
def test_the_sql_and_the_in_memory_overdue_rules_agree(status, moment):
    respond_by = timezone.now()
    now = respond_by + MOMENTS[moment]
    in_sql = overdue_at(now).check({"status": status, "respond_by": respond_by})
    assert in_sql is Referral(status=status, respond_by=respond_by).is_overdue_at(now)
    assert in_sql is (status == Status.SENT and moment == "after")
