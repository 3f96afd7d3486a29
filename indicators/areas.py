"""Which areas a member may report on, and how an area is named in a URL.

An analyst of the provincial Women's Union reports on the province and anything in it; a union
supervisor on their district or commune and the communes in it; nobody else on anything. The finest
level is the commune: villages are never reported on, and neither is a single trusted address.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.access import Perm, role_allows
from accounts.models import AdminUnit, AdminUnitQuerySet, Membership
from indicators.models import REPORTING_LEVELS


class InvalidArea(ValueError):
    """An area code that is unknown or outside the member's area; the message is for the user."""


def key_of(unit: AdminUnit) -> str:
    """The area's key in URLs and files: level letter and official code, e.g. ``d613``."""
    return unit.path.rstrip("/").rsplit("/", 1)[-1]


def scope_of(membership: Membership | None) -> AdminUnit | None:
    """The unit a member may report on (with everything in it), or None."""
    if not role_allows(membership, Perm.INDICATORS_VIEW):
        return None
    assert membership is not None
    area = membership.organisation.area
    return area if area.level in REPORTING_LEVELS else None


def reportable(scope: AdminUnit) -> AdminUnitQuerySet:
    return AdminUnit.objects.within(scope).filter(level__in=REPORTING_LEVELS)


def choices(membership: Membership | None) -> list[tuple[str, str]]:
    scope = scope_of(membership)
    if scope is None:
        return []
    depth = scope.path.count("/")
    return [
        (key_of(unit), "\u2003" * (unit.path.count("/") - depth) + unit.name)
        for unit in reportable(scope).order_by("path")
    ]


def parse(raw: object, membership: Membership | None) -> AdminUnit:
    """The unit for an area key the member may report on, or :class:`InvalidArea`."""
    scope = scope_of(membership)
    text = str(raw or "").strip()
    unit: AdminUnit | None = None
    if scope is not None and text and len(text) <= 20:
        level = {"p": AdminUnit.Level.PROVINCE, "d": AdminUnit.Level.DISTRICT, "c": AdminUnit.Level.COMMUNE}
        if text[0] in level:
            unit = reportable(scope).filter(level=level[text[0]], code=text[1:]).first()
    if unit is None:
        raise InvalidArea(_("Unknown area, or an area outside yours. Choose one from the list."))
    return unit


def children_of(unit: AdminUnit, with_addresses: set[str]) -> list[AdminUnit]:
    """The districts or communes directly in ``unit`` that have trusted addresses, in order."""
    if unit.level == AdminUnit.Level.COMMUNE:
        return []
    return list(unit.children.filter(level__in=REPORTING_LEVELS, path__in=with_addresses).order_by("path"))


def parents_of(unit: AdminUnit) -> list[AdminUnit]:
    """The enclosing reporting units, nearest first (a commune's district, then its province)."""
    chain = []
    current = unit.parent
    while current is not None:
        if current.level in REPORTING_LEVELS:
            chain.append(current)
        current = current.parent
    return chain
