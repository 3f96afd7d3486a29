"""Writes for accounts: organisations, administrative units, users, memberships, one-time links, and work
kept across a time-out.

Each service validates with ``full_clean()``, runs in one transaction, records who did it in the
history tables (simple-history reads ``_history_user`` and ``_change_reason``) and writes the account
history (``AccountEvent``). Change reasons are English messages marked with ``gettext_noop``: stored as
they are, translated where the operator's history pages show them
(templates/simple_history/object_history_list.html).

Separation of duties lives here and in ``accounts.access``: nobody acts on their own account; a role
that needs confirmation is in force only once its confirmer has typed the code that the account's
holder sees; operators never see or set a password — users choose theirs with a one-time link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts import access, mail
from accounts.models import (
    AccountEvent,
    AccountLink,
    AdminUnit,
    Membership,
    Organisation,
    UnsavedWork,
    User,
)
from core.history import stamp

Kind = AccountEvent.Kind

# One "Forgot password?" per username in this window; more asks get the same answer and do nothing.
RESET_ASK_INTERVAL = dt.timedelta(minutes=15)

LINK_UNUSABLE = _(
    "This link can no longer be used: it has expired, it was already used, or a newer link replaced it. "
    "Ask your trusted-address lead or the system administrator for a new one."
)


@transaction.atomic
def admin_unit_create(
    *, level: str, code: str, name: str, parent: AdminUnit | None = None,
    valid_from: dt.date | None = None, valid_until: dt.date | None = None, by: Membership | None = None,
) -> AdminUnit:
    """A new unit; ``by``: the operator (None: the server console, the demo, the tests' factories)."""
    _refuse_unless_operator(by)
    unit = AdminUnit(
        level=level, code=code.strip(), name=name.strip(), parent=parent,
        valid_from=valid_from, valid_until=valid_until,
    )
    unit.path = AdminUnit.path_for(level=level, code=unit.code, parent=parent)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def admin_unit_update(
    *, unit: AdminUnit, by: Membership | None, level: str, code: str, name: str, parent: AdminUnit | None,
    valid_from: dt.date | None = None, valid_until: dt.date | None = None,
) -> AdminUnit:
    """Change a unit; ``by``: the operator (None: the server console).

    Paths decide what a supervisor sees and whose grants she confirms, so when the unit's own path
    changes (a new parent, code or level) every unit below it gets the new prefix in the same
    transaction, in one UPDATE however many there are. The unit and its new parent are locked first
    (in one order, so two moves wait rather than deadlock): a concurrent move of one under the other
    then sees the other's new path and is refused as a move under itself. Organisations, cases and
    grants follow by their foreign keys.

    Copies of paths outside accounts are left alone. A released period's figures are final
    (``indicators.models.Release``): they stay filed under the paths of the day they were counted, so a
    province's released report keeps a moved district in its total but no longer shows it as a
    column, and the district's own reports of those periods find nothing under its new path. The
    working statistics snapshot is counted again, with the new paths, by the next
    ``indicators_refresh``, which is also the only thing that releases a period.
    """
    _refuse_unless_operator(by)
    locked = {u.pk: u for u in AdminUnit.objects.select_for_update()
              .filter(pk__in=[unit.pk, parent.pk if parent else unit.pk]).order_by("pk")}
    unit = locked[unit.pk]
    old_path = unit.path
    unit.level, unit.code, unit.name = level, code.strip(), name.strip()
    unit.parent = locked[parent.pk] if parent is not None else None
    unit.valid_from, unit.valid_until = valid_from, valid_until
    unit.full_clean()  # before the path changes: clean() refuses a move under its own descendants
    unit.path = AdminUnit.path_for(level=unit.level, code=unit.code, parent=unit.parent)
    unit.save()
    if unit.path != old_path:
        # Every path below starts with old_path: swap that prefix for the new one (SQL strings count from 1).
        AdminUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1), output_field=CharField())
        )
    return unit


@transaction.atomic
def organisation_create(
    *, name: str, kind: str, area: AdminUnit, by: User | None,
    established_on: dt.date | None = None, programme_status: str = "", is_active: bool = True,
) -> Organisation:
    """Create an organisation and the permission group that will hold its object permissions."""
    organisation = Organisation(
        name=name.strip(), kind=kind, area=area, established_on=established_on,
        programme_status=programme_status, is_active=is_active,
    )
    organisation.group = Group.objects.create(name=f"organisation:{organisation.id}")
    organisation.full_clean()
    stamp(organisation, user=by, reason=gettext_noop("created"))
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User | None, **fields: object) -> Organisation:
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    stamp(organisation, user=by, reason=gettext_noop("updated"))
    organisation.save()
    return organisation


