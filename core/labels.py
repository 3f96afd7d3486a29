"""A model field's own name, as the reader's language says it."""

from __future__ import annotations

from django.db import models


def field_label(model: type[models.Model] | models.Model, name: str) -> str:
    """The verbose name of the concrete field ``name`` (a relation's reverse side has none: its name)."""
    field = model._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, models.Field) else name
