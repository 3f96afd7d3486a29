"""The confidential boundary: indicators reads only analytic categories and counts.

One module (indicators/aggregates.py) touches the casework and referrals models; the SQL of a whole
dashboard build never names an encrypted column or the survivor code, every query over case data is an
aggregate, and reads only the columns listed in ``aggregates.READABLE`` (each of which a refresh reads)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.fields import encrypted_fields
from casework.models import Case
from indicators import aggregates, dhis2, exports, periods, services
from indicators.report import build_report
from indicators.services import snapshot_refresh
from tests.casework.builders import case_a
from tests.conftest import signed_in
from tests.indicators.builders import release, three_rapes
from tests.indicators.sql_reads import columns_read
from tests.referrals.builders import referral_a

INDICATORS = Path(aggregates.__file__).parent
# A signed-in page's header counts the member's unread notifications (referrals' context processor):
# a query of the page, not of the statistics, so READABLE does not cover it.
PAGE_HEADER_TABLES = {"referrals_notification"}
# What is not data: the events casework announces (a consent withdrawn). (The PDF renderer is core's.)
ALLOWED_OUTSIDE_IMPORTS = {"casework.signals"}


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs: not those imported for type checking only."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_only_the_aggregates_module_imports_casework_or_referrals():
    offenders = {}
    for path in INDICATORS.rglob("*.py"):
        if path.name == "aggregates.py" or "migrations" in path.parts:
            continue
        bad = {
            m for m in _imports(path) if m.split(".")[0] in ("casework", "referrals")
        } - ALLOWED_OUTSIDE_IMPORTS
        if bad:
            offenders[str(path.relative_to(INDICATORS))] = bad
    assert offenders == {}
    assert {m.split(".")[0] for m in _imports(INDICATORS / "aggregates.py")} >= {"casework", "referrals"}


def encrypted_columns() -> dict[str, set[str]]:
    """Encrypted column names per table, over every installed model."""
    found: dict[str, set[str]] = {}
    for model in apps.get_models():
        names = {field.column for field in encrypted_fields(model)}
        if names:
            found[model._meta.db_table] = names
    return found


def readable_columns() -> set[tuple[str, str]]:
    """aggregates.READABLE as the SQL names it: (table, column)."""
    found = set()
    for label, names in aggregates.READABLE.items():
        meta = apps.get_model(label)._meta
        found |= {(meta.db_table, meta.get_field(name).column) for name in names}
    return found


def test_the_readable_columns_hold_nothing_encrypted_and_no_survivor_code():
    encrypted = {field.name for model in apps.get_models() for field in encrypted_fields(model)}
    for label, names in aggregates.READABLE.items():
        assert not names & encrypted, label
    assert "code" not in aggregates.READABLE["casework.Survivor"]


def test_a_statistics_query_reading_a_column_not_in_readable_is_refused():
    # Case.status is no statistic's business: a figure that starts reading it must list it first.
    sql = str(Case.objects.values("status").annotate(n=Count("pk")).order_by().query)
    with pytest.raises(AssertionError, match="not in aggregates.READABLE"):
        assert_reads_only_readable([sql])
    listed = str(Case.objects.values("age_band").annotate(n=Count("pk")).order_by().query)
    assert assert_reads_only_readable([listed]) == {("casework_case", "age_band"), ("casework_case", "id")}


def test_a_full_dashboard_build_never_reads_an_encrypted_column_or_the_survivor_code(cast):
    three_rapes(cast)
    referral_a(cast)  # a referral with an encrypted reason and snapshot
    columns = encrypted_columns()
    assert "full_name" in columns["casework_survivor"] and "narrative" in columns["casework_incident"]
    names = {name for table in columns.values() for name in table}
    period = periods.current_year()
    release()

    with CaptureQueriesContext(connection) as captured:
        for area in (cast.province, cast.district, cast.commune1):
            report = build_report(area, period)
            exports.to_csv(report)
            exports.to_xlsx(report)
            dhis2.payload(report)
        response = signed_in(cast.analyst).get(reverse("indicators:dashboard"), {"period": period.code})
        assert response.status_code == 200
    assert_only_counted(captured, names, more_than=40)


def test_the_statistics_snapshot_refresh_never_reads_an_encrypted_column_or_the_survivor_code(cast):
    three_rapes(cast)
    referral_a(cast)
    names = {name for table in encrypted_columns().values() for name in table}
    with CaptureQueriesContext(connection) as captured:
        snapshot_refresh()
    read = assert_only_counted(captured, names, more_than=40)
    # READABLE is exact: a refresh counts every figure, so a column it never reads is not needed.
    assert readable_columns() - read == set(), "listed in aggregates.READABLE but never read"


def test_taking_a_withdrawn_survivor_out_of_the_snapshot_only_counts_her_rows(cast):
    three_rapes(cast)
    case = case_a(cast)
    referral_a(cast)
    names = {name for table in encrypted_columns().values() for name in table}
    with CaptureQueriesContext(connection) as captured:
        hers = services._count(person=case.pk)
    assert_only_counted(captured, names, more_than=40)
    # Her rows and nobody else's: one person in every cell she is in.
    assert hers and all(
        measures.get("persons", 0) <= 1
        for sections in hers.values() for rows in sections.values() for measures in rows.values()
    )
    assert all(sql.count('"casework_survivor"') for sql in (q["sql"] for q in captured.captured_queries)
               if re.search(r'"(casework|referrals)_', sql))


def assert_only_counted(
    captured: CaptureQueriesContext, names: set[str], *, more_than: int
) -> set[tuple[str, str]]:
    """Check every captured query over case data; return the (table, column) pairs they read."""
    queries = [q["sql"] for q in captured.captured_queries]
    touching = [sql for sql in queries if re.search(r'"(casework|referrals)_', sql)]
    assert len(touching) > more_than

    for sql in touching:
        for name in names:
            assert f'"{name}"' not in sql, (name, sql)
        if '"casework_survivor"' in sql:
            assert '"code"' not in sql, sql
        # Case data is only ever counted, summed or tested for existence — never listed.
        assert re.search(r"\b(COUNT|SUM|MEDIAN|percentile_cont)\s*\(", sql), sql
    return assert_reads_only_readable(touching)


def assert_reads_only_readable(queries: list[str]) -> set[tuple[str, str]]:
    """Every column these queries read, of any table, is in aggregates.READABLE."""
    readable = readable_columns()
    read: set[tuple[str, str]] = set()
    for sql in queries:
        columns = columns_read(sql)
        if {table for table, _ in columns if table.startswith(("casework_", "referrals_"))} <= PAGE_HEADER_TABLES:
            continue
        assert columns - readable == set(), ("read but not in aggregates.READABLE", sql)
        read |= columns
    return read
