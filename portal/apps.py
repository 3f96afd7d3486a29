from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top layer: what spans every app — the demo and the home page — so the confidential apps
    below it carry no demo code and no registry hides the wiring. Nothing imports portal."""

    name = "portal"
