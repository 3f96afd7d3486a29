from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        from accounts.access import Perm, confirms_grants
        from accounts.navigation import Tile, register_tile

        register_tile(Tile(
            perm=None, shown=confirms_grants, url_name="accounts:grants", order=80,
            title=_("Members and confirmations"),
            text=_("Roles waiting for your confirmation, and who decided what."),
        ))

        register_tile(Tile(
            perm=Perm.ADMINISTER, url_name="admin:index", order=900,
            title=_("Administration"), text=_("Users, organisations, memberships and administrative units."),
        ))