# --- Account history --------------------------------------------------------------------------------


def _event(
    user: User | int, kind: str, *, by: User | None = None, membership: Membership | None = None,
    delivery: str = "", at: dt.datetime | None = None,
) -> AccountEvent:
    user_id = user if isinstance(user, int) else user.pk
    return AccountEvent.objects.create(
        user_id=user_id, kind=kind, by=by, membership=membership, delivery=delivery, at=at or timezone.now()
    )


def _refuse_unless_operator(by: Membership | None) -> None:
    if by is not None and not access.role_allows(by, access.Perm.ADMINISTER):
        raise PermissionDenied


def _refuse_own_account(user: User, by: Membership | None) -> None:
    if by is not None and by.user_id == user.pk:
        raise ValidationError(_("Nobody can change their own roles. Ask another person to do it."))


# --- Memberships ----------------------------------------------------------------------------------


def membership_request_check(*, user: User, organisation: Organisation, role: str, by: Membership | None) -> None:
    """Everything ``membership_request`` refuses, without writing: the admin's form calls it to place
    the error beside the fields. ``by`` None is the server console."""
    _refuse_unless_operator(by)
    _refuse_own_account(user, by)
    if not user.is_active:
        raise ValidationError(_("This account is deactivated: reactivate it first."))
    Membership(user=user, organisation=organisation, role=role).full_clean(exclude=["requested_at"])


@transaction.atomic
def membership_request(*, user: User, organisation: Organisation, role: str, by: Membership | None) -> Membership:
    """Ask for a role for ``user``. A role that needs confirmation (``access.CONFIRMED_ROLES``) waits for
    its confirmer; any other is in force at once. ``by``: the operator asking (None: the server console).

    Never for one's own account: an operator who could grant themselves a volunteer's role would read
    the survivors of that address.
    """
    membership_request_check(user=user, organisation=organisation, role=role, by=by)
    now = timezone.now()
    by_user = by.user if by is not None else None
    membership = Membership(
        user=user, organisation=organisation, role=role, requested_by=by_user, requested_at=now,
        state=Membership.State.REQUESTED,
    )
    needs_confirmation = role in access.CONFIRMED_ROLES
    if not needs_confirmation:
        membership.state, membership.decided_by, membership.decided_at = Membership.State.ACTIVE, by_user, now
    membership.full_clean()
    stamp(membership, user=by_user,
          reason=gettext_noop("asked for, awaiting confirmation") if needs_confirmation else gettext_noop("granted"))
    membership.save()
    _event(user, Kind.MEMBERSHIP_REQUESTED if needs_confirmation else Kind.MEMBERSHIP_GRANTED,
           by=by_user, membership=membership, at=now)
    return membership


@transaction.atomic
def membership_grant(*, user: User, organisation: Organisation, role: str, by: None = None) -> Membership:
    """A role in force at once, granted from the server console (the demo, the tests' factories,
    benchmarks): asked for and confirmed by the console, both recorded. Nothing a signed-in person does
    reaches this function: in the application, roles are asked for with ``membership_request``."""
    membership = membership_request(user=user, organisation=organisation, role=role, by=None)
    if membership.is_awaiting_confirmation:
        membership = membership_confirm_from_console(membership=membership)
    return membership


# What each step is called in the history tables (translated where they are shown).
_CHANGE_REASONS = {
    Membership.Action.CONFIRM: gettext_noop("confirmed"),
    Membership.Action.DECLINE: gettext_noop("declined"),
    Membership.Action.REVOKE: gettext_noop("revoked"),
    Membership.Action.RECHECK: gettext_noop("awaiting confirmation again"),
}


def _locked(membership: Membership) -> Membership:
    return (Membership.objects.select_for_update(of=("self",))
            .select_related("user", "organisation", "organisation__area").get(pk=membership.pk))


def _take(membership: Membership, action: str, *, by: Membership | None, decider: str | None,
          kind: str, now: dt.datetime | None = None) -> Membership:
    now = now or timezone.now()
    membership.transition(action, by=by, decider=decider, now=now)
    membership.full_clean()
    by_user = by.user if by is not None else None
    stamp(membership, user=by_user, reason=_CHANGE_REASONS[Membership.Action(action)])
    membership.save()
    _event(membership.user, kind, by=by_user, membership=membership, at=now)
    return membership


