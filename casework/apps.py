from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from accounts.access import Perm
        from accounts.navigation import Tile, register_tile

        register_tile(Tile(perm=Perm.CASE_ADD, url_name="casework:intake-start", order=10,
                           title=_("New case"), text=_("Take in a survivor, step by step.")))
        register_tile(Tile(perm=Perm.CASE_VIEW, url_name="casework:case-list", order=20,
                           title=_("Cases"), text=_("Find a case, see open tasks and overdue plans.")))
        register_tile(Tile(perm=Perm.CASE_VIEW_DEIDENTIFIED, url_name="casework:supervision-list", order=30,
                           title=_("Supervision"),
                           text=_("De-identified case lists of the trusted addresses you supervise.")))
