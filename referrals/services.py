"""Writes for referrals. Every status change goes through ``Referral.transition`` under a row lock,
is recorded as a ``ReferralEvent``, and grants or revokes the partner's object permissions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm, remove_perm

from accounts.access import Perm, can, members_who_may, require
from accounts.models import Membership, Organisation, User
from casework.models import Case, CaseAccess, Consent
from casework.services import access_record
from core.history import stamp
from referrals.access import EITHER_SIDE, acting_perm
from referrals.models import (
    CONSENT_SCOPE_FOR_KIND,
    SIDE_PERM,
    TOO_LATE,
    Action,
    InvalidTransition,
    Notification,
    Referral,
    ReferralEvent,
    ReferralService,
    Side,
    Status,
)
from referrals.snapshot import SHAREABLE_BY_KEY, take_snapshot

PARTNER_OBJECT_PERMS = ("referrals.view_referral", Perm.REFERRAL_RESPOND.value)
SENDER_OBJECT_PERMS = ("referrals.view_referral", Perm.REFERRAL_SEND.value, Perm.REFERRAL_OVERRIDE_CONSENT.value)


def consent_scope_for(partner: Organisation) -> str:
    return CONSENT_SCOPE_FOR_KIND.get(partner.kind, Consent.Scope.SHARE_SOCIAL)


def has_consent_for(case: Case, partner: Organisation) -> bool:
    return case.consents.current().filter(scope=consent_scope_for(partner)).exists()


@transaction.atomic
def referral_create(
    *, case: Case, partner: Organisation, by: Membership, services: Iterable[str], urgency: str,
    reason: str, shared_fields: Iterable[str],
) -> Referral:
    """A draft referral from the acting member's trusted address. Nothing is shared until sent."""
    require(by, Perm.REFERRAL_SEND, case)
    if partner.kind not in Organisation.PARTNER_KINDS or not partner.is_active:
        raise ValidationError({"partner": _("Choose an active partner organisation.")})
    chosen_services = sorted(set(services))
    if not chosen_services:
        raise ValidationError({"services": _("Choose at least one service.")})
    fields = [key for key in shared_fields if key in SHAREABLE_BY_KEY]
    if "code" not in fields:
        fields.insert(0, "code")  # the partner needs the code to talk about the case with the sender
    referral = Referral(case=case, from_organisation=case.trusted_address, partner=partner,
                        partner_kind=partner.kind, urgency=urgency, reason=reason, shared_fields=fields,
                        created_by=by)
    referral.full_clean()
    stamp(referral, user=by.user, reason="draft created")
    referral.save()
    for service in chosen_services:
        ReferralService.objects.create(referral=referral, service=service)
    for perm in SENDER_OBJECT_PERMS:
        assign_perm(perm, case.trusted_address.group, referral)
    _event(referral, action="created", from_status="", to_status=Status.DRAFT, by=by, note="")
    return referral


def _event(referral: Referral, *, action: str, from_status: str, to_status: str, by: Membership | None,
           note: str) -> ReferralEvent:
    event = ReferralEvent(referral=referral, action=action, from_status=from_status, to_status=to_status,
                          actor=by, note=note)
    stamp(event, user=by.user if by else None, reason=action)
    event.save()
    return event


def _locked(referral: Referral) -> Referral:
    locked: Referral = Referral.objects.select_for_update().select_related("case", "partner").get(pk=referral.pk)
    return locked