@transaction.atomic
def membership_confirm(*, membership: Membership, by: Membership, code: str) -> Membership:
    """Put a grant in force. ``code`` is what the account's holder reads out from their own screen
    (``Membership.confirmation_code``): the confirmer confirms the person who can sign in right now."""
    membership = _locked(membership)
    decider = access.grant_decider(by, membership, own_confirmer_exists=access.own_confirmer_exists(membership))
    membership.check_transition(Membership.Action.CONFIRM, by=by, decider=decider)
    if not constant_time_compare((code or "").strip(), membership.confirmation_code()):
        raise ValidationError(
            {"code": _("That is not the code shown on this person's phone. Ask them to open their "
                       "account and read it to you again.")}
        )
    return _take(membership, Membership.Action.CONFIRM, by=by, decider=decider, kind=Kind.MEMBERSHIP_CONFIRMED)


@transaction.atomic
def membership_confirm_from_console(*, membership: Membership) -> Membership:
    """Confirm from the server console (``manage.py confirm_membership``, the demo)."""
    return _take(_locked(membership), Membership.Action.CONFIRM, by=None, decider=Membership.Decider.CONSOLE,
                 kind=Kind.MEMBERSHIP_CONFIRMED)


@transaction.atomic
def membership_decline(*, membership: Membership, by: Membership) -> Membership:
    membership = _locked(membership)
    decider = access.grant_decider(by, membership, own_confirmer_exists=access.own_confirmer_exists(membership))
    return _take(membership, Membership.Action.DECLINE, by=by, decider=decider, kind=Kind.MEMBERSHIP_DECLINED)


@transaction.atomic
def membership_revoke(*, membership: Membership, by: Membership | None) -> Membership:
    """End a role, in force or still awaiting confirmation. ``by``: an operator (None: the system)."""
    membership = _locked(membership)
    decider = access.grant_decider(by, membership, own_confirmer_exists=False)
    return _take(membership, Membership.Action.REVOKE, by=by, decider=decider, kind=Kind.MEMBERSHIP_REVOKED)


# --- Users ----------------------------------------------------------------------------------------


@transaction.atomic
def user_create(*, username: str, first_name: str = "", last_name: str = "", email: str = "",
                by: Membership) -> User:
    """A new account without a password: the user chooses it with an invitation link
    (``account_link_issue``). Nobody else ever knows it."""
    _refuse_unless_operator(by)
    user = User(username=username.strip(), first_name=first_name.strip(), last_name=last_name.strip(),
                email=User.objects.normalize_email(email.strip()))
    user.set_unusable_password()
    user.full_clean()
    user.save()
    _event(user, Kind.ACCOUNT_CREATED, by=by.user)
    return user


def email_locked_for_others(user: User) -> bool:
    """An account that holds, or awaits, a role that needs confirmation has its e-mail address changed
    by its owner only: an operator who could point it at their own mailbox would receive the links."""
    return user.memberships.live().filter(role__in=access.CONFIRMED_ROLES).exists()


