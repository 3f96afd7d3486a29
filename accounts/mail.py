"""E-mail to account holders. One function per use; each message says nothing about anyone: no name,
no username, no organisation, no case — only what to do, and a link behind which the rest is."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _


def send_password_link(*, to: str, url: str) -> None:
    """The one-time link with which the account holder chooses a password (invitation or reset alike,
    so the message does not even say whether the account is new). Always in Vietnamese."""
    with translation.override("vi"):
        subject = _("Trusted addresses: choose your password")
        body = _(
            "Open this link to choose your password. It works once, for 24 hours:\n%(url)s\n\n"
            "If you did not expect this message, ignore it: nothing changes. Never forward this link."
        ) % {"url": url}
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
