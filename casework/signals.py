"""The events casework announces to the apps built on it.

Casework may not import the apps above it (accounts ← casework ← referrals ← indicators), yet some of
what they hold must change when a case's record does: a survivor who withdraws her consent to share
with a partner must take that partner's access with it, and one who withdraws her consent to statistics
must leave the working figures. Casework announces the change with a Django signal; each app that
reacts connects its own named receiver in its ``AppConfig.ready()`` with a ``dispatch_uid``, so that
``grep consent_withdrawn`` finds every effect of a withdrawal.

Why a pair of signals and not a context manager
-----------------------------------------------
The statistics take her out by difference: they count her cells just before the consent changes and
just after, in the same transaction (:mod:`indicators.receivers`). Django answers "before and after a
change" with a pair of signals — ``pre_save``/``post_save``, ``pre_delete``/``post_delete`` — not with
a hook that wraps the change, so casework does the same: :data:`consent_withdrawing` then
:data:`consent_withdrawn`. A receiver that needs its "before" keeps it itself, keyed by the consent
(both signals carry the same instance).

Both are sent with ``send()``, never ``send_robust()``, inside the withdrawal's transaction: a receiver
that fails rolls the whole withdrawal back, so a withdrawal is never recorded while a partner keeps her
file or the statistics keep her. Receivers must not depend on their order among themselves.

Arguments sent with both (the sender is :class:`casework.models.Consent`):

``consent``
    The consent being withdrawn, locked for the transaction (``select_for_update``). With
    :data:`consent_withdrawing` its ``withdrawn_on`` is still ``None``; with :data:`consent_withdrawn`
    it is set and saved.
``by``
    The :class:`accounts.models.Membership` recording the withdrawal.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by casework.services.consent_withdraw once the withdrawal is validated, before the consent changes.
consent_withdrawing = Signal()

# Sent by casework.services.consent_withdraw after the consent is saved as withdrawn, in the same transaction.
consent_withdrawn = Signal()
