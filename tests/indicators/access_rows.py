"""Access-matrix rows for the indicators app: the analyst and the union supervisor only, and no row
addresses an object — the reports take an area and a period, never a case or a trusted address."""

from accounts.models import Membership, Role
from tests.access import Row, only
from tests.casework.builders import _cached
from tests.conftest import Cast
from tests.indicators.builders import release


def released(cast: Cast, membership: Membership | None) -> dict[str, object]:
    """No URL arguments; the reports read a released period, so one is released first (once)."""
    _cached(cast, "release", release)
    return {}


READERS = {Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR}

ROWS = [
    Row("indicators:dashboard", only(READERS), kwargs=released),
    Row("indicators:download-csv", only(READERS), kwargs=released),
    Row("indicators:download-xlsx", only(READERS), kwargs=released),
    Row("indicators:download-pdf", only(READERS), kwargs=released),
    Row("indicators:download-dhis2", only(READERS), kwargs=released),
    # No DHIS2 server is configured in the tests: the push is refused with a clear message (409).
    Row("indicators:dhis2-push", only(READERS, status=409), method="post", data={"mode": "dry_run"},
        kwargs=released),
]
