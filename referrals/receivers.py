"""What referrals do when casework announces a change (see :mod:`casework.signals`). Connected in
:meth:`referrals.apps.ReferralsConfig.ready`."""

from __future__ import annotations

from typing import Any

from accounts.models import Membership
from casework.models import Consent
from referrals.services import referrals_withdraw_for_consent


def revoke_partner_access(sender: type[Consent], *, consent: Consent, by: Membership, **kwargs: Any) -> None:
    """``consent_withdrawn``: a partner keeps nothing of hers that she no longer consents to share."""
    referrals_withdraw_for_consent(consent=consent, by=by)
