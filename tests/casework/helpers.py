"""Raw-SQL helpers for the encryption tests: they look at what is really stored in a table."""

from __future__ import annotations

import base64
from typing import Any

from django.db import connection, models


def make_key(seed: str) -> str:
    """A deterministic 32-byte key for tests (never for real use)."""
    return base64.urlsafe_b64encode(seed.encode().ljust(32, b"-")[:32]).decode()


def raw_rows(model: type[models.Model]) -> list[tuple[Any, ...]]:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - the name comes from model metadata
        return cursor.fetchall()


def raw_column(model: type[models.Model], field_name: str) -> list[Any]:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - names come from model metadata
        return [row[0] for row in cursor.fetchall()]


def raw_get(obj: models.Model, field_name: str) -> Any:
    model = type(obj)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    pk = model._meta.pk.get_db_prep_value(obj.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def raw_set(obj: models.Model, field_name: str, value: Any) -> None:
    """Write a column behind the ORM's back, as an attacker or a buggy script with SQL access would."""
    model = type(obj)
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    pk = model._meta.pk.get_db_prep_value(obj.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s", [value, pk])  # noqa: S608