@transaction.atomic
def referral_send(*, referral: Referral, by: Membership, override_reason: str = "") -> Referral:
    """Send: the consent gate, checked here on the server, then the snapshot and the partner's access.

    Without the survivor's current consent for this kind of partner, only a lead may send, only for a
    child, and only with a recorded reason (mandatory reporting under the Law on Children).
    """
    require(by, Perm.REFERRAL_SEND, referral)
    referral = _locked(referral)
    case = referral.case
    if not has_consent_for(case, referral.partner):
        if not override_reason.strip():
            raise ValidationError(
                _("She has not agreed to share with this kind of partner. Record her consent first.")
            )
        if not can(by, Perm.REFERRAL_OVERRIDE_CONSENT, referral):
            raise PermissionDenied(_("Only a trusted-address lead can send without consent."))
        if not case.is_child:
            raise ValidationError(_("Sending without consent is allowed only for a child at risk."))
        referral.consent_override = True
        referral.override_reason = override_reason.strip()
    now = timezone.now()
    previous = referral.transition(Action.SEND, by=by, now=now)
    referral.snapshot = json.dumps(take_snapshot(case, referral.shared_fields), ensure_ascii=False)
    referral.version += 1
    referral.full_clean()
    stamp(referral, user=by.user, reason="sent with consent override" if referral.consent_override else "sent")
    referral.save()
    _event(referral, action=Action.SEND, from_status=previous, to_status=referral.status, by=by,
           note=referral.override_reason if referral.consent_override else "")
    for perm in PARTNER_OBJECT_PERMS:
        assign_perm(perm, referral.partner.group, referral)
    kind = Notification.Kind.REFERRAL_URGENT if referral.urgency == Referral.Urgency.URGENT \
        else Notification.Kind.REFERRAL_RECEIVED
    _notify_side(referral, Side.PARTNER, kind=kind)
    return referral


@transaction.atomic
def referral_act(*, referral: Referral, action: str, by: Membership | None, note: str = "") -> Referral:
    """Any transition after sending. ``by=None`` is the system (expiry)."""
    if by is not None:
        _require_either_side(by, referral)
    referral = _locked(referral)
    if action in Referral.NOTE_REQUIRED and not note.strip():
        raise ValidationError({"note": _("Write a short reason or outcome.")})
    now = timezone.now()
    refusal = referral.refusal(action, by=by, now=now)
    if refusal == TOO_LATE:
        # Meant to expire it on the spot, but the raise below rolls this back with the rest of the atomic
        # service, so the expiry job is what expires it (kept as found; reported in issue 11).
        _expire(referral, now=now)
    if refusal is not None:
        raise InvalidTransition(refusal)
    previous = referral.transition(action, by=by, now=now)
    if action in (Action.COMPLETE, Action.CLOSE_WITHOUT_SERVICE, Action.DECLINE):
        referral.outcome = note.strip()
    referral.version += 1
    stamp(referral, user=by.user if by else None, reason=str(action))
    referral.save()
    _event(referral, action=action, from_status=previous, to_status=referral.status, by=by, note=note.strip())
    if referral.status in (Status.WITHDRAWN,):
        _revoke_partner(referral)
        _notify_side(referral, Side.PARTNER, kind=Notification.Kind.REFERRAL_WITHDRAWN)
    elif by is not None and referral.side_of(by) == Side.PARTNER:
        _notify_side(referral, Side.SENDER, kind=Notification.Kind.REFERRAL_UPDATED)
    return referral


def _expire(referral: Referral, *, now: dt.datetime) -> None:
    previous = referral.transition(Action.EXPIRE, by=None, now=now)
    referral.version += 1
    stamp(referral, user=None, reason="expired")
    referral.save()
    _event(referral, action=Action.EXPIRE, from_status=previous, to_status=referral.status, by=None, note="")
    _notify_side(referral, Side.SENDER, kind=Notification.Kind.REFERRAL_OVERDUE)


def referrals_expire_overdue(*, now: dt.datetime | None = None) -> int:
    """Expire every sent referral past its response time (run by ``expire_referrals``). Returns the count.

    One clock for the whole run (the current time unless given): the list and the check under the lock
    ask the same question, so a referral exactly at its respond-by time is left alone by both."""
    now = now or timezone.now()
    count = 0
    for pk in Referral.objects.overdue(now).values_list("pk", flat=True):
        with transaction.atomic():
            referral = Referral.objects.select_for_update().get(pk=pk)
            # It may have been answered since the list was read.
            if referral.is_overdue_at(now):
                _expire(referral, now=now)
                count += 1
    return count