@transaction.atomic
def user_update(*, user: User, by: Membership, username: str, first_name: str, last_name: str,
                email: str) -> User:
    """An operator's change of an account's names and e-mail address (never its password, never
    whether it is active: see ``user_deactivate``)."""
    _refuse_unless_operator(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    email = User.objects.normalize_email(email.strip())
    email_changed = email != user.email
    if email_changed and user.pk != by.user_id and email_locked_for_others(user):
        raise ValidationError({"email": _(
            "Only the account's owner can change this e-mail address (on their “My account” page), "
            "because the account works with survivors' records."
        )})
    user.username, user.first_name, user.last_name, user.email = (
        username.strip(), first_name.strip(), last_name.strip(), email)
    user.full_clean()
    user.save()
    if email_changed:
        _event(user, Kind.EMAIL_CHANGED, by=by.user)
    return user


@transaction.atomic
def email_change_own(*, user: User, email: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email = User.objects.normalize_email(email.strip())
    user.full_clean()
    user.save(update_fields=["email"])
    _event(user, Kind.EMAIL_CHANGED, by=user)
    return user


def password_changed_record(*, user: User) -> None:
    """The user changed their own password (knowing the old one)."""
    _event(user, Kind.PASSWORD_CHANGED, by=user)


@transaction.atomic
def user_deactivate(*, user: User, by: Membership) -> User:
    """Close an account: every role ends (reactivating the account later restores none of them: each
    must be asked for and confirmed again) and every unused link stops working."""
    _refuse_unless_operator(by)
    if by.user_id == user.pk:
        raise ValidationError(_("You cannot deactivate your own account. Ask another administrator."))
    user = User.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    for membership in user.memberships.live():
        membership_revoke(membership=membership, by=by)
    AccountLink.objects.filter(user=user).usable(now).update(voided_at=now)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _event(user, Kind.ACCOUNT_DEACTIVATED, by=by.user, at=now)
    return user


@transaction.atomic
def user_reactivate(*, user: User, by: Membership) -> User:
    _refuse_unless_operator(by)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = True
    user.save(update_fields=["is_active"])
    _event(user, Kind.ACCOUNT_REACTIVATED, by=by.user)
    return user


# --- One-time links: invitations and password resets ----------------------------------------------


def link_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:link-use", args=[token])


def _link_create(*, user_id: int, purpose: str, delivery: str, by: Membership | None,
                 now: dt.datetime) -> str:
    """Void every older usable link of the user and store a new one; return its token (never stored)."""
    AccountLink.objects.filter(user_id=user_id).usable(now).update(voided_at=now)
    token = secrets.token_urlsafe(32)
    AccountLink.objects.create(
        user_id=user_id, purpose=purpose, delivery=delivery, token_hash=AccountLink.hash_token(token),
        created_by=by.user if by is not None else None, created_as=by, created_at=now,
        expires_at=now + AccountLink.LIFETIME,
    )
    return token


@transaction.atomic
def account_link_issue(*, user: User, by: Membership, delivery: str) -> tuple[AccountLink, str]:
    """A one-time link for ``user`` to choose a password: an invitation while the account has none, a
    reset otherwise. Returns the link and its token, which exists only in this return value: show it
    once, or e-mail it (``delivery``), and forget it.

    Operators may for anyone, a lead for the members of her address, in person (``access``); nobody for
    their own account (they change their password knowing the old one).
    """
    if not access.may_issue_link(by, user):
        raise PermissionDenied
    if delivery == AccountLink.Delivery.EMAILED and not access.role_allows(by, access.Perm.ADMINISTER):
        # A lead hands links over in person; an e-mail would go wherever the address points.
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError(_("This account is deactivated: reactivate it first."))
    if delivery == AccountLink.Delivery.EMAILED and not user.email:
        raise ValidationError(_("This account has no e-mail address: hand the link over in person."))
    now = timezone.now()
    purpose = AccountLink.Purpose.RESET if user.has_usable_password() else AccountLink.Purpose.INVITE
    token = _link_create(user_id=user.pk, purpose=purpose, delivery=delivery, by=by, now=now)
    _event(user, Kind.INVITATION_ISSUED if purpose == AccountLink.Purpose.INVITE else Kind.RESET_LINK_ISSUED,
           by=by.user, delivery=delivery, at=now)
    if delivery == AccountLink.Delivery.EMAILED:
        url, to = link_url(token), user.email
        transaction.on_commit(lambda: mail.send_password_link(to=to, url=url))
    return AccountLink.objects.get(token_hash=AccountLink.hash_token(token)), token


def account_link_find(*, token: str) -> AccountLink | None:
    """The usable link with this token, or None (expired, used, replaced, unknown: all alike)."""
    link = (AccountLink.objects.usable().select_related("user")
            .filter(token_hash=AccountLink.hash_token(token or "")).first())
    return link if link is not None and link.user.is_active else None


@transaction.atomic
def account_link_redeem(*, token: str, password: str) -> User:
    """Set the password chosen with a one-time link; the link is used up and every other one voided.

    Whoever holds a link can choose the password, so every role that needs confirmation goes back to
    awaiting it (with a new code only the account's holder sees) unless the link was handed over in
    person by that role's own confirmer (``access.link_keeps_in_force``). An operator who issued a
    link for a volunteer and used it himself would find her roles waiting for her lead.
    """
    now = timezone.now()
    link = (AccountLink.objects.select_for_update(of=("self",)).select_related("created_as")
            .filter(token_hash=AccountLink.hash_token(token or "")).first())
    if link is None or not link.is_usable(now):
        raise ValidationError(LINK_UNUSABLE)
    user = User.objects.select_for_update().get(pk=link.user_id)
    if not user.is_active:
        raise ValidationError(LINK_UNUSABLE)
    if link.created_as is not None:
        # "In that position still": the issuer's role as it is now, not as it was.
        link.created_as = Membership.objects.active().select_related("organisation__area").filter(
            pk=link.created_as_id).first() if link.created_as_id is not None else None
    user.set_password(password)
    user.save(update_fields=["password"])
    link.used_at = now
    link.save(update_fields=["used_at"])
    AccountLink.objects.filter(user=user).usable(now).update(voided_at=now)
    _event(user, Kind.INVITATION_USED if link.purpose == AccountLink.Purpose.INVITE else Kind.RESET_USED, at=now)
    for membership in user.memberships.filter(state=Membership.State.ACTIVE).select_related(
            "organisation__area").select_for_update(of=("self",)):
        if not access.link_keeps_in_force(link, membership):
            membership.requested_by = link.created_by
            _take(membership, Membership.Action.RECHECK, by=None, decider=Membership.Decider.SYSTEM,
                  kind=Kind.MEMBERSHIP_RECHECK, now=now)
    # The holder may have been locked out by failed sign-ins: that was the point of the link.
    transaction.on_commit(lambda: axes_reset(username=user.get_username()))
    return user


def _reset_ask_key(username: str) -> str:
    return "accounts:reset-ask:" + hashlib.sha256(username.casefold().encode("utf-8")).hexdigest()


def password_reset_ask(*, username: str) -> None:
    """"Forgot password?": the answer never says whether the account exists.

    An account with an e-mail address is sent a link there; one without gets a "new password asked
    for" line in its history, which its lead and the operators see, so they can hand a link over. One
    ask per username every ``RESET_ASK_INTERVAL`` (counted for unknown names too); more do nothing.

    Like Django's dummy password hash for unknown users, every username runs the same database
    statements, so neither the time taken nor their number tells the difference: what must not stay
    (the writes for nobody, a link for an account without e-mail) is rolled back to its savepoint.
    """
    user = User.objects.filter(username=username, is_active=True).first()
    if not cache.add(_reset_ask_key(username), True, timeout=int(RESET_ASK_INTERVAL.total_seconds())):
        return
    deliver = user is not None and bool(user.email)
    subject_id = user.pk if user is not None else 0  # 0: nobody; never committed
    now = timezone.now()
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=subject_id))
        # Explicit savepoints: keeping one and rolling one back are one statement each.
        asked = transaction.savepoint()
        _event(subject_id, Kind.RESET_ASKED, at=now,
               delivery=AccountEvent.Delivery.EMAILED if deliver else AccountEvent.Delivery.NO_EMAIL)
        linked = transaction.savepoint()
        token = _link_create(user_id=subject_id, purpose=AccountLink.Purpose.RESET,
                             delivery=AccountLink.Delivery.EMAILED, by=None, now=now)
        # An account without e-mail keeps its older links: a link its lead just handed over still works.
        (transaction.savepoint_commit if deliver else transaction.savepoint_rollback)(linked)
        (transaction.savepoint_commit if user is not None else transaction.savepoint_rollback)(asked)
    if deliver:
        assert user is not None
        url, to = link_url(token), user.email
        transaction.on_commit(lambda: mail.send_password_link(to=to, url=url))


