import re
from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class ConfidentialExceptionReporterFilter(SafeExceptionReporterFilter):
    """Mask every POST value and every local variable in error reports.

    Any field of a case form may hold identifying data, so a name-based list of "sensitive" fields
    (Django's default) is not enough.
    """

    # Django's list, plus connection URLs: DATABASE_URL carries the database password in clear.
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|DSN", flags=re.IGNORECASE
    )

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: FrameType) -> Any:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
