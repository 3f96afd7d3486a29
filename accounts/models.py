"""Who a user is, which organisation they act for, and in what role.

Nothing here knows about cases: the rules of what a role may do live in ``accounts.access``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.crypto import Binding, DecryptionError, decrypt_text, encrypt_text


class User(AbstractUser):
    """A person who signs in. What they may do comes only from their memberships.

    ``is_superuser`` and ``is_staff`` grant nothing in this system: the access gate reads memberships.
    """

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def active_memberships(self) -> models.QuerySet[Membership]:
        return self.memberships.active().select_related("organisation", "organisation__area")

    @property
    def requires_two_factor(self) -> bool:
        from accounts.access import TWO_FACTOR_ROLES

        return self.memberships.active().filter(role__in=TWO_FACTOR_ROLES).exists()


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
        allowed = self.ALLOWED_PARENTS.get(self.level, ())
        parent_level = self.parent.level if self.parent_id else None
        if (parent_level is None and allowed) or (parent_level is not None and parent_level not in allowed):
            raise ValidationError(
                {"parent": _("A %(level)s cannot sit under this unit.") % {"level": self.get_level_display()}}
            )

    def ancestors_and_self(self) -> AdminUnitQuerySet:
        prefixes = []
        parts = [p for p in self.path.split("/") if p]
        for i in range(1, len(parts) + 1):
            prefixes.append("/".join(parts[:i]) + "/")
        return AdminUnit.objects.filter(path__in=prefixes)


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
    UNION_KINDS = (Kind.WOMENS_UNION_COMMUNE, Kind.WOMENS_UNION_DISTRICT, Kind.WOMENS_UNION_PROVINCE)

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
            if self.area_id and self.area.level not in (AdminUnit.Level.COMMUNE, AdminUnit.Level.VILLAGE):
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


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, organisation__is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role in one organisation. Every action is taken "as" one membership."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], condition=Q(is_active=True),
                name="membership_one_active_role_per_organisation",
                violation_error_message=_("This user already has an active role in this organisation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.organisation_id and self.role:
            allowed = ROLE_ORGANISATION_KINDS.get(self.role, ())
            if self.organisation.kind not in allowed:
                raise ValidationError(
                    {"role": _("The role %(role)s cannot be held in a %(kind)s.")
                     % {"role": self.get_role_display(), "kind": self.organisation.get_kind_display()}}
                )


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