# --- Work posted after the idle time-out (accounts/unsaved.py) --------------------------------------


def unsaved_work_purge() -> int:
    """Delete every expired row; returns how many. Called whenever rows are written or read."""
    deleted, _by_model = UnsavedWork.objects.expired().delete()
    return deleted


@transaction.atomic
def unsaved_work_keep(
    *, user: User, membership: Membership | None, action: str, page: str, fields: dict[str, list[str]],
    replacing: uuid.UUID | None = None,
) -> UnsavedWork:
    """Seal what ``user`` posted after their session timed out. ``replacing`` (the work this browser
    kept before) is deleted: one browser keeps its newest post only."""
    unsaved_work_purge()
    if replacing is not None:
        UnsavedWork.objects.filter(pk=replacing, user=user).delete()
    work = UnsavedWork(user=user, membership=membership, action=action, page=page)
    work.fields = UnsavedWork.seal(work.pk, fields)
    work.full_clean()
    work.save(force_insert=True)
    return work


@transaction.atomic
def unsaved_work_claim(*, pk: uuid.UUID, user: User) -> UnsavedWork | None:
    """Take the kept work out of the database for ``user``, who has just signed in on the browser that
    kept it. The row is deleted whoever signs in; only its author, within the hour, gets it back."""
    unsaved_work_purge()
    work = UnsavedWork.objects.select_for_update().filter(pk=pk).first()
    if work is None:
        return None
    work.delete()
    if work.user_id != user.pk or work.is_expired:
        return None
    # ``delete()`` cleared the primary key; the sealed fields stay bound to it.
    work.pk = pk
    return work
