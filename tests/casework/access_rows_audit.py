"""Access-matrix rows for the audit pages and the printed summary (casework/views/audit.py).

The access log and "who saw my file" are the lead's (volunteers are refused up front); the summary PDF is
for anyone who may see the case. A case of another trusted address answers 404.
"""

from __future__ import annotations

from accounts.models import Role
from tests.access import Row, only
from tests.casework.builders import case_a, case_b


def _case_a(c, m):  # type: ignore[no-untyped-def]
    return {"pk": case_a(c).pk}


def _case_b(c, m):  # type: ignore[no-untyped-def]
    return {"pk": case_b(c).pk}


ROWS = [
    Row("casework:access-log", only({Role.LEAD}), kwargs=_case_a, foreign=_case_b),
    Row("casework:survivor-access", only({Role.LEAD}), kwargs=_case_a, foreign=_case_b),
    Row("casework:case-summary-pdf", only({Role.VOLUNTEER, Role.LEAD}), kwargs=_case_a, foreign=_case_b),
]
