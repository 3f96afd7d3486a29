"""Querysets that refuse the bulk writes which would bypass ``save()``.

``QuerySet.update()`` and ``bulk_update()`` write rows in SQL: no field's ``pre_save()`` runs and no
``pre_save``/``post_save`` signal is sent, so django-simple-history writes no history row (and an
encrypted field seals nothing). ``Model.save()`` is not affected: it writes through the private
``_update()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models

_M = TypeVar("_M", bound=models.Model)
_F = TypeVar("_F", bound=Callable[..., Any])


def _alters_data(method: _F) -> _F:
    """Django's mark for a method that writes (templates never call it), kept on the overrides."""
    method.alters_data = True  # type: ignore[attr-defined]  # a mark on the function, as Django's own
    return method


class GuardedQuerySet(models.QuerySet[_M]):
    """``update()`` and ``bulk_update()`` ask :meth:`bulk_write_refusal` first and raise what it returns.

    A subclass names its reason there and falls back to ``super()``, so guards stacked by inheritance
    combine: the most specific that refuses gives the message. (Stack them in one line of
    inheritance: django-stubs cannot type ``as_manager()`` over two queryset bases.)
    """

    def bulk_write_refusal(self, operation: str) -> Exception | None:
        return None

    @_alters_data
    def update(self, **kwargs: Any) -> int:
        refusal = self.bulk_write_refusal("QuerySet.update()")
        if refusal is not None:
            raise refusal
        return super().update(**kwargs)

    @_alters_data
    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        refusal = self.bulk_write_refusal("QuerySet.bulk_update()")
        if refusal is not None:
            raise refusal
        return super().bulk_update(objs, fields, batch_size=batch_size)


