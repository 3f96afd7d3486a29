"""Confidential case records.

Identifying data lives only in encrypted fields (casework.fields), bound to their row. Analytic
categories (sex, birth year, ethnicity, disability, commune, incident types…) stay in clear so the
indicators app can count them in the database without ever decrypting.

Every model here is tracked by django-simple-history and changes only through ``save()`` in
casework.services; ``QuerySet.update()``/``bulk_update()`` are refused (AuditedQuerySet).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.access import Perm, objects_for
from accounts.models import AdminUnit, Membership, Organisation
from casework.ethnicity import Ethnicity
from casework.fields import (
    EncryptedDateField,
    EncryptedQuerySet,
    EncryptedTextField,
    ModelMixinBase,
    SealedConstraintsMixin,
)
from casework.gbv import GBVType
from casework.risk import RiskLevel
from core.labels import field_label


class AuditedQuerySet(EncryptedQuerySet):
    """Refuses bulk writes on every casework model, encrypted or not: they would skip the history.

    A model with encrypted fields is refused with the encryption's reason (it names the fields' rule),
    any other with the history's.
    """

    def bulk_write_refusal(self, operation: str) -> Exception | None:
        return super().bulk_write_refusal(operation) or ValidationError(
            f"{operation} is refused on {self.model._meta.label}: it would skip the audit history."
        )


class Recorded(models.Model):
    """A record of what was done for a case: who recorded it and when, read through the audited manager."""

    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Optimistic concurrency: a form carries the version it was read at; a stale save is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class ChangeReason(models.TextChoices):
    """Why a casework record changed: written into its history row by the services, and read back by the
    case timeline. The values are the English words already stored in the history tables."""

    INTAKE = "intake", pgettext_lazy("change reason", "intake")
    SURVIVOR_UPDATED = "survivor updated", pgettext_lazy("change reason", "survivor updated")
    CASE_OPENED = "case opened", pgettext_lazy("change reason", "case opened")
    INTAKE_STEP = "intake step saved", pgettext_lazy("change reason", "intake step saved")
    CLOSED = "closed", pgettext_lazy("change reason", "closed")
    REOPENED = "reopened", pgettext_lazy("change reason", "reopened")
    REASSIGNED = "reassigned", pgettext_lazy("change reason", "reassigned")
    SUPPORT_PLAN_DONE = "support plan done", pgettext_lazy("change reason", "support plan done")
    INCIDENT_RECORDED = "incident recorded", pgettext_lazy("change reason", "incident recorded")
    INCIDENT_UPDATED = "incident updated", pgettext_lazy("change reason", "incident updated")
    CONSENT_GIVEN = "consent given", pgettext_lazy("change reason", "consent given")
    CONSENT_WITHDRAWN = "consent withdrawn", pgettext_lazy("change reason", "consent withdrawn")
    RISK_ASSESSED = "risk assessed", pgettext_lazy("change reason", "risk assessed")
    RISK_LEVEL_UPDATED = "risk level updated", pgettext_lazy("change reason", "risk level updated")
    SAFETY_PLAN_SAVED = "safety plan saved", pgettext_lazy("change reason", "safety plan saved")
    SUPPORT_RECORDED = "support recorded", pgettext_lazy("change reason", "support recorded")
    SUPPORT_UPDATED = "support updated", pgettext_lazy("change reason", "support updated")
    LIVELIHOOD_RECORDED = "livelihood support recorded", pgettext_lazy("change reason", "livelihood support recorded")
    LIVELIHOOD_UPDATED = "livelihood support updated", pgettext_lazy("change reason", "livelihood support updated")
    NOTE_ADDED = "note added", pgettext_lazy("change reason", "note added")


class PlacedConstraintsMixin(ModelMixinBase):
    """Shows a check constraint's message beside the field it is about, not above the form.

    Each rule is stated once, as a database constraint with its message; ``constraint_fields`` maps the
    constraint's ``violation_error_code`` to the field that gets the error. Put it before the model base.
    """

    constraint_fields: ClassVar[Mapping[str, str]] = {}

    def validate_constraints(self, exclude: Any = None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            placed: dict[str, list[ValidationError]] = {}
            for name, errors in exc.error_dict.items():
                for error in errors:
                    field = self.constraint_fields.get(error.code or "", name) if name == NON_FIELD_ERRORS else name
                    placed.setdefault(field, []).append(error)
            raise ValidationError(placed) from None


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


class AgeBand(models.TextChoices):
    """The programme's reporting bands: a child under 16 (Law on Children), 16–17, adult, older person."""

    CHILD_UNDER_16 = "0-15", _("Child under 16")
    AGE_16_17 = "16-17", _("16–17")
    AGE_18_59 = "18-59", _("18–59")
    AGE_60_PLUS = "60+", _("60 and over")
    UNKNOWN = "unknown", _("Not known")

    @classmethod
    def for_age(cls, age: int | None) -> AgeBand:
        if age is None:
            return cls.UNKNOWN
        if age < 16:
            return cls.CHILD_UNDER_16
        if age < 18:
            return cls.AGE_16_17
        if age < 60:
            return cls.AGE_18_59
        return cls.AGE_60_PLUS


