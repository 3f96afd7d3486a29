"""Who made a change and why, for django-simple-history.

simple-history writes a history row when a tracked instance is saved, and takes its author and its
reason from two attributes of that instance. Services set both with :func:`stamp` just before
``save()``: one spelling of those private attribute names for every app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models


def stamp(obj: models.Model, *, user: AbstractBaseUser | None, reason: str) -> None:
    """Record ``user`` (None: the system — a scheduled job, the console) and ``reason`` in the history
    row that the next ``obj.save()`` writes."""
    # The two attributes simple-history reads when it writes the row (not declared on the model).
    vars(obj).update(_history_user=user, _change_reason=reason)
