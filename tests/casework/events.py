"""For the tests of what a withdrawal of consent sets off (casework.signals)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from casework.models import Consent
from casework.signals import consent_withdrawn


class Refused(Exception):
    """Raised by the receiver of :func:`a_receiver_refusing`."""


@contextlib.contextmanager
def a_receiver_refusing() -> Iterator[None]:
    """A receiver of ``consent_withdrawn`` that fails, as a partner's or the statistics' might. It is
    connected last, so the project's own receivers have done their part when it fails."""

    def refuse(sender: type[Consent], **kwargs: Any) -> None:
        raise Refused

    consent_withdrawn.connect(refuse, sender=Consent, dispatch_uid="tests.refusing")
    try:
        yield
    finally:
        consent_withdrawn.disconnect(sender=Consent, dispatch_uid="tests.refusing")