SURVIVOR_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes
# The exact shape of a code: four characters, a hyphen, four characters.
SURVIVOR_CODE_RE = re.compile(rf"[{SURVIVOR_CODE_ALPHABET}]{{4}}-[{SURVIVOR_CODE_ALPHABET}]{{4}}")


def new_survivor_code() -> str:
    """A pseudonymous code, random (never derived from the person), easy to read aloud on a phone."""
    body = "".join(secrets.choice(SURVIVOR_CODE_ALPHABET) for _ in range(8))
    return f"{body[:4]}-{body[4:]}"


# --- Survivor ---------------------------------------------------------------------------------------


class SurvivorQuerySet(AuditedQuerySet):
    def visible_to(self, membership: Membership | None) -> SurvivorQuerySet:
        """Survivors with at least one case the membership may see."""
        return self.filter(pk__in=Case.objects.visible_to(membership).values("survivor_id"))


class Survivor(SealedConstraintsMixin, Versioned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=16, unique=True, default=new_survivor_code, editable=False)

    # Identifying data: encrypted, bound to this row.
    full_name = EncryptedTextField(_("full name"), max_length=200)
    other_names = EncryptedTextField(_("other names"), max_length=200, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    address = EncryptedTextField(_("address"), max_length=500, blank=True)
    national_id = EncryptedTextField(_("national ID number"), max_length=20, blank=True)
    guardian_contact = EncryptedTextField(
        _("guardian or contact person"), max_length=300, blank=True,
        help_text=_("Name, relationship and phone of a parent, guardian or trusted contact."),
    )

    # Keyed blind indexes (HMAC), so duplicates can be found without decrypting anyone.
    name_birth_year_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    # Analytic categories, in clear for statistics.
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=Ethnicity.choices, default=Ethnicity.UNKNOWN)
    disability = models.CharField(_("disability"), max_length=10, choices=YesNoUnknown.choices,
                                  default=YesNoUnknown.UNKNOWN)
    commune = models.ForeignKey(
        AdminUnit, verbose_name=_("commune of residence"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", limit_choices_to={"level": AdminUnit.Level.COMMUNE},
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = SurvivorQuerySet.as_manager()

    class Meta:
        verbose_name = _("survivor")
        verbose_name_plural = _("survivors")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="survivor_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: str() ends up in logs, admin lists and error pages.
        return self.code

    def age_on(self, day: dt.date) -> int | None:
        born: dt.date | None = self.date_of_birth
        if born:
            return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        if self.birth_year:
            return day.year - self.birth_year
        return None

    def clean(self) -> None:
        born = self.date_of_birth
        today = timezone.localdate()
        if born and born > today:
            raise ValidationError({"date_of_birth": _("The date of birth cannot be in the future.")})
        if born and born.year < 1900:
            raise ValidationError({"date_of_birth": _("Check the date of birth: the year is too early.")})
        if born and self.birth_year and born.year != self.birth_year:
            raise ValidationError({"birth_year": _("The birth year does not match the date of birth.")})
        if self.birth_year and not 1900 <= self.birth_year <= today.year:
            raise ValidationError({"birth_year": _("Enter a birth year between 1900 and this year.")})


# --- Case -----------------------------------------------------------------------------------------


class IntakeStep(models.TextChoices):
    """The intake wizard's steps, in order. ``Case.intake_step`` holds the furthest step saved: the
    survivor once the case is open; the intake is complete when the last step has been saved."""

    SURVIVOR = "survivor", _("Survivor")
    INCIDENT = "incident", _("Incident")
    CONSENT = "consent", _("Consent")
    RISK = "risk", _("Risk")
    SUPPORT = "support", _("Support")

    @classmethod
    def after(cls, step: str) -> IntakeStep | None:
        """The step that follows ``step``, or None after the last."""
        steps = list(cls)
        position = steps.index(cls(step)) + 1
        return steps[position] if position < len(steps) else None

    @classmethod
    def is_before(cls, step: str, other: str) -> bool:
        steps = list(cls)
        return steps.index(cls(step)) < steps.index(cls(other))


INTAKE_ON_CLOSED_CASE = _("This case is closed, so its intake cannot continue. Reopen it to record more.")


class CaseQuerySet(AuditedQuerySet):
    def visible_to(self, membership: Membership | None) -> CaseQuerySet:
        """Cases whose full record the membership may see: its trusted address's, via guardian rows.

        Only a trusted address's own group ever holds case permissions, so the address filter narrows
        nothing — it lets PostgreSQL use the address index instead of scanning every permission row.
        """
        visible = objects_for(membership, Perm.CASE_VIEW, self)
        return visible.filter(trusted_address_id=membership.organisation_id) if membership else visible

    def supervised_by(self, membership: Membership | None) -> CaseQuerySet:
        """Cases of the trusted addresses in a union supervisor's area — for de-identified lists only."""
        from accounts.access import role_allows

        if not role_allows(membership, Perm.CASE_VIEW_DEIDENTIFIED):
            return self.none()
        assert membership is not None
        return self.filter(trusted_address__area__path__startswith=membership.organisation.area.path)


class Case(Versioned):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class ClosureReason(models.TextChoices):
        SAFE = "safe", _("Safe; needs met")
        REFERRED = "referred", _("Continued by another service")
        MOVED = "moved", _("Moved away")
        NO_CONTACT = "no_contact", _("Lost contact")
        DECLINED = "declined", _("She chose to stop")
        DECEASED = "deceased", _("Died")
        OTHER = "other", _("Other")

    class Action(models.TextChoices):
        CLOSE = "close", _("Close")
        REOPEN = "reopen", _("Reopen")

    # (current status, action) → next status: the one transition map.
    TRANSITIONS: dict[tuple[str, str], str] = {
        (Status.OPEN, Action.CLOSE): Status.CLOSED,
        (Status.CLOSED, Action.REOPEN): Status.OPEN,
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(Survivor, verbose_name=_("survivor"), on_delete=models.PROTECT, related_name="cases")
    trusted_address = models.ForeignKey(
        Organisation, verbose_name=_("trusted address"), on_delete=models.PROTECT, related_name="cases",
        limit_choices_to={"kind": Organisation.Kind.TRUSTED_ADDRESS},
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.CharField(_("closure reason"), max_length=16, choices=ClosureReason.choices, blank=True)
    assigned_volunteers = models.ManyToManyField(
        Membership, verbose_name=_("assigned volunteers"), blank=True, related_name="assigned_cases",
    )
    risk_level = models.CharField(_("current risk level"), max_length=10, choices=RiskLevel.choices, blank=True)
    # Snapshot at opening, for statistics and the child rules.
    age_band = models.CharField(_("age band at opening"), max_length=8, choices=AgeBand.choices,
                                default=AgeBand.UNKNOWN)
    # Decree 56/2017: a child's support plan is due within 5 working days of opening.
    support_plan_due_on = models.DateField(_("support plan due"), null=True, blank=True)
    support_plan_done_on = models.DateField(_("support plan done"), null=True, blank=True)
    # The intake steps this case has been through; a case can be saved part way.
    intake_step = models.CharField(max_length=16, choices=IntakeStep.choices, default=IntakeStep.SURVIVOR,
                                   editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[assigned_volunteers])
    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-created_at"]
        permissions = [
            (Perm.CASE_CLOSE.codename, "Can close and reopen a case"),
            (Perm.CASE_REASSIGN.codename, "Can reassign a case"),
            (Perm.CASE_VIEW_ACCESS_LOG.codename, "Can see who viewed a case"),
            (Perm.CASE_VIEW_DEIDENTIFIED.codename, "Can list cases without identifying data"),
        ]
        indexes = [
            models.Index(fields=["trusted_address", "status", "-opened_on"], name="case_address_status_opened"),
            models.Index(fields=["opened_on"], name="case_opened_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="open", closed_on__isnull=True, closure_reason="")
                           | Q(status="closed", closed_on__isnull=False) & ~Q(closure_reason="")),
                name="case_closed_iff_closed_on_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="case_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survivor.code} · {self.opened_on:%d/%m/%Y}"

    @property
    def is_child(self) -> bool:
        return self.age_band == AgeBand.CHILD_UNDER_16

    @property
    def support_plan_overdue(self) -> bool:
        return bool(
            self.status == self.Status.OPEN and self.support_plan_due_on and not self.support_plan_done_on
            and self.support_plan_due_on < timezone.localdate()
        )

    @property
    def next_intake_step(self) -> IntakeStep | None:
        """Where the intake continues, or None once it is complete."""
        return IntakeStep.after(self.intake_step)

    @property
    def intake_done(self) -> bool:
        return self.next_intake_step is None

    @property
    def can_continue_intake(self) -> bool:
        # A closed case takes no more intake steps: reopening it comes first.
        return self.status == self.Status.OPEN

    def support_plan_refusal(self) -> str | None:
        """Why the child support plan cannot be marked as made (translated), or None when it can."""
        if not self.support_plan_due_on:
            return str(_("This case has no child support plan to mark as made."))
        if self.support_plan_done_on:
            return str(_("The child support plan was already marked as made on %(date)s.")
                       % {"date": formats.date_format(self.support_plan_done_on, "SHORT_DATE_FORMAT")})
        return None

    @property
    def can_mark_support_plan_done(self) -> bool:
        return self.support_plan_refusal() is None

    def clean(self) -> None:
        if self.opened_on and self.opened_on > timezone.localdate():
            raise ValidationError({"opened_on": _("A case cannot open in the future.")})
        if self.closed_on and self.closed_on > timezone.localdate():
            raise ValidationError({"closed_on": _("The closing date cannot be in the future.")})

    def can(self, action: str) -> bool:
        return (self.status, action) in self.TRANSITIONS

    def transition(self, action: str, *, on: dt.date, reason: str = "") -> None:
        """Apply one status change from the transition map, or raise InvalidTransition."""
        if not self.can(action):
            raise InvalidTransition(
                _("A %(status)s case cannot be %(action)s.")
                % {"status": self.get_status_display().lower(), "action": str(Case.Action(action).label).lower()}
            )
        self.status = self.TRANSITIONS[(self.status, action)]
        if self.status == self.Status.CLOSED:
            if on < self.opened_on:
                raise InvalidTransition(_("A case cannot close before it opened."))
            if not reason:
                raise InvalidTransition(_("Give the reason for closing the case."))
            self.closed_on, self.closure_reason = on, reason
        else:
            self.closed_on, self.closure_reason = None, ""


class InvalidTransition(ValidationError):
    pass


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """django-guardian's direct foreign-key table for case permissions (indexed join, no generic pk)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


# --- Incident ------------------------------------------------------------------------------------


class Incident(PlacedConstraintsMixin, SealedConstraintsMixin, Versioned, Recorded):
    class PlaceType(models.TextChoices):
        HOME = "home", _("Her home")
        PERPETRATOR_HOME = "perpetrator_home", _("The perpetrator's home")
        OTHER_HOME = "other_home", _("Someone else's home")
        FIELD_FOREST = "field_forest", _("Field, farm or forest")
        ROAD = "road", _("Road or public place")
        SCHOOL = "school", _("School")
        WORKPLACE = "workplace", _("Workplace")
        ONLINE = "online", _("Online or by phone")
        ACROSS_BORDER = "across_border", _("Across the border")
        OTHER = "other", _("Other")

    class Relationship(models.TextChoices):
        HUSBAND_PARTNER = "partner", _("Husband or partner")
        FORMER_PARTNER = "former_partner", _("Former husband or partner")
        PARENT = "parent", _("Parent")
        STEP_PARENT = "step_parent", _("Step-parent")
        OTHER_FAMILY = "family", _("Other family member")
        IN_LAW = "in_law", _("In-law")
        NEIGHBOUR = "acquaintance", _("Neighbour or acquaintance")
        EMPLOYER = "employer", _("Employer")
        BROKER = "broker", _("Broker or trafficker")
        STRANGER = "stranger", _("Stranger")
        OTHER = "other", _("Other")
        UNKNOWN = "unknown", _("Not known")

    INTIMATE = (Relationship.HUSBAND_PARTNER, Relationship.FORMER_PARTNER)
    # Law on Domestic Violence Prevention and Control 13/2022: family members, incl. former spouses.
    FAMILY = (*INTIMATE, Relationship.PARENT, Relationship.STEP_PARENT, Relationship.OTHER_FAMILY,
              Relationship.IN_LAW)

    class PerpetratorAge(models.TextChoices):
        UNDER_18 = "0-17", _("Under 18")
        AGE_18_25 = "18-25", _("18–25")
        AGE_26_40 = "26-40", _("26–40")
        AGE_41_60 = "41-60", _("41–60")
        OVER_60 = "60+", _("Over 60")
        UNKNOWN = "unknown", _("Not known")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Exactly one case — and through it exactly one survivor (NOT NULL foreign key).
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="incidents")
    occurred_on = models.DateField(_("date of incident"))
    place_type = models.CharField(_("place"), max_length=20, choices=PlaceType.choices)
    gbv_type = models.CharField(_("GBVIMS type"), max_length=24, choices=GBVType.choices)
    gbv_answers = models.JSONField(_("classification answers"), default=dict)
    # Law 13/2022 harm categories; several may apply.
    harm_physical = models.BooleanField(_("physical harm"), default=False)
    harm_mental = models.BooleanField(_("mental harm"), default=False)
    harm_sexual = models.BooleanField(_("sexual harm"), default=False)
    harm_economic = models.BooleanField(_("economic harm"), default=False)
    # Context flags: recorded by the volunteer or derived from the answers (services.incident_*).
    domestic_violence = models.BooleanField(_("domestic violence"), default=False)
    intimate_partner = models.BooleanField(_("intimate partner violence"), default=False)
    trafficking = models.BooleanField(_("trafficking"), default=False)
    child_marriage = models.BooleanField(_("child marriage"), default=False)
    consanguineous_marriage = models.BooleanField(_("consanguineous marriage"), default=False)
    child_sexual_abuse = models.BooleanField(_("child sexual abuse"), default=False)
    perpetrator_relationship = models.CharField(_("perpetrator's relationship to her"), max_length=20,
                                                choices=Relationship.choices)
    perpetrator_sex = models.CharField(_("perpetrator's sex"), max_length=10, choices=Sex.choices)
    perpetrator_age = models.CharField(_("perpetrator's age"), max_length=8, choices=PerpetratorAge.choices,
                                       default=PerpetratorAge.UNKNOWN)
    previously_reported = models.BooleanField(_("reported elsewhere before"), default=False)
    first_reported_on = models.DateField(_("date first reported"), null=True, blank=True)
    narrative = EncryptedTextField(_("what happened"), max_length=20_000, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["occurred_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_reported_on__isnull=True) | Q(first_reported_on__gte=F("occurred_on")),
                name="incident_reported_after_it_happened",
                violation_error_message=_("It cannot have been reported before it happened."),
                violation_error_code="reported_before_it_happened",
            ),
        ]

    constraint_fields = {"reported_before_it_happened": "first_reported_on"}

    def __str__(self) -> str:
        return f"{self.get_gbv_type_display()} · {self.occurred_on:%d/%m/%Y}"

    @property
    def legal_harms(self) -> list[str]:
        return [field_label(self, f)
                for f in ("harm_physical", "harm_mental", "harm_sexual", "harm_economic") if getattr(self, f)]

    def clean(self) -> None:
        today = timezone.localdate()
        if self.occurred_on and self.occurred_on > today:
            raise ValidationError({"occurred_on": _("The date of the incident cannot be in the future.")})
        if self.first_reported_on and self.first_reported_on > today:
            raise ValidationError({"first_reported_on": _("The date cannot be in the future.")})


# --- Consent ------------------------------------------------------------------------------------


class ConsentQuerySet(AuditedQuerySet):
    def current(self) -> ConsentQuerySet:
        return self.filter(withdrawn_on__isnull=True)


GUARDIAN_NOT_NAMED = _("Write who gave consent for the child.")


class Consent(SealedConstraintsMixin, models.Model):
    class Scope(models.TextChoices):
        KEEP_RECORD = "keep_record", _("Keep a record")
        SHARE_POLICE = "share_police", _("Share with the police")
        SHARE_HEALTH = "share_health", _("Share with health services")
        SHARE_LEGAL_AID = "share_legal_aid", _("Share with legal aid")
        SHARE_SOCIAL = "share_social", _("Share with social services")
        STATISTICS = "statistics", _("Use in anonymised statistics")

    class GivenBy(models.TextChoices):
        SURVIVOR = "survivor", _("The survivor herself")
        GUARDIAN = "guardian", _("Parent or guardian (for a child)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    guardian_name = EncryptedTextField(_("guardian's name and relationship"), max_length=200, blank=True)
    given_on = models.DateField(_("date given"))
    withdrawn_on = models.DateField(_("date withdrawn"), null=True, blank=True)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", null=True)

    history = HistoricalRecords()
    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["scope", "-given_on"]
        constraints = [
            models.UniqueConstraint(fields=["case", "scope"], condition=Q(withdrawn_on__isnull=True),
                                    name="consent_one_current_per_scope"),
            models.CheckConstraint(condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                                   name="consent_withdrawn_after_given"),
            models.CheckConstraint(condition=Q(given_by="survivor") | ~Q(guardian_name=""),
                                   name="consent_guardian_named", violation_error_message=GUARDIAN_NOT_NAMED),
        ]

    def __str__(self) -> str:
        return self.get_scope_display()

    def clean(self) -> None:
        # The guardian rule is over an encrypted column, which Django cannot check in Python
        # (SealedConstraintsMixin): stated here with the constraint's own message, on its field.
        if self.given_by == self.GivenBy.GUARDIAN and not (self.guardian_name or "").strip():
            raise ValidationError({"guardian_name": GUARDIAN_NOT_NAMED})
        if self.given_on and self.given_on > timezone.localdate():
            raise ValidationError({"given_on": _("The date cannot be in the future.")})

    @property
    def is_current(self) -> bool:
        return self.withdrawn_on is None


# --- Risk and safety -----------------------------------------------------------------------------


class RiskAssessment(SealedConstraintsMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="risk_assessments")
    assessed_on = models.DateField(_("date assessed"))
    assessor = models.ForeignKey(Membership, verbose_name=_("assessor"), on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(_("answers"), default=dict)
    computed_level = models.CharField(max_length=10, choices=RiskLevel.choices, editable=False)
    # The assessor may raise the level on professional judgement, never lower it.
    level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices)
    notes = EncryptedTextField(_("notes"), max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.assessed_on:%d/%m/%Y}"

    def clean(self) -> None:
        if self.assessed_on and self.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": _("The date cannot be in the future.")})


class SafetyPlan(SealedConstraintsMixin, Versioned):
    class Item(models.TextChoices):
        SAFE_PLACE = "safe_place", _("A safe place to go is agreed")
        EMERGENCY_CONTACTS = "contacts", _("Emergency contacts saved (commune police, hotline 111)")
        CODE_WORD = "code_word", _("A code word with a trusted person")
        DOCUMENTS = "documents", _("Papers and money kept somewhere safe")
        BAG = "bag", _("A bag ready to leave quickly")
        CHILDREN = "children", _("Plan for the children's safety")
        PHONE = "phone", _("Phone charged and with credit")
        ROUTE = "route", _("Safe route and transport known")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="safety_plan")
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    plan = EncryptedTextField(_("plan"), max_length=10_000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", null=True)

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety plan")
        verbose_name_plural = _("safety plans")

    def __str__(self) -> str:
        return str(_("Safety plan"))


# --- Support -------------------------------------------------------------------------------------


class SupportService(PlacedConstraintsMixin, SealedConstraintsMixin, Versioned, Recorded):
    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Temporary shelter stay")
        COUNSELLING = "counselling", _("Counselling")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment (to police, health, court…)")
        EMERGENCY_MATERIAL = "material", _("Emergency material support")
        EMERGENCY_CASH = "cash", _("Emergency cash support")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="services")
    kind = models.CharField(_("kind of support"), max_length=16, choices=Kind.choices)
    provided_on = models.DateField(_("date"))
    provider = models.ForeignKey(
        Organisation, verbose_name=_("provided by"), on_delete=models.PROTECT, related_name="+",
    )
    check_in = models.DateField(_("check-in"), null=True, blank=True)
    check_out = models.DateField(_("check-out"), null=True, blank=True)
    nights = models.PositiveSmallIntegerField(_("nights"), null=True, blank=True, editable=False)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), max_length=5000, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support given")
        verbose_name_plural = _("support given")
        ordering = ["-provided_on", "-created_at"]
        indexes = [models.Index(fields=["kind", "provided_on"], name="service_kind_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(check_out__isnull=True) | Q(check_in__isnull=False, check_out__gte=F("check_in")),
                name="service_check_out_after_check_in",
                violation_error_message=_("Check-out cannot be before check-in."),
                violation_error_code="check_out_before_check_in",
            ),
            models.CheckConstraint(
                condition=~Q(kind="shelter") | Q(check_in__isnull=False),
                name="service_shelter_has_check_in",
                violation_error_message=_("A shelter stay needs a check-in date."),
                violation_error_code="shelter_without_check_in",
            ),
        ]

    constraint_fields = {"check_out_before_check_in": "check_out", "shelter_without_check_in": "check_in"}

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.provided_on:%d/%m/%Y}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        today = timezone.localdate()
        for name in ("provided_on", "check_in", "check_out"):
            value = getattr(self, name)
            if value and value > today + dt.timedelta(days=60 if name == "check_out" else 0):
                errors[name] = _("This date is too far in the future.")
        if self.kind in (self.Kind.EMERGENCY_CASH, self.Kind.EMERGENCY_MATERIAL) and self.amount_vnd is None:
            errors["amount_vnd"] = _("Enter the amount in VND (0 if none).")
        if errors:
            raise ValidationError(errors)

    @property
    def computed_nights(self) -> int | None:
        # None for a stay that ends before it starts: the constraint refuses it, with its own message.
        if self.check_in and self.check_out and self.check_out >= self.check_in:
            return (self.check_out - self.check_in).days
        return None


class LivelihoodSupport(PlacedConstraintsMixin, SealedConstraintsMixin, Versioned, Recorded):
    class SupportType(models.TextChoices):
        VOCATIONAL = "vocational", _("Vocational training")
        START_UP = "start_up", _("Start-up capital")
        LIVESTOCK_CROPS = "livestock_crops", _("Livestock or crops")
        SAVINGS_GROUP = "savings_group", _("Savings and loan group")
        JOB_PLACEMENT = "job", _("Job placement")
        OTHER = "other", _("Other")

    class Model(models.TextChoices):
        PILOT = "pilot", _("Pilot model")
        REPLICATED = "replicated", _("Replicated model")

    class Group(models.TextChoices):
        DOMESTIC_VIOLENCE = "dv", _("Domestic-violence survivor")
        TRAFFICKING = "trafficking", _("Trafficking survivor")

    class Outcome(models.TextChoices):
        IMPROVED = "improved", _("Income improved")
        STABLE = "stable", _("Stable")
        NO_CHANGE = "no_change", _("No change")
        STOPPED = "stopped", _("Stopped taking part")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="livelihood_supports")
    support_type = models.CharField(_("type"), max_length=20, choices=SupportType.choices)
    programme_model = models.CharField(_("programme model"), max_length=12, choices=Model.choices)
    model_name = models.CharField(_("name of the model"), max_length=120, blank=True,
                                  help_text=_("E.g. “Cow-raising group, Đăk Hà” — no personal names."))
    beneficiary_group = models.CharField(_("beneficiary group"), max_length=12, choices=Group.choices)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), default=0)
    started_on = models.DateField(_("start"))
    ended_on = models.DateField(_("end"), null=True, blank=True)
    outcome = models.CharField(_("outcome at follow-up"), max_length=12, choices=Outcome.choices, blank=True)
    followed_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), max_length=5000, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("livelihood support")
        verbose_name_plural = _("livelihood support")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                                   name="livelihood_ends_after_start",
                                   violation_error_message=_("The end cannot be before the start."),
                                   violation_error_code="ends_before_start"),
        ]

    constraint_fields = {"ends_before_start": "ended_on"}

    def __str__(self) -> str:
        return f"{self.get_support_type_display()} · {self.started_on:%d/%m/%Y}"

    def clean(self) -> None:
        if self.followed_up_on and self.started_on and self.followed_up_on < self.started_on:
            raise ValidationError({"followed_up_on": _("The follow-up cannot be before the start.")})


class CaseNote(SealedConstraintsMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    text = EncryptedTextField(_("note"), max_length=20_000)
    author = models.ForeignKey(Membership, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    history = HistoricalRecords()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{_('Note')} · {self.created_at:%d/%m/%Y %H:%M}"


# --- Read-access log ------------------------------------------------------------------------------


class AccessLogQuerySet(AuditedQuerySet):
    # Append-only: AuditedQuerySet refuses update()/bulk_update(), so a log row cannot be rewritten in bulk.
    def for_survivor(self, survivor: Survivor) -> AccessLogQuerySet:
        return self.filter(survivor=survivor)


class CaseAccess(models.Model):
    """One read of a confidential record: who, as which organisation and role, when, what.

    Append-only; shown to the lead per case and, per survivor, as "who saw my file".
    """

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", _("Opened the case")
        EDIT = "edit", _("Opened a form to edit")
        PRINT_SUMMARY = "print_summary", _("Printed the case summary")
        EXPORT = "export", _("Exported")
        VIEW_REFERRAL = "view_referral", _("Partner opened the shared referral information")
        PRINT_REFERRAL = "print_referral", _("Printed the referral slip")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="accesses")
    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=20, choices=Action.choices)
    # What was read, in words without personal data: an English message marked with gettext_noop
    # ("case page"), stored as it is so that the log reads the same in any language, and translated
    # when it is shown (casework.views.audit).
    what = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("record access")
        verbose_name_plural = _("record accesses")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["case", "-at"], name="access_case_at"),
            models.Index(fields=["survivor", "-at"], name="access_survivor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.at:%d/%m/%Y %H:%M}"

