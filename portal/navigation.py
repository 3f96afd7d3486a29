"""The home page's tiles: one list, in the order the page shows them, each shown when the acting role
allows its page. Portal is above every app, so it names their pages and permissions directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.access import Perm, confirms_grants, role_allows
from accounts.models import Membership


@dataclass(frozen=True)
class Tile:
    """A home-page tile, shown when the acting role has ``perm`` — or, for pages that are not one
    permission of the role table, when ``shown`` (a named question of ``accounts.access``) says so."""

    perm: Perm | None
    url_name: str
    title: str | Promise
    text: str | Promise
    shown: Callable[[Membership | None], bool] | None = None

    def shown_to(self, membership: Membership | None) -> bool:
        if self.shown is not None:
            return self.shown(membership)
        return self.perm is not None and role_allows(membership, self.perm)


TILES: tuple[Tile, ...] = (
    Tile(perm=Perm.REFERRAL_RESPOND, url_name="referrals:inbox",
         title=_("Referrals received"), text=_("New, overdue and in-progress referrals.")),
    Tile(perm=Perm.CASE_ADD, url_name="casework:intake-start",
         title=_("New case"), text=_("Take in a survivor, step by step.")),
    Tile(perm=Perm.CASE_VIEW, url_name="casework:case-list",
         title=_("Cases"), text=_("Find a case, see open tasks and overdue plans.")),
    Tile(perm=Perm.CASE_VIEW_DEIDENTIFIED, url_name="casework:supervision-list",
         title=_("Supervision"), text=_("De-identified case lists of the trusted addresses you supervise.")),
    Tile(perm=Perm.INDICATORS_VIEW, url_name="indicators:dashboard",
         title=_("Indicators"), text=_("Project 8 results for your area: tables, charts, targets and downloads.")),
    Tile(perm=Perm.PARTNER_DIRECTORY_VIEW, url_name="referrals:directory",
         title=_("Partner directory"), text=_("Police, health, legal aid and social services by commune.")),
    Tile(perm=None, shown=confirms_grants, url_name="accounts:grants",
         title=_("Members and confirmations"), text=_("Roles waiting for your confirmation, and who decided what.")),
    Tile(perm=Perm.ADMINISTER, url_name="admin:index",
         title=_("Administration"), text=_("Users, organisations, memberships and administrative units.")),
)


def tiles_for(membership: Membership | None) -> list[dict[str, object]]:
    return [
        {"url": reverse(tile.url_name), "title": tile.title, "text": tile.text}
        for tile in TILES
        if tile.shown_to(membership)
    ]
