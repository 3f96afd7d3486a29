"""Extra sections of the case page contributed by other apps (referrals), without casework importing them.

An app registers a panel from its ``AppConfig.ready()``; ``case_detail`` renders every panel whose
``context`` returns a dict (``None`` hides the panel for this membership).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.models import Membership
from casework.models import Case


@dataclass(frozen=True)
class CasePanel:
    template_name: str
    context: Callable[[Case, Membership], dict[str, Any] | None]
    order: int = 100


_PANELS: list[CasePanel] = []


def register_case_panel(panel: CasePanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def render_case_panels(case: Case, membership: Membership) -> list[SafeString]:
    """Panels render without the request (no context processors run twice); they hold links, not forms."""
    rendered = []
    for panel in sorted(_PANELS, key=lambda p: p.order):
        context = panel.context(case, membership)
        if context is not None:
            rendered.append(render_to_string(panel.template_name, {"case": case, **context}))
    return rendered
