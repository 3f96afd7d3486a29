"""Home-page tiles. Each app registers its own in ``AppConfig.ready``; accounts shows the ones the
acting role allows, so accounts never imports the other apps."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from accounts.access import Perm, role_allows
from accounts.models import Membership


@dataclass(frozen=True)
class Tile:
    perm: Perm
    url_name: str
    title: str | Promise
    text: str | Promise
    order: int = 100


_TILES: list[Tile] = []


def register_tile(tile: Tile) -> None:
    if tile not in _TILES:
        _TILES.append(tile)


def tiles_for(membership: Membership | None) -> list[dict[str, object]]:
    return [
        {"url": reverse(t.url_name), "title": t.title, "text": t.text}
        for t in sorted(_TILES, key=lambda t: t.order)
        if role_allows(membership, t.perm)
    ]
