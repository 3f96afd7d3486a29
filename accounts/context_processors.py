from django.conf import settings
from django.http import HttpRequest


def membership(request: HttpRequest) -> dict[str, object]:
    return {"membership": getattr(request, "membership", None)}


def idle_timeout(request: HttpRequest) -> dict[str, object]:
    """What the page script needs to warn before the idle time-out (templates/base.html)."""
    return {
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
        "session_warning_minutes": max(1, settings.SESSION_WARNING_SECONDS // 60),
        "session_kept_minutes": max(1, settings.SESSION_KEPT_WORK_SECONDS // 60),
    }
