"""Access-matrix rows for the indicators app: the analyst and the union supervisor only, and no row
addresses an object — the reports take an area and a period, never a case or a trusted address."""

from accounts.models import Role
from tests.access import Row, only

READERS = {Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR}

ROWS = [
    Row("indicators:dashboard", only(READERS)),
    Row("indicators:download-csv", only(READERS)),
    Row("indicators:download-xlsx", only(READERS)),
    Row("indicators:download-pdf", only(READERS)),
    Row("indicators:download-dhis2", only(READERS)),
    # No DHIS2 server is configured in the tests: the push is refused with a clear message (409).
    Row("indicators:dhis2-push", only(READERS, status=409), method="post", data={"mode": "dry_run"}),
]
