"""Withdrawing a consent is announced (casework.signals): before and after the change, inside the
withdrawal's transaction, and a receiver that fails undoes the whole withdrawal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from casework import services
from casework.models import Consent
from casework.signals import consent_withdrawing, consent_withdrawn
from tests.casework.builders import case_a
from tests.casework.events import Refused, a_receiver_refusing


@pytest.fixture
def heard() -> Iterator[list[tuple[str, Any, bool, Any]]]:
    """What a receiver of both signals saw: the signal, the consent as sent and as stored, and whether
    it was inside a transaction."""
    seen: list[tuple[str, Any, bool, Any]] = []

    def listen(name: str) -> Any:
        def receiver(sender: type[Consent], *, consent: Consent, by: Any, **kwargs: Any) -> None:
            stored = Consent.objects.get(pk=consent.pk).withdrawn_on
            seen.append((name, consent.withdrawn_on, transaction.get_connection().in_atomic_block, stored))
            assert by is not None
        return receiver

    before, after = listen("withdrawing"), listen("withdrawn")
    consent_withdrawing.connect(before, sender=Consent, dispatch_uid="test.heard.withdrawing")
    consent_withdrawn.connect(after, sender=Consent, dispatch_uid="test.heard.withdrawn")
    try:
        yield seen
    finally:
        consent_withdrawing.disconnect(sender=Consent, dispatch_uid="test.heard.withdrawing")
        consent_withdrawn.disconnect(sender=Consent, dispatch_uid="test.heard.withdrawn")


@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_consent_is_announced_before_and_after_the_change_inside_its_transaction(cast, heard):
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    assert not transaction.get_connection().in_atomic_block  # so the receivers' answer means something

    withdrawn = services.consent_withdraw(consent=consent, by=cast.volunteer_a)

    assert heard == [
        ("withdrawing", None, True, None),
        ("withdrawn", withdrawn.withdrawn_on, True, withdrawn.withdrawn_on),
    ]


def test_a_refused_withdrawal_is_not_announced(cast, heard):
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    heard.clear()
    with pytest.raises(ValidationError, match="Sự đồng ý này đã được rút lại"):
        services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    assert heard == []


def test_a_receiver_that_fails_rolls_the_withdrawal_back(cast):
    consent = case_a(cast).consents.get(scope=Consent.Scope.SHARE_POLICE)
    with a_receiver_refusing(), pytest.raises(Refused):
        services.consent_withdraw(consent=consent, by=cast.volunteer_a)
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert case_a(cast).consents.current().filter(scope=Consent.Scope.SHARE_POLICE).exists()
    assert not consent.history.filter(history_change_reason="consent withdrawn").exists()
