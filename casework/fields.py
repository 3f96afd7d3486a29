"""Encrypted model fields, bound to their row, and the queryset that refuses to bypass them.

Usage::

    class Survivor(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
        full_name = EncryptedTextField()
        phone = EncryptedTextField(blank=True)
        born_on = EncryptedDateField(null=True, blank=True)
        history = HistoricalRecords()

        objects = EncryptedManager()

Life of a value:

* Assigning plaintext (``survivor.full_name = "…"``) keeps it on the instance as plaintext.
* ``save()`` encrypts in ``pre_save()``, where the instance — and so the row id the ciphertext is
  bound to — is known. The instance keeps its plaintext.
* Loading from the database leaves the token sealed on the instance (``from_db_value`` cannot
  decrypt: it has no instance, hence no row id). The descriptor decrypts on first access and caches
  the plaintext on the instance, so rows that are listed but never read are never decrypted.
* ``.values()`` / ``.values_list()`` return a :class:`SealedValue` — deliberately not a ``str``, so
  ciphertext can never pass as text in a template or an export.

``None`` is stored as NULL. The empty string is stored as ``""`` in an :class:`EncryptedTextField`
(not encrypted): AES-GCM ciphertext already reveals a length bucket, so sealing "" would hide only
"empty or short", and keeping it plain lets ``blank=True`` forms and ``filter(field="")`` work.

django-simple-history copies these fields into the historical model unchanged (``copy.copy`` plus
``transform_field``, which only renames and un-uniques). A historical row binds its values to the
*original* model label, field name and original row id (the historical model's ``instance_type`` and
its copy of the original primary key), so its ciphertext is its own, yet opens exactly like the row's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core import checks, exceptions
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from core.crypto import (
    TOKEN_HEAD,
    Binding,
    EncryptionError,
    decrypt_text,
    encrypt_text,
    get_key_ring,
    token_key_id,
)
from core.querysets import GuardedQuerySet


class EncryptionBypassError(EncryptionError):
    """An operation would write or compare an encrypted column without going through ``save()``."""


class _Token(str):
    """A token produced by ``pre_save()`` or key rotation: the only ``str`` the column accepts.

    Marking it lets ``get_prep_value`` tell a sealed value from plaintext that reached the database
    some other way (``bulk_update``, a lookup, raw fixture loading), and refuse the latter.
    """

    __slots__ = ()


@dataclass(frozen=True)
class SealedValue:
    """An encrypted value as read from the database, not yet decrypted.

    ``row_id`` is the row it was loaded for (when known), so that a row copied by resetting its
    primary key can still open, and then re-seal, the values it carried.
    """

    token: str
    row_id: str | None = None

    @property
    def key_id(self) -> str:
        return token_key_id(self.token)

    def __str__(self) -> str:
        raise TypeError(
            "An encrypted value was used as text without being decrypted. Read it through a model "
            "instance attribute, not .values() / .values_list()."
        )

    def __repr__(self) -> str:
        # No token in the repr: error pages and logs show locals.
        return "<SealedValue>"


class EncryptedAttribute(DeferredAttribute):
    """Instance attribute: plaintext in, plaintext out; decrypts a loaded token on first access."""

    field: EncryptedField

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)  # loads the column if it was deferred
        if isinstance(value, SealedValue):
            value = self.field.unseal(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, SealedValue) and value.row_id is None:
            # Remember which row the token came from (Model.__init__ usually sets the id first; if it
            # does not, the row id is taken at decryption time).
            value = replace(value, row_id=self.field.loaded_row_id(instance))
        instance.__dict__[self.field.attname] = value


def has_encrypted_fields(model: type[models.Model]) -> bool:
    return any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


class EncryptedField(models.Field[Any, Any]):
    """Base of every encrypted field: a text column holding ``enc.v1.<kid>.<payload>`` tokens.

    Subclasses convert between their Python value and the plaintext string with
    ``to_plaintext`` / ``from_plaintext``.
    """

    descriptor_class = EncryptedAttribute
    description = _("Encrypted value")
    # Whether "" is kept as "" (see module docstring). A date has no empty form.
    stores_empty_string: ClassVar[bool] = True
    # Ciphertext is randomised, so equality, ordering and pattern lookups on it are meaningless and
    # would silently match nothing; only these are allowed ("exact" only for "", see get_prep_value).
    permitted_lookups: ClassVar[frozenset[str]] = frozenset({"isnull", "exact"})

    def get_internal_type(self) -> str:
        return "TextField"

    # --- conversion hooks -------------------------------------------------------------------

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    # --- binding ----------------------------------------------------------------------------

    def _binding_target(self) -> tuple[type[models.Model], models.Field[Any, Any]]:
        """(model whose label binds the value, field holding the bound row id) for this field's model.

        For a django-simple-history model that is the original model and the historical copy of its
        primary key — history rows must open with the same binding as the row they copy.
        """
        model = self.model
        origin = getattr(model, "instance_type", None)
        if isinstance(origin, type) and issubclass(origin, models.Model) and origin is not model:
            copied_pk = model._meta.get_field(origin._meta.pk.attname)
            assert isinstance(copied_pk, models.Field)
            return origin, copied_pk
        return model, model._meta.pk

    @property
    def bound_id_attname(self) -> str:
        """Column holding the row id values are bound to: the pk, or a historical row's copy of it."""
        return self._binding_target()[1].attname

    def _row_id_text(self, raw: Any) -> str | None:
        if raw is None:
            return None
        _model, id_field = self._binding_target()
        # to_python gives one canonical text per id (a UUID typed in upper case and the UUID object
        # read back from the database must bind identically).
        return str(id_field.to_python(raw))

    def loaded_row_id(self, instance: models.Model) -> str | None:
        _model, id_field = self._binding_target()
        return self._row_id_text(instance.__dict__.get(id_field.attname))

    def binding_for(self, instance: models.Model, *, row_id: str | None = None) -> Binding:
        model, id_field = self._binding_target()
        if row_id is None:
            row_id = self._row_id_text(getattr(instance, id_field.attname))
        if row_id is None:
            raise EncryptionError(
                f"Cannot encrypt {model._meta.label_lower}.{self.name}: the row has no id yet. Encrypted "
                "fields need a primary key set before the first save (UUIDField(default=uuid.uuid4))."
            )
        return self.binding_for_row_id(row_id)

    def binding_for_row_id(self, row_id: Any) -> Binding:
        """The binding for a raw row id as read from the database (used by key rotation)."""
        model, _id_field = self._binding_target()
        text = self._row_id_text(row_id)
        if text is None:
            raise EncryptionError(f"{model._meta.label_lower}.{self.name}: a row without an id.")
        return Binding(model_label=model._meta.label_lower, field_name=self.name, row_id=text)

    # --- encryption and decryption ----------------------------------------------------------

    def unseal(self, instance: models.Model, sealed: SealedValue) -> Any:
        binding = self.binding_for(instance, row_id=sealed.row_id)
        return self.from_plaintext(decrypt_text(sealed.token, binding=binding))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.attname not in model_instance.__dict__:
            getattr(model_instance, self.attname)  # load a deferred value before re-sealing it
        state = model_instance.__dict__[self.attname]
        binding = self.binding_for(model_instance)
        if isinstance(state, SealedValue):
            if state.row_id in (None, binding.row_id) and state.key_id == get_key_ring().current_kid:
                # Loaded, unread and still in place under the newest key: write the same token back.
                return _Token(state.token)
            # Moved to a new row id, or sealed under an older key: open it where it came from and
            # re-seal it here (this also re-keys rows that are saved during a rotation).
            state = self.unseal(model_instance, state)
        if state is None:
            return None
        value = self.to_python(state)
        if value is None:
            return None
        text = self.to_plaintext(value)
        if text == "" and self.stores_empty_string:
            return _Token("")
        return _Token(encrypt_text(text, binding=binding))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or (value == "" and self.stores_empty_string):
            return value
        # Anything else, including plain text that does not look like a token, is sealed and will
        # fail loudly on access rather than being passed through as if it were plaintext.
        return SealedValue(token=value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, _Token):
            return None if value is None else str(value)
        if value == "" and self.stores_empty_string:
            return ""
        where = f"{self.model._meta.label_lower}.{self.name}" if hasattr(self, "model") else "This field"
        raise EncryptionBypassError(
            f"{where} is encrypted: plaintext cannot be written or compared in SQL. Assign it on an "
            "instance and save(); search through a blind index column."
        )

    # --- lookups: nothing that would compare ciphertext as if it were plaintext -------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in self.permitted_lookups:
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None

    # --- checks -----------------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *self._check_encryption_options()]

    def _check_encryption_options(self) -> list[checks.CheckMessage]:
        errors: list[checks.CheckMessage] = []
        # db_index is Django's attribute, missing from django-stubs' Field.
        if self.primary_key or self.unique or getattr(self, "db_index", False):
            errors.append(checks.Error(
                "Encrypted fields cannot be a primary key, unique or indexed: every encryption of the "
                "same value differs.",
                hint="Store a core.crypto.blind_index() of the value in an indexed column instead.",
                obj=self,
                id="casework.E001",
            ))
        model, id_field = self._binding_target()
        if model is self.model and not id_field.has_default():
            errors.append(checks.Error(
                "A model with encrypted fields needs a primary key that exists before the first save.",
                hint="Use id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False).",
                obj=self,
                id="casework.E002",
            ))
        return errors


