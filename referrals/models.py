"""Referrals: a consent-gated hand-over of one case to one partner organisation.

The partner never sees the case: it sees a snapshot of the fields the volunteer chose to share (never
more than the survivor consented to), taken when the referral is sent and encrypted like the case.
Every status change goes through ``Referral.TRANSITIONS`` and is recorded as a ``ReferralEvent``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from guardian.models import GroupObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.access import Perm, objects_for, role_allows
from accounts.models import AdminUnit, Membership, Organisation
from casework.fields import EncryptedTextField, SealedConstraintsMixin
from casework.models import AuditedQuerySet, Case, Consent, Versioned


class Service(models.TextChoices):
    """What a partner can be asked for (and what the directory lists)."""

    POLICE_PROTECTION = "police_protection", _("Police protection and no-contact orders")
    MEDICAL_CARE = "medical_care", _("Forensic and medical care")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    SOCIAL_PROTECTION = "social_protection", _("Social protection and shelter")
    LIVELIHOOD = "livelihood", _("Livelihood programmes")


# The consent scope a partner kind needs before anything is shared with it.
CONSENT_SCOPE_FOR_KIND: dict[str, str] = {
    Organisation.Kind.COMMUNE_POLICE: Consent.Scope.SHARE_POLICE,
    Organisation.Kind.HEALTH_STATION: Consent.Scope.SHARE_HEALTH,
    Organisation.Kind.LEGAL_AID: Consent.Scope.SHARE_LEGAL_AID,
    Organisation.Kind.SOCIAL_PROTECTION: Consent.Scope.SHARE_SOCIAL,
    Organisation.Kind.OTHER: Consent.Scope.SHARE_SOCIAL,
}


# --- Partner directory ---------------------------------------------------------------------------


class PartnerProfileQuerySet(models.QuerySet["PartnerProfile"]):
    def listed(self) -> PartnerProfileQuerySet:
        return self.filter(organisation__is_active=True, organisation__kind__in=Organisation.PARTNER_KINDS)

    def offering(self, service: str) -> PartnerProfileQuerySet:
        return self.filter(services__service=service)

    def serving(self, unit: AdminUnit) -> PartnerProfileQuerySet:
        """Partners whose own area or one of their served areas contains ``unit``."""
        ancestors = unit.ancestors_and_self()
        return self.filter(Q(organisation__area__in=ancestors) | Q(areas_served__in=ancestors)).distinct()


class PartnerProfile(models.Model):
    organisation = models.OneToOneField(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="partner_profile",
        limit_choices_to={"kind__in": Organisation.PARTNER_KINDS},
    )
    areas_served = models.ManyToManyField(
        AdminUnit, verbose_name=_("also serves"), blank=True, related_name="+",
        help_text=_("Areas served beyond the organisation's own area."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    notes = models.TextField(_("notes for volunteers"), blank=True, max_length=2000)

    history = HistoricalRecords(m2m_fields=[areas_served])
    objects = PartnerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner profile")
        verbose_name_plural = _("partner directory")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name


class PartnerService(models.Model):
    profile = models.ForeignKey(PartnerProfile, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(_("service"), max_length=24, choices=Service.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service offered")
        verbose_name_plural = _("services offered")
        constraints = [models.UniqueConstraint(fields=["profile", "service"], name="partnerservice_unique")]

    def __str__(self) -> str:
        return self.get_service_display()


# --- Referral ------------------------------------------------------------------------------------


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED_WITHOUT_SERVICE = "closed_no_service", _("Closed without service")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class Action(models.TextChoices):
    SEND = "send", _("Send")
    ACCEPT = "accept", _("Accept")
    DECLINE = "decline", _("Decline")
    START = "start", _("Start work")
    COMPLETE = "complete", _("Complete")
    CLOSE_WITHOUT_SERVICE = "close_no_service", _("Close without service")
    WITHDRAW = "withdraw", _("Withdraw")
    EXPIRE = "expire", _("Expire")


class Side(models.TextChoices):
    SENDER = "sender", _("the referring trusted address")
    PARTNER = "partner", _("the receiving partner")
    SYSTEM = "system", _("the system")


# What makes a membership one side of a referral: its organisation is that side's, and its role holds
# that side's permission (the table in accounts.access decides, not a list of roles here).
SIDE_PERM: dict[str, Perm] = {Side.PARTNER: Perm.REFERRAL_RESPOND, Side.SENDER: Perm.REFERRAL_SEND}


def overdue_at(now: dt.datetime) -> Q:
    """Overdue: sent and not answered by its respond-by time. A referral exactly at its respond-by time is
    still on time. The one definition of the rule: the queryset, the inbox order and the expiry job filter
    on this ``Q``, and ``Referral.is_overdue_at`` states it for one row in memory (a test keeps them equal)."""
    return Q(status=Status.SENT, respond_by__lt=now)


# Refused because the time to answer has passed: the service expires the referral when it sees this reason.
TOO_LATE = _("This referral was not acknowledged in time and has expired.")


class ReferralQuerySet(AuditedQuerySet):
    def sent_by(self, membership: Membership | None) -> ReferralQuerySet:
        """Referrals of the cases this membership may see."""
        return self.filter(case__in=Case.objects.visible_to(membership))

    def received_by(self, membership: Membership | None) -> ReferralQuerySet:
        """Referrals addressed to the membership's organisation that it still holds permission on
        (withdrawing consent revokes it)."""
        return objects_for(membership, Perm.REFERRAL_RESPOND, self)

    def overdue(self, now: dt.datetime | None = None) -> ReferralQuerySet:
        """Overdue at ``now`` (the current time only for an outermost caller, such as a command)."""
        return self.filter(overdue_at(now or timezone.now()))

    def active(self) -> ReferralQuerySet:
        return self.filter(status__in=[Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS])


class Referral(SealedConstraintsMixin, Versioned):
    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        URGENT = "urgent", _("Urgent — she is in danger now")

    # (status, action) → (next status, who may do it): the one transition map.
    TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
        (Status.DRAFT, Action.SEND): (Status.SENT, Side.SENDER),
        (Status.SENT, Action.ACCEPT): (Status.ACCEPTED, Side.PARTNER),
        (Status.SENT, Action.DECLINE): (Status.DECLINED, Side.PARTNER),
        (Status.SENT, Action.WITHDRAW): (Status.WITHDRAWN, Side.SENDER),
        (Status.SENT, Action.EXPIRE): (Status.EXPIRED, Side.SYSTEM),
        (Status.ACCEPTED, Action.START): (Status.IN_PROGRESS, Side.PARTNER),
        (Status.ACCEPTED, Action.WITHDRAW): (Status.WITHDRAWN, Side.SENDER),
        (Status.ACCEPTED, Action.CLOSE_WITHOUT_SERVICE): (Status.CLOSED_WITHOUT_SERVICE, Side.PARTNER),
        (Status.IN_PROGRESS, Action.COMPLETE): (Status.COMPLETED, Side.PARTNER),
        (Status.IN_PROGRESS, Action.CLOSE_WITHOUT_SERVICE): (Status.CLOSED_WITHOUT_SERVICE, Side.PARTNER),
    }
    # Actions that need a note (a reason, an outcome).
    NOTE_REQUIRED = {Action.DECLINE, Action.COMPLETE, Action.CLOSE_WITHOUT_SERVICE, Action.WITHDRAW}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals_sent")
    partner = models.ForeignKey(
        Organisation, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="referrals_received",
        limit_choices_to={"kind__in": Organisation.PARTNER_KINDS},
    )
    # Snapshot of the partner's kind at sending, so statistics do not move if the directory changes.
    partner_kind = models.CharField(max_length=32, choices=Organisation.Kind.choices, editable=False)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    reason = EncryptedTextField(_("reason for referral"), max_length=2000, blank=True)
    shared_fields = models.JSONField(_("information shared"), default=list)
    # JSON of the shared fields' values, taken when sent.
    snapshot = EncryptedTextField(blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    consent_override = models.BooleanField(_("sent without consent (child at risk)"), default=False)
    override_reason = EncryptedTextField(_("reason for sending without consent"), max_length=2000, blank=True)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The partner's outcome / feedback to the sender, and a decline reason.
    outcome = EncryptedTextField(_("outcome and feedback"), max_length=5000, blank=True)

    history = HistoricalRecords()
    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        permissions = [
            (Perm.REFERRAL_RESPOND.codename, "Can act on a referral received"),
            (Perm.REFERRAL_OVERRIDE_CONSENT.codename, "Can send without consent for a child at risk"),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "respond_by"], name="referral_inbox"),
            models.Index(fields=["sent_at"], name="referral_sent_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="draft") | Q(sent_at__isnull=True),
                                   name="referral_draft_unsent"),
            models.CheckConstraint(condition=Q(status="draft") | Q(sent_at__isnull=False),
                                   name="referral_sent_has_time"),
            models.CheckConstraint(condition=Q(consent_override=False) | ~Q(override_reason=""),
                                   name="referral_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_partner_kind_display()} · {self.get_status_display()}"

    @property
    def snapshot_data(self) -> dict[str, Any]:
        return json.loads(self.snapshot) if self.snapshot else {}

    @property
    def is_overdue(self) -> bool:
        """For templates, which cannot pass a time: overdue now."""
        return self.is_overdue_at(timezone.now())

    def is_overdue_at(self, now: dt.datetime) -> bool:
        """``overdue_at(now)`` for this row, without a query."""
        return self.status == Status.SENT and self.respond_by is not None and self.respond_by < now

    def side_of(self, membership: Membership | None) -> str | None:
        if membership is None:
            return None
        for side, organisation_id in ((Side.PARTNER, self.partner_id), (Side.SENDER, self.from_organisation_id)):
            if membership.organisation_id == organisation_id and role_allows(membership, SIDE_PERM[side]):
                return side
        return None

    def refusal(self, action: str, *, by: Membership | None, now: dt.datetime) -> StrOrPromise | None:
        """Why ``by`` may not take ``action`` at ``now`` (translated), or None when it may: the one guard
        behind ``can`` and ``transition``. Who before when: a request from the wrong side is refused as such
        and changes nothing, even on a referral past its time."""
        step = self.TRANSITIONS.get((self.status, action))
        if step is None:
            return _("A referral that is “%(status)s” cannot be “%(action)s”.") % {
                "status": self.get_status_display(), "action": Action(action).label}
        side = step[1]
        if side == Side.SYSTEM:
            if by is not None:
                return _("Only the system can do this.")
        elif self.side_of(by) != side:
            return _("Only %(side)s can do this.") % {"side": Side(side).label}
        if action == Action.ACCEPT and self.is_overdue_at(now):
            return str(TOO_LATE)
        return None

    def can(self, action: str, *, by: Membership | None, now: dt.datetime | None = None) -> bool:
        """For views and templates; ``now`` defaults to the current time only here, at the outermost call."""
        return self.refusal(action, by=by, now=now or timezone.now()) is None

    def transition(self, action: str, *, by: Membership | None, now: dt.datetime) -> str:
        """Move to the next status or raise InvalidTransition with a message saying why not."""
        refusal = self.refusal(action, by=by, now=now)
        if refusal is not None:
            raise InvalidTransition(refusal)
        next_status = self.TRANSITIONS[(self.status, action)][0]
        previous = self.status
        self.status = next_status
        if action == Action.SEND:
            self.sent_at = now
            hours = settings.REFERRAL_RESPONSE_HOURS[self.urgency]
            self.respond_by = now + dt.timedelta(hours=hours)
        elif action == Action.ACCEPT:
            self.accepted_at = now
        if next_status in (Status.COMPLETED, Status.CLOSED_WITHOUT_SERVICE, Status.DECLINED, Status.WITHDRAWN,
                           Status.EXPIRED):
            self.closed_at = now
        return previous


class InvalidTransition(ValidationError):
    pass


class ReferralService(models.Model):
    """One service requested in a referral (a row each, so statistics group by service in SQL)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(_("service"), max_length=24, choices=Service.choices)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["referral", "service"], name="referralservice_unique")]

    def __str__(self) -> str:
        return self.get_service_display()


class ReferralEvent(SealedConstraintsMixin, models.Model):
    """Every transition and progress note: who, when, what, with an encrypted note."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=[*Action.choices, ("note", _("Progress note"))])
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"), max_length=5000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.at:%d/%m/%Y %H:%M}"


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


# --- Notifications -------------------------------------------------------------------------------


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_membership(self, membership: Membership | None) -> NotificationQuerySet:
        if membership is None:
            return self.none()
        return self.filter(recipient=membership.user, organisation=membership.organisation)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice. Its text is generic by design: no name, code, place or incident detail."""

    class Kind(models.TextChoices):
        REFERRAL_RECEIVED = "received", _("A new referral needs your attention")
        REFERRAL_URGENT = "urgent", _("An urgent referral needs your attention now")
        REFERRAL_UPDATED = "updated", _("A referral you sent has been updated")
        REFERRAL_OVERDUE = "overdue", _("A referral has not been acknowledged in time")
        REFERRAL_WITHDRAWN = "withdrawn", _("A referral to your organisation was withdrawn")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return str(self.get_kind_display())
