"""The SQL the statistics are counted with, the same on PostgreSQL and SQLite: the key that counts a
person once, the record key of the cell-key method, the median and the hours between two datetimes.

SQLite has neither a median nor MD5: :func:`register_sqlite_functions` gives it both, so that every
figure is computed inside the database on both. It is connected to ``connection_created`` in
:meth:`indicators.apps.IndicatorsConfig.ready`.
"""

from __future__ import annotations

import hashlib
import statistics
from typing import Any

from django.db import models
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf


class PersonKey(models.Func):
    """Compared byte by byte on PostgreSQL (``COLLATE "C"``): the key is a hex digest or an id, so the
    locale's collation would only make ``COUNT(DISTINCT …)`` slower."""

    template = "%(expressions)s"
    output_field = models.CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra)


def person(prefix: str = "") -> PersonKey:
    """One key per person: the keyed blind index of name and birth year, so that a survivor recorded at
    two trusted addresses counts once; the survivor row's id where the index could not be made."""
    return PersonKey(Coalesce(
        NullIf(F(f"{prefix}survivor__name_birth_year_index"), Value("")),
        Cast(F(f"{prefix}survivor_id"), output_field=models.CharField()),
    ))


class RecordKey(models.Func):
    """The record key of the cell-key method (see :mod:`indicators.disclosure`): a fixed pseudo-random
    number of 28 bits per person, the first hex digits of an MD5 of the person key. The key is itself a
    keyed blind index, so this says nothing about her; it only has to be the same for the same person
    every time, on both databases (SQLite gets the same function, registered below)."""

    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="STAT_RECORD_KEY", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "('x' || substr(md5(%(expressions)s), 1, 7))::bit(28)::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)


def record_key(text: str | None) -> int | None:
    """:class:`RecordKey` in Python: what SQLite calls, and what a test can compute."""
    return None if text is None else int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:7], 16)


def persons(prefix: str = "", condition: Q | None = None) -> dict[str, Any]:
    """Distinct people, and the cell key of the cell-key method: the sum of their record keys."""
    return {
        "persons": Count(person(prefix), distinct=True, filter=condition),
        "key": Sum(RecordKey(person(prefix)), distinct=True, filter=condition),
    }


# Counts of people and of events (services, referrals and their outcomes). The dominance rule needs,

class Median(models.Aggregate):
    """The median, computed by the database: ``percentile_cont`` on PostgreSQL, a registered aggregate
    on SQLite (see :func:`register_sqlite_functions`)."""

    function = "MEDIAN"
    name = "Median"
    output_field = models.FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # On a copy: Aggregate.as_sql passes ``template`` on itself when there is a filter.
        clone = self.copy()
        clone.template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return clone.as_sql(compiler, connection, **extra)


class HoursBetween(models.Func):
    """Hours from one datetime column to another (SQLite's ``julianday``; PostgreSQL's epoch)."""

    output_field = models.FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(start), F(end))

    def _operands(self, compiler: Any) -> tuple[str, str, tuple[Any, ...]]:
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, (*end_params, *start_params)

    def as_sql(self, compiler: Any, connection: Any, function: str | None = None, template: str | None = None,
               arg_joiner: str | None = None, **extra: Any) -> Any:
        start, end, params = self._operands(compiler)
        return f"((julianday({end}) - julianday({start})) * 24.0)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._operands(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)", params


class _MedianAggregate:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite has no median: give it one, so that it too is computed inside the database."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _MedianAggregate)
        connection.connection.create_function("STAT_RECORD_KEY", 1, record_key, deterministic=True)

