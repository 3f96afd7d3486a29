"""Access-matrix rows for case lists and the case lifecycle (casework/views/cases.py)."""

from __future__ import annotations

from accounts.models import Role
from tests.access import OK, REDIRECT, Row, only
from tests.casework.builders import case_a, case_b

CASE_WORKERS = {Role.VOLUNTEER, Role.LEAD}


def _case_a(c, m):  # type: ignore[no-untyped-def]
    return {"pk": case_a(c).pk}


def _case_b(c, m):  # type: ignore[no-untyped-def]
    return {"pk": case_b(c).pk}


ROWS = [
    Row("casework:case-list", only(CASE_WORKERS)),
    Row("casework:supervision-list", only({Role.UNION_SUPERVISOR})),
    Row("casework:case-detail", only(CASE_WORKERS), kwargs=_case_a, foreign=_case_b),
    Row("casework:case-close", only({Role.LEAD}), kwargs=_case_a, foreign=_case_b),
    # Reopening an open case is refused with a message, and answers with the case page all the same.
    Row("casework:case-reopen", only({Role.LEAD}, status=REDIRECT), method="post",
        kwargs=_case_a, foreign=_case_b),
    Row("casework:case-assign", only({Role.LEAD}), kwargs=_case_a, foreign=_case_b),
    # Case A is an adult's: there is no child support plan to mark, so the page answers with the message.
    Row("casework:support-plan-done", only(CASE_WORKERS, status=OK), method="post",
        kwargs=_case_a, foreign=_case_b, data={"on": "2025-01-01"}),
]
