"""Shared vocabulary for access-matrix rows (tests/test_access_matrix.py).

Each app's rows live beside its tests, in modules named ``access_rows*.py`` that define ``ROWS``; the
matrix collects them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accounts.models import Membership, Role
from tests.conftest import Cast

ANON = "anonymous"
ROLES = [ANON, *Role.values]
OK, REDIRECT, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = 200, 302, 403, 404, 405

Kwargs = Callable[[Cast, Membership | None], dict[str, object]]


@dataclass
class Row:
    url_name: str
    expect: dict[str, int]
    method: str = "get"
    kwargs: Kwargs | None = None
    # An object of the same kind that the acting user must not see.
    foreign: Kwargs | None = None
    data: dict[str, object] = field(default_factory=dict)


def everyone(status: int, **overrides: int) -> dict[str, int]:
    table = {role: status for role in Role.values}
    table[ANON] = REDIRECT  # anonymous visitors are sent to sign in
    table.update(overrides)
    return table


def only(roles: set[str], status: int = OK, others: int = FORBIDDEN) -> dict[str, int]:
    return everyone(others) | {role: status for role in roles}


