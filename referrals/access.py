"""The gate for referrals (built on accounts.access)."""

from __future__ import annotations

from typing import Any

from accounts.access import Perm, get_object_for
from accounts.models import Membership
from referrals.models import Referral


def visible_referrals(membership: Membership | None):  # type: ignore[no-untyped-def]
    """Referrals the membership may open: those of its own cases, and those addressed to its
    organisation that it still holds permission on."""
    return (Referral.objects.sent_by(membership) | Referral.objects.received_by(membership)).distinct()


def get_referral_for(membership: Membership | None, pk: Any, perm: Perm) -> Referral:
    """The referral if visible (else 404) and ``perm`` allowed on it (else 403).

    Both sides hold object permissions through their organisation's group: the sending trusted
    address holds REFERRAL_SEND (granted when the draft is made), the partner holds REFERRAL_RESPOND
    (granted when it is sent, revoked when consent is withdrawn or the referral is withdrawn).
    """
    visible = visible_referrals(membership).select_related("case", "case__survivor", "partner", "from_organisation")
    return get_object_for(membership, perm, visible=visible, pk=pk)