class EncryptedTextField(EncryptedField):
    """Encrypted free text. ``max_length`` (optional) limits the plaintext, checked in validation."""

    description = _("Encrypted text")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> Any:
        defaults: dict[str, Any] = {"max_length": self.max_length}
        if not self.choices:
            defaults["widget"] = forms.Textarea
        return super().formfield(form_class, choices_form_class, **{**defaults, **kwargs})


class EncryptedDateField(EncryptedField):
    """Encrypted calendar date (a date of birth, a date of an incident), sealed as ISO ``YYYY-MM-DD``."""

    description = _("Encrypted date")
    empty_strings_allowed = False
    stores_empty_string = False
    default_error_messages = {
        "invalid": _("“%(value)s” value has an invalid date format. It must be in YYYY-MM-DD format."),
        "invalid_date": _("“%(value)s” value has the correct format (YYYY-MM-DD) but it is an invalid date."),
    }

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            parsed = parse_date(str(value))
        except ValueError:
            raise exceptions.ValidationError(
                self.error_messages["invalid_date"], code="invalid_date", params={"value": value}
            ) from None
        if parsed is None:
            raise exceptions.ValidationError(self.error_messages["invalid"], code="invalid",
                                             params={"value": value})
        return parsed

    def to_plaintext(self, value: datetime.date) -> str:
        return value.isoformat()

    def from_plaintext(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def value_to_string(self, obj: models.Model) -> str:
        value: datetime.date | None = self.value_from_object(obj)
        return "" if value is None else value.isoformat()

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> Any:
        return super().formfield(form_class or forms.DateField, choices_form_class, **kwargs)


# --- Queryset guard -----------------------------------------------------------------------------


def _refuse_bulk_write(model: type[models.Model], operation: str) -> EncryptionBypassError:
    return EncryptionBypassError(
        f"{operation} is refused on {model._meta.label}: it has encrypted fields, and {operation} skips "
        "the per-row encryption done in save() as well as the history record. Save each instance "
        "(for a related manager's remove()/clear(), pass bulk=False)."
    )


class EncryptedQuerySet(GuardedQuerySet[Any]):
    """Refuses ``update()`` and ``bulk_update()`` for models with encrypted fields.

    Both write columns without calling ``pre_save()`` (so without the row-bound encryption) and
    without django-simple-history's signals (so without an audit record); see core.querysets. Key
    rotation is the one sanctioned column-level writer and uses a plain ``QuerySet`` on purpose (see
    rotate_encryption_keys).
    """

    def bulk_write_refusal(self, operation: str) -> Exception | None:
        if has_encrypted_fields(self.model):
            return _refuse_bulk_write(self.model, operation)
        return super().bulk_write_refusal(operation)


# Default manager for models with encrypted fields.
EncryptedManager = models.Manager.from_queryset(EncryptedQuerySet)


def sealed_prefix(kid: str) -> str:
    """Every token sealed under ``kid`` starts with this (used by rotation to find stale values)."""
    return f"{TOKEN_HEAD}{kid}."



# A model mixin is a model to the type checker, which then sees the model base its ``super()`` reaches.
if TYPE_CHECKING:
    ModelMixinBase = models.Model
else:
    ModelMixinBase = object


class SealedConstraintsMixin(ModelMixinBase):
    """For models with encrypted fields: leave constraints over encrypted columns to the database.

    Django checks constraints in Python (``full_clean()``, model forms) by running their condition as
    SQL with the instance's values; a condition over an encrypted column would then compare plaintext
    in SQL, which the field refuses. Such constraints are still enforced by the database on the sealed
    value; the model's `clean()` states the same rule with the constraint's message. Put it before the model base.
    """

    def validate_constraints(self, exclude: Any = None) -> None:
        sealed = {f.name for f in encrypted_fields(type(self))}
        super().validate_constraints(exclude={*(exclude or ()), *sealed})
