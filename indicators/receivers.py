"""What indicators do when casework announces a change (see :mod:`casework.signals`). Connected in
:meth:`indicators.apps.IndicatorsConfig.ready`.

A withdrawal of consent to statistics takes her out of the working snapshot by difference
(:func:`indicators.services.snapshot_withdraw`): her cells are counted on ``consent_withdrawing``, kept
here keyed by the consent, and counted again on ``consent_withdrawn``, in the withdrawal's transaction.

The "before" figures are one woman's profile: they are held in a :class:`weakref.WeakKeyDictionary`,
so that they live no longer than the consent instance the withdrawal works on — a withdrawal that fails
between the two signals leaves nothing of hers behind in the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from indicators import aggregates
from indicators.services import Figures, snapshot_withdraw, withdrawal_count

if TYPE_CHECKING:  # the type only: indicators read the records through aggregates alone
    from casework.models import Consent

_before: WeakKeyDictionary[Consent, Figures] = WeakKeyDictionary()


def count_before_withdrawal(sender: type[Consent], *, consent: Consent, **kwargs: Any) -> None:
    """``consent_withdrawing``: her cells as they are before the consent to statistics changes."""
    # Forget a failed earlier attempt on the same consent first: its instance, equal to this one, would
    # otherwise stay the key and take these figures with it when it is collected.
    _before.pop(consent, None)
    figures = withdrawal_count(consent)
    if figures is not None:
        _before[consent] = figures


def take_out_of_statistics(sender: type[Consent], *, consent: Consent, **kwargs: Any) -> None:
    """``consent_withdrawn``: take her part out of the working snapshot."""
    if aggregates.statistics_case(consent) is None:
        return
    try:
        before = _before.pop(consent)
    except KeyError:
        # Refuse rather than leave her counted: the withdrawal is rolled back and the error is seen.
        raise RuntimeError("consent_withdrawn was sent without consent_withdrawing for this consent") from None
    snapshot_withdraw(consent=consent, before=before)
