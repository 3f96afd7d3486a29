"""Who a user is, which organisation they act for, and in what role.

Nothing here knows about cases: the rules of what a role may do live in ``accounts.access``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.crypto import Binding, DecryptionError, decrypt_text, encrypt_text

if TYPE_CHECKING:
    from guardian.core import ObjectPermissionChecker


class User(AbstractUser):
    """A person who signs in. What they may do comes only from their memberships.

    ``is_superuser`` and ``is_staff`` grant nothing in this system: the access gate reads memberships.
    """

    # Set on the request's user by django_otp's OTPMiddleware: whether this session passed the second factor.
    is_verified: Callable[[], bool]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def active_memberships(self) -> models.QuerySet[Membership]:
        return self.memberships.active().select_related("organisation", "organisation__area")

    @property
    def requires_two_factor(self) -> bool:
        from accounts.access import TWO_FACTOR_ROLES

        return self.memberships.active().filter(role__in=TWO_FACTOR_ROLES).exists()

    @property
    def display_name(self) -> str:
        # Vietnamese order: family and middle names (last_name) before the given name.
        return " ".join(part for part in (self.last_name, self.first_name) if part) or self.username


class AdminUnitQuerySet(models.QuerySet["AdminUnit"]):
    def within(self, unit: AdminUnit) -> AdminUnitQuerySet:
        """The unit and every unit below it (one indexed prefix match, no recursion)."""
        return self.filter(path__startswith=unit.path)


class AdminUnit(models.Model):
    """A province, district, commune or village, with its official code.

    Both the 2021–2025 three-level hierarchy (province → district → commune) and the two-level one in
    force since 2025-07-01 (province → commune) are representable: a commune's parent may be a district
    or a province. ``path`` is the chain of level-prefixed codes from the province down, so "everything
    in this district" is a prefix match.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")
        VILLAGE = "village", _("Village")

    # Which levels may sit directly above each level.
    ALLOWED_PARENTS: dict[str, tuple[str, ...]] = {
        Level.PROVINCE: (),
        Level.DISTRICT: (Level.PROVINCE,),
        Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
        Level.VILLAGE: (Level.COMMUNE,),
    }

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("official code"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="adminunit_unique_level_code"),
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True) | (~Q(level="province") & Q(parent__isnull=False)),
                name="adminunit_only_provinces_are_roots",
                violation_error_message=_("A province has no parent; every other unit has one."),
            ),
            models.CheckConstraint(
                condition=(Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                           | Q(valid_until__gte=models.F("valid_from"))),
                name="adminunit_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def path_for(*, level: str, code: str, parent: AdminUnit | None) -> str:
        return f"{parent.path if parent else ''}{level[0]}{code}/"

    def clean(self) -> None:
        parent = self.parent
        if self.pk and parent is not None and parent.ancestors_and_self().filter(pk=self.pk).exists():
            # The levels below would refuse it too, but this says what is wrong.
            raise ValidationError({"parent": _("A unit cannot be moved under itself or under a unit inside it.")})
        allowed = self.ALLOWED_PARENTS.get(self.level, ())
        parent_level = parent.level if parent is not None else None
        if (parent_level is None and allowed) or (parent_level is not None and parent_level not in allowed):
            raise ValidationError(
                {"parent": _("A %(level)s cannot sit under this unit.") % {"level": self.get_level_display()}}
            )
        if self.pk:
            self._clean_what_sits_under()

    def _clean_what_sits_under(self) -> None:
        """A unit whose level changes keeps what it holds only if that still fits under the new level."""
        fitting = [level for level, parents in self.ALLOWED_PARENTS.items() if self.level in parents]
        misfit = self.children.exclude(level__in=fitting).order_by("path").first()
        if misfit is not None:
            raise ValidationError({"level": _(
                "%(unit)s, a %(child_level)s, cannot sit under a %(level)s: move it elsewhere first."
            ) % {"unit": misfit.name, "child_level": misfit.get_level_display(), "level": self.get_level_display()}})
        if self.level not in TRUSTED_ADDRESS_LEVELS and self.organisations.trusted_addresses().exists():
            raise ValidationError(
                {"level": _("This unit holds trusted addresses: a trusted address belongs to a commune or a village.")}
            )

    def ancestors_and_self(self) -> AdminUnitQuerySet:
        prefixes = []
        parts = [p for p in self.path.split("/") if p]
        for i in range(1, len(parts) + 1):
            prefixes.append("/".join(parts[:i]) + "/")
        return AdminUnit.objects.filter(path__in=prefixes)


# Where a trusted address may be: the unit of its own community.
TRUSTED_ADDRESS_LEVELS = (AdminUnit.Level.COMMUNE, AdminUnit.Level.VILLAGE)


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def trusted_addresses(self) -> OrganisationQuerySet:
        return self.filter(kind=Organisation.Kind.TRUSTED_ADDRESS)

    def active(self) -> OrganisationQuerySet:
        return self.filter(is_active=True)

    def in_area(self, unit: AdminUnit) -> OrganisationQuerySet:
        return self.filter(area__path__startswith=unit.path)


class Organisation(models.Model):
    class Kind(models.TextChoices):
        TRUSTED_ADDRESS = "trusted_address", _("Trusted address")
        COMMUNE_POLICE = "commune_police", _("Commune police")
        HEALTH_STATION = "health_station", _("Health station")
        LEGAL_AID = "legal_aid", _("Legal aid")
        SOCIAL_PROTECTION = "social_protection", _("Social protection / shelter")
        WOMENS_UNION_COMMUNE = "wu_commune", _("Commune Women's Union")
        WOMENS_UNION_DISTRICT = "wu_district", _("District Women's Union")
        WOMENS_UNION_PROVINCE = "wu_province", _("Provincial Women's Union")
        OTHER = "other", _("Other")

    class ProgrammeStatus(models.TextChoices):
        NEW = "new", _("Newly established")
        CONSOLIDATED = "consolidated", _("Consolidated")

    PARTNER_KINDS = (
        Kind.COMMUNE_POLICE, Kind.HEALTH_STATION, Kind.LEGAL_AID, Kind.SOCIAL_PROTECTION, Kind.OTHER,
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    area = models.ForeignKey(
        AdminUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="organisations",
        help_text=_("For a trusted address: its commune or village. For others: the area they serve."),
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    programme_status = models.CharField(
        _("programme status"), max_length=16, choices=ProgrammeStatus.choices, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The django-guardian group that holds this organisation's object permissions. Created with the
    # organisation by accounts.services.organisation_create.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="organisation", editable=False)

    history = HistoricalRecords()
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="trusted_address", programme_status__in=["new", "consolidated"],
                      established_on__isnull=False)
                    | (~Q(kind="trusted_address") & Q(programme_status=""))
                ),
                name="organisation_programme_status_only_for_trusted_addresses",
                violation_error_message=_(
                    "A trusted address needs an establishment date and a programme status; other "
                    "organisations have neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_trusted_address(self) -> bool:
        return self.kind == self.Kind.TRUSTED_ADDRESS

    def clean(self) -> None:
        if self.is_trusted_address:
            errors = {}
            if not self.established_on:
                errors["established_on"] = _("A trusted address needs its establishment date.")
            if not self.programme_status:
                errors["programme_status"] = _("Say whether the trusted address is new or consolidated.")
            if self.area_id and self.area.level not in TRUSTED_ADDRESS_LEVELS:
                errors["area"] = _("A trusted address belongs to a commune or a village.")
            if errors:
                raise ValidationError(errors)
        else:
            self.programme_status = ""


class Role(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer")
    LEAD = "lead", _("Trusted-address lead")
    PARTNER_OFFICER = "partner_officer", _("Partner officer")
    UNION_SUPERVISOR = "union_supervisor", _("Women's Union supervisor")
    PROVINCIAL_ANALYST = "provincial_analyst", _("Provincial analyst")
    SYSTEM_ADMINISTRATOR = "sysadmin", _("System administrator")


# Which kinds of organisation each role can be held in.
ROLE_ORGANISATION_KINDS: dict[str, tuple[str, ...]] = {
    Role.VOLUNTEER: (Organisation.Kind.TRUSTED_ADDRESS,),
    Role.LEAD: (Organisation.Kind.TRUSTED_ADDRESS,),
    Role.PARTNER_OFFICER: Organisation.PARTNER_KINDS,
    Role.UNION_SUPERVISOR: (Organisation.Kind.WOMENS_UNION_COMMUNE, Organisation.Kind.WOMENS_UNION_DISTRICT),
    Role.PROVINCIAL_ANALYST: (Organisation.Kind.WOMENS_UNION_PROVINCE,),
    Role.SYSTEM_ADMINISTRATOR: (Organisation.Kind.WOMENS_UNION_PROVINCE, Organisation.Kind.OTHER),
}


class InvalidTransition(ValidationError):
    """A membership step that is not allowed from here, or not to this person; the message says why."""


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        """In force: confirmed, not ended, in an active organisation, held by an active user."""
        return self.filter(state=Membership.State.ACTIVE, organisation__is_active=True, user__is_active=True)

    def live(self) -> MembershipQuerySet:
        """Awaiting confirmation or in force: the rows the one-role-per-organisation rule counts."""
        return self.filter(state__in=Membership.LIVE_STATES)

    def awaiting_confirmation(self) -> MembershipQuerySet:
        return self.filter(state=Membership.State.REQUESTED)


class Membership(models.Model):
    """A user's role in one organisation. Every action is taken "as" one membership.

    A grant is asked for (``requested``) and is in force only once ``active``. Roles that read what
    survivors told, or that confirm other people's grants, become active only when a second person —
    never the one who asked, never the user — confirms (``accounts.access.GRANT_CONFIRMED_BY``); the
    others are active as soon as an operator grants them. Every step goes through ``TRANSITIONS``.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting confirmation")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Ended")

    class Action(models.TextChoices):
        CONFIRM = "confirm", _("Confirm")
        DECLINE = "decline", _("Decline")
        REVOKE = "revoke", _("End")
        # After a password was set through a one-time link that this role's confirmer did not hand
        # over: whoever holds the account now must be seen again before it reads anything.
        RECHECK = "recheck", _("Ask for confirmation again")

    class Decider(models.TextChoices):
        CONFIRMER = "confirmer", _("the person who confirms this role")
        OPERATOR = "operator", _("a system administrator")
        SYSTEM = "system", _("the system")
        # Whoever runs manage.py on the server (and so holds the keys already): the only way to confirm
        # a grant nobody in the application may confirm, such as a district's first supervisor.
        CONSOLE = "console", _("the server console")

    LIVE_STATES = (State.REQUESTED, State.ACTIVE)
    # Deciders that are not a person signed in to the application.
    IMPERSONAL = frozenset({Decider.SYSTEM, Decider.CONSOLE})

    # (state, action) → (next state, who may take the step): the one transition map.
    TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
        (State.REQUESTED, Action.CONFIRM): (State.ACTIVE, frozenset({Decider.CONFIRMER, Decider.CONSOLE})),
        (State.REQUESTED, Action.DECLINE): (State.DECLINED, frozenset({Decider.CONFIRMER})),
        (State.REQUESTED, Action.REVOKE): (State.REVOKED, frozenset({Decider.OPERATOR, Decider.SYSTEM})),
        (State.ACTIVE, Action.REVOKE): (State.REVOKED, frozenset({Decider.OPERATOR, Decider.SYSTEM})),
        (State.ACTIVE, Action.RECHECK): (State.REQUESTED, frozenset({Decider.SYSTEM})),
    }

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    # Fail closed: a row written without going through the services is not in force.
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REQUESTED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who asked and when (None: the server console, or the system after a password was set through a link).
    requested_by = models.ForeignKey(
        User, verbose_name=_("asked for by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked for at"), default=timezone.now)
    # Who confirmed, declined or ended it, and when (None with a date: the server console or the system).
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()
    # Set by ActiveMembershipMiddleware on the request's acting membership: a per-request cache of its
    # organisation's object permissions (see accounts.access.can).
    permission_checker: ObjectPermissionChecker

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], condition=Q(state__in=["requested", "active"]),
                name="membership_one_live_role_per_organisation",
                violation_error_message=_(
                    "This user already has a role in this organisation, in force or awaiting confirmation."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state="requested", decided_at__isnull=True)
                | (~Q(state="requested") & Q(decided_at__isnull=False)),
                name="membership_decided_unless_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()}"

    @property
    def is_active(self) -> bool:
        """This row is confirmed and not ended (``MembershipQuerySet.active`` also checks the user and
        the organisation)."""
        return self.state == self.State.ACTIVE

    @property
    def is_awaiting_confirmation(self) -> bool:
        return self.state == self.State.REQUESTED

    def clean(self) -> None:
        if self.organisation_id and self.role:
            allowed = ROLE_ORGANISATION_KINDS.get(self.role, ())
            if self.organisation.kind not in allowed:
                raise ValidationError(
                    {"role": _("The role %(role)s cannot be held in a %(kind)s.")
                     % {"role": self.get_role_display(), "kind": self.organisation.get_kind_display()}}
                )

    def confirmation_code(self) -> str:
        """Six digits shown only to the user while the grant awaits confirmation; the confirmer types
        them in, so a grant is confirmed only for whoever can sign in to this account right now.

        Derived, never stored: bound to this grant, to when it was asked for and to the account's
        password hash, so a new request or a password set through a link gives a new code.
        """
        value = f"{self.pk}:{self.requested_at.isoformat()}:{self.user.password}"
        digest = salted_hmac("accounts.membership.confirmation-code", value, algorithm="sha256").hexdigest()
        return f"{int(digest, 16) % 1_000_000:06d}"

    def can(self, action: str, *, by: Membership | None, decider: str | None) -> bool:
        try:
            self.check_transition(action, by=by, decider=decider)
        except InvalidTransition:
            return False
        return True

    def transition(self, action: str, *, by: Membership | None, decider: str | None, now: dt.datetime) -> str:
        """Take one step of the map, or raise InvalidTransition saying why not. Returns the old state.

        ``decider`` is what ``by`` is for this grant (``accounts.access.grant_decider``): the policy
        says who confirms, this map says which step each of them may take.
        """
        next_state = self.check_transition(action, by=by, decider=decider)
        previous = self.state
        self.state = next_state
        by_user = by.user if by is not None else None
        if next_state == self.State.REQUESTED:
            self.requested_at, self.decided_at, self.decided_by = now, None, None
        else:
            self.decided_at, self.decided_by = now, by_user
        return previous

    def check_transition(self, action: str, *, by: Membership | None, decider: str | None) -> str:
        """The state ``action`` leads to, or InvalidTransition saying why it is not allowed."""
        step = self.TRANSITIONS.get((self.state, action))
        if step is None:
            raise InvalidTransition(
                _("A role that is “%(state)s” cannot be “%(action)s”.")
                % {"state": self.get_state_display(), "action": self.Action(action).label}
            )
        next_state, deciders = step
        if by is not None and by.user_id == self.user_id:
            raise InvalidTransition(_("Nobody can change their own roles. Ask another person to do it."))
        if action == self.Action.CONFIRM and by is not None and by.user_id == self.requested_by_id:
            raise InvalidTransition(_("The person who asked for this role cannot also confirm it."))
        if (decider in self.IMPERSONAL) != (by is None) or decider not in deciders:
            raise InvalidTransition(
                _("Only %(decider)s can do this.")
                % {"decider": " / ".join(str(self.Decider(d).label) for d in sorted(deciders))}
            )
        return next_state


def _default_link_expiry() -> dt.datetime:
    return timezone.now() + AccountLink.LIFETIME


class AccountLinkQuerySet(models.QuerySet["AccountLink"]):
    def usable(self, now: dt.datetime | None = None) -> AccountLinkQuerySet:
        return self.filter(used_at__isnull=True, voided_at__isnull=True, expires_at__gt=now or timezone.now())


class AccountLink(models.Model):
    """A one-time link with which a user chooses their own password: an invitation for a new account,
    or a reset. Only a SHA-256 hash of the token is stored; the token itself exists in the link that
    was handed over or e-mailed, and nowhere else."""

    class Purpose(models.TextChoices):
        INVITE = "invite", _("Invitation")
        RESET = "reset", _("Password reset")

    class Delivery(models.TextChoices):
        HANDED = "handed", _("shown to be handed over in person")
        EMAILED = "emailed", _("sent by e-mail")

    LIFETIME = dt.timedelta(hours=24)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_links")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Who issued it (None: the user asked through "Forgot password?"), and as which membership: a link
    # handed over by the confirmer of a role keeps that role in force when the link is used.
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_as = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_default_link_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer link is issued or any link is used: only the latest link ever works.
    voided_at = models.DateTimeField(null=True, blank=True)

    objects = AccountLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("one-time link")
        verbose_name_plural = _("one-time links")
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                   name="accountlink_expires_later"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def is_usable(self, now: dt.datetime) -> bool:
        return self.used_at is None and self.voided_at is None and self.expires_at > now


class AccountEvent(models.Model):
    """The account history: one row per step, written by the services.

    Deliberately without free text: what happened is ``kind``, to which role is ``membership``, and how
    a link travelled is ``delivery``, so no token, password or hash can ever end up here.
    """

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("Account created (no password: the user chooses it)")
        INVITATION_ISSUED = "invitation_issued", _("Invitation link created")
        INVITATION_USED = "invitation_used", _("Password chosen with the invitation link")
        RESET_ASKED = "reset_asked", _("New password asked for (“Forgot password?”)")
        RESET_LINK_ISSUED = "reset_issued", _("Password link created")
        RESET_USED = "reset_used", _("Password chosen with a password link")
        PASSWORD_CHANGED = "password_changed", _("Password changed by the user")
        EMAIL_CHANGED = "email_changed", _("E-mail address changed")
        MEMBERSHIP_REQUESTED = "membership_requested", _("Role asked for, awaiting confirmation")
        MEMBERSHIP_GRANTED = "membership_granted", _("Role granted (no confirmation needed)")
        MEMBERSHIP_CONFIRMED = "membership_confirmed", _("Role confirmed")
        MEMBERSHIP_DECLINED = "membership_declined", _("Role declined")
        MEMBERSHIP_REVOKED = "membership_revoked", _("Role ended")
        MEMBERSHIP_RECHECK = "membership_recheck", _(
            "Role awaiting confirmation again (a password was chosen with a link)"
        )
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated; every role ended")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Account reactivated (roles must be asked for again)")

    class Delivery(models.TextChoices):
        HANDED = "handed", _("shown to be handed over in person")
        EMAILED = "emailed", _("sent by e-mail")
        NO_EMAIL = "no_email", _("no e-mail address: the lead or the administrator can create a link")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who did it (None: the user's own request through "Forgot password?", the server console, or the system).
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True)

    class Meta:
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="accountevent_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.get_kind_display()}"


class UnsavedWorkQuerySet(models.QuerySet["UnsavedWork"]):
    def expired(self) -> UnsavedWorkQuerySet:
        return self.filter(created_at__lte=UnsavedWork.expiry_threshold())


class UnsavedWork(models.Model):
    """What a form posted after its author's session had timed out, sealed, until they sign in again.

    Only the ciphertext of the posted fields is stored, bound to this row (``seal``/``unseal``); the paths
    hold opaque ids only. A row lives ``SESSION_KEPT_WORK_MINUTES`` (one hour by default): it is deleted
    when its author signs in again (and its fields go back into the form), when anyone else signs in on
    that browser, and once expired — lazily, whenever rows are written or read, and by
    ``manage.py purge_unsaved_work``. See accounts/unsaved.py.
    """

    SEALED_FIELD = "fields"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # The role the user was acting as, so the form opens again in the same role after sign-in.
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The path the form was posted to, and the path of the page it was on (the same for most forms; a
    # referral's note is posted to its own address from the referral page).
    action = models.CharField(max_length=2000)
    page = models.CharField(max_length=2000)
    # The posted fields as JSON ({name: [values]}), sealed: never in clear in the database.
    fields = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = UnsavedWorkQuerySet.as_manager()

    class Meta:
        verbose_name = _("unsaved work")
        verbose_name_plural = _("unsaved work")

    def __str__(self) -> str:
        return f"UnsavedWork({self.pk})"

    @staticmethod
    def expiry_threshold() -> dt.datetime:
        """Rows created at or before this moment have expired."""
        return timezone.now() - dt.timedelta(seconds=settings.SESSION_KEPT_WORK_SECONDS)

    @property
    def is_expired(self) -> bool:
        return self.created_at <= self.expiry_threshold()

    @classmethod
    def binding(cls, pk: uuid.UUID | str) -> Binding:
        return Binding(model_label=cls._meta.label_lower, field_name=cls.SEALED_FIELD, row_id=str(pk))

    @classmethod
    def seal(cls, pk: uuid.UUID | str, fields: dict[str, list[str]]) -> str:
        return encrypt_text(json.dumps(fields, ensure_ascii=False), binding=cls.binding(pk))

    @classmethod
    def unseal(cls, pk: uuid.UUID | str, sealed: str) -> dict[str, list[str]] | None:
        """The posted fields, or None when they cannot be opened (a key removed from the ring within
        the hour, a tampered value): the work is then lost, never shown wrong."""
        try:
            fields = json.loads(decrypt_text(sealed, binding=cls.binding(pk)))
        except (DecryptionError, ValueError):
            return None
        if not isinstance(fields, dict):
            return None
        return {str(name): [str(value) for value in values] for name, values in fields.items()
                if isinstance(values, list)}
