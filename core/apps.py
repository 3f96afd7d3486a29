from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared code below the apps. Listed first in INSTALLED_APPS so its lookups are in place before
    any other app runs a query."""

    name = "core"

    def ready(self) -> None:
        # Registers the range-aware integer lookups (core/lookups.py) on Django's field classes.
        from core import lookups  # noqa: F401
