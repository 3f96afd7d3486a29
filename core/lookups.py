"""An id beyond what its integer column can hold matches no row — on every database, in every lookup.

Django 5 already answers ``pk=99999999999999999999`` with an empty result instead of running the query
(``IntegerFieldOverflow`` on ``exact``, ``gt``, ``gte``, ``lt`` and ``lte``), but not ``pk__in=[…]`` nor
any lookup through a relation (``organisation=…``, ``user__in=…``, ``groups=…``). There SQLite raises
``OverflowError`` — a 500 — while PostgreSQL quietly compares as ``numeric``. A crafted id reaches those
lookups from a form (``ModelMultipleChoiceField`` filters ``pk__in``), from an admin list filter
(``?user=…``) or from any query string, so the rule lives here, below every caller, rather than in each
form field and view: a value the column cannot hold is dropped from ``in`` and answered like Django
answers it for ``exact`` — no row, or every row for a bound that no stored value can cross.

Registered on ``IntegerField`` (and so on every auto, big, small and positive integer field) and on
``ForeignObject`` (foreign keys and one-to-one fields, and the many-to-many joins that end on them),
replacing Django's own classes of the same name, when the ``core`` app is ready.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import models
from django.db.models.expressions import ColPairs  # type: ignore[attr-defined]  # Django 5.2, not in django-stubs 5.2
from django.db.models.fields.related_lookups import (
    RelatedExact,
    RelatedGreaterThan,
    RelatedGreaterThanOrEqual,
    RelatedIn,
    RelatedLessThan,
    RelatedLessThanOrEqual,
)
from django.db.models.lookups import In, Lookup


def integer_range(lhs: Any, connection: Any) -> tuple[int | None, int | None] | None:
    """The values the column behind ``lhs`` can hold on ``connection``, or None if it holds no integers.

    A relation is followed to the column it points at (a foreign key to a ``BigAutoField`` holds what
    that ``BigAutoField`` holds); a multi-column relation is left alone.
    """
    if isinstance(lhs, ColPairs):
        return None
    field = getattr(lhs, "output_field", None)
    path_infos = getattr(field, "path_infos", None)
    if path_infos:
        targets = path_infos[-1].target_fields
        if len(targets) != 1:
            return None
        field = targets[0]
    if not isinstance(field, models.IntegerField):
        return None
    bounds: tuple[int | None, int | None] = connection.ops.integer_field_range(field.get_internal_type())
    return bounds


def fits(value: object, bounds: tuple[int | None, int | None]) -> bool:
    """True unless ``value`` is an integer outside ``bounds`` (anything else is the database's business)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


class _BoundedComparison(Lookup[Any]):
    """Django's ``IntegerFieldOverflow``, measured on the column a relation points at."""

    underflow_exception: type[Exception] = EmptyResultSet
    overflow_exception: type[Exception] = EmptyResultSet

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        rhs = self.rhs
        bounds = integer_range(self.lhs, connection)
        if bounds is not None and not fits(rhs, bounds):
            low, _high = bounds
            raise self.underflow_exception if low is not None and rhs < low else self.overflow_exception
        return super().process_rhs(compiler, connection)


class _BoundedIn(In[Any]):
    """``in``: values the column cannot hold are dropped; none left means no row (Django's own rule for
    an empty list)."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        bounds = integer_range(self.lhs, connection)
        if bounds is not None and self.rhs_is_direct_value():
            self.rhs = [value for value in self.rhs if fits(value, bounds)]
        return super().process_rhs(compiler, connection)


@models.IntegerField.register_lookup
class IntegerFieldIn(_BoundedIn):
    pass


@models.ForeignObject.register_lookup
class BoundedRelatedIn(_BoundedIn, RelatedIn):
    pass


@models.ForeignObject.register_lookup
class BoundedRelatedExact(_BoundedComparison, RelatedExact):
    pass


@models.ForeignObject.register_lookup
class BoundedRelatedGreaterThan(_BoundedComparison, RelatedGreaterThan):
    underflow_exception = FullResultSet


@models.ForeignObject.register_lookup
class BoundedRelatedGreaterThanOrEqual(_BoundedComparison, RelatedGreaterThanOrEqual):
    underflow_exception = FullResultSet


@models.ForeignObject.register_lookup
class BoundedRelatedLessThan(_BoundedComparison, RelatedLessThan):
    overflow_exception = FullResultSet


@models.ForeignObject.register_lookup
class BoundedRelatedLessThanOrEqual(_BoundedComparison, RelatedLessThanOrEqual):
    overflow_exception = FullResultSet