@transaction.atomic
def referral_note_add(*, referral: Referral, by: Membership, note: str) -> ReferralEvent:
    """A progress note or feedback, by the partner or the sender."""
    _require_either_side(by, referral)
    referral = _locked(referral)
    if referral.side_of(by) is None:
        raise InvalidTransition(_("Only the sender or the receiving partner can add notes."))
    if referral.status in (Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED):
        raise InvalidTransition(_("Notes cannot be added to this referral now."))
    if not note.strip():
        raise ValidationError({"note": _("Write the note.")})
    event = _event(referral, action="note", from_status=referral.status, to_status=referral.status, by=by,
                   note=note.strip())
    other = Side.SENDER if referral.side_of(by) == Side.PARTNER else Side.PARTNER
    _notify_side(referral, other, kind=Notification.Kind.REFERRAL_UPDATED)
    return event


def _acting_perm(by: Membership | None) -> Perm:
    return acting_perm(by, EITHER_SIDE) or SIDE_PERM[Side.SENDER]


def _require_either_side(by: Membership, referral: Referral) -> None:
    """Acting on a referral at all needs the permission of one's own side on it (the sender's or the
    partner's); which side may take which step is then the transition map's answer, with its message."""
    require(by, _acting_perm(by), referral)


def referral_snapshot_viewed(*, referral: Referral, by: Membership, printed: bool = False) -> None:
    """Every partner view or print of a snapshot goes to the case's access log ("who saw my file")."""
    access_record(case=referral.case, by=by, read_with=_acting_perm(by), on=referral,
                  action=CaseAccess.Action.PRINT_REFERRAL if printed else CaseAccess.Action.VIEW_REFERRAL,
                  what=gettext_noop("referral slip") if printed else gettext_noop("shared referral information"))


def _revoke_partner(referral: Referral) -> None:
    for perm in PARTNER_OBJECT_PERMS:
        remove_perm(perm, referral.partner.group, referral)


@transaction.atomic
def referrals_withdraw_for_consent(*, consent: Consent, by: Membership) -> None:
    """A sharing consent was withdrawn (see :mod:`referrals.receivers`): withdraw the pending referrals
    of that scope and remove the partners' access to every snapshot of that scope, at once."""
    require(by, Perm.CASE_CHANGE, consent.case)
    affected = Referral.objects.select_for_update().filter(case=consent.case).exclude(status=Status.DRAFT)
    for referral in affected:
        if consent_scope_for(referral.partner) != consent.scope:
            continue
        if referral.status in (Status.SENT, Status.ACCEPTED) and referral.side_of(by) == Side.SENDER:
            # The note is read later by the partner too, whatever language either side uses: it is
            # written in the programme's language.
            with translation.override(settings.LANGUAGE_CODE):
                note = str(_("The survivor withdrew her consent."))
            referral_act(referral=referral, action=Action.WITHDRAW, by=by, note=note)
        _revoke_partner(referral)


# --- Notifications -------------------------------------------------------------------------------


def _notify_side(referral: Referral, side: str, *, kind: str) -> None:
    """Tell the members of one side whose role acts on that side of a referral."""
    organisation = referral.partner if side == Side.PARTNER else referral.from_organisation
    members = members_who_may(SIDE_PERM[side], organisation).select_related("user")
    users = {m.user for m in members}
    Notification.objects.bulk_create(
        [Notification(recipient=u, organisation=organisation, kind=kind, referral=referral) for u in users]
    )
    if settings.REFERRAL_EMAIL_NOTICES:
        recipients = sorted(u.email for u in users if u.email)
        if recipients:
            transaction.on_commit(lambda: _send_notice_email(recipients))


def _send_notice_email(recipients: list[str]) -> None:
    # Deliberately says nothing about the case: no name, code, place or incident, not even the kind
    # of referral. The link leads to the notifications page, behind sign-in.
    # The recipients' language is not known (and the request, if any, is someone else's): the notice
    # goes out in the programme's language, Vietnamese.
    link = settings.SITE_URL.rstrip("/") + reverse("referrals:notifications")
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(_("Trusted addresses: something needs your attention"))
        message = str(_("Something in the trusted-address system needs your attention. Sign in to see it:\n%(link)s")
                      % {"link": link})
    send_mail(subject=subject, message=message, from_email=None, recipient_list=recipients)


def notifications_mark_read(*, user: User, organisation: Organisation, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, organisation=organisation, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
