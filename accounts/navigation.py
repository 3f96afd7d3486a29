"""Home-page tiles. Each app registers its own in ``AppConfig.ready``; accounts shows the ones the
acting role allows, so accounts never imports the other apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from accounts.access import Perm, role_allows
from accounts.models import Membership


@dataclass(frozen=True)
class Tile:
    """A home-page tile, shown when the acting role has ``perm`` — or, for pages that are not one
    permission of the role table, when ``shown`` (a named question of ``accounts.access``) says so."""

    perm: Perm | None
    url_name: str
    title: str | Promise
    text: str | Promise
    order: int = 100
    shown: Callable[[Membership | None], bool] | None = None

    def shown_to(self, membership: Membership | None) -> bool:
        if self.shown is not None:
            return self.shown(membership)
        return self.perm is not None and role_allows(membership, self.perm)


_TILES: list[Tile] = []


def register_tile(tile: Tile) -> None:
    if tile not in _TILES:
        _TILES.append(tile)


def tiles_for(membership: Membership | None) -> list[dict[str, object]]:
    return [
        {"url": reverse(t.url_name), "title": t.title, "text": t.text}
        for t in sorted(_TILES, key=lambda t: t.order)
        if t.shown_to(membership)
    ]
