"""DHIS2: a report as a ``dataValueSets`` payload, and an optional push to a configured server.

Codes (``idScheme=CODE``), by default derived from the report itself:

* data element: ``P8_<table code>`` for tables by area, ``P8_<table code>_<MEASURE>`` for tables of
  measures (``P8_RF_OUT_SENT``);
* category option combo: the row key in capitals (``GBV_RAPE``, ``SEX_FEMALE``); the "all" row is sent
  without one, i.e. under DHIS2's default combination;
* org unit: the unit's official code.

``DHIS2_MAPPING_FILE`` (JSON) overrides any of them::

    {"dataSet": "P8_QUARTERLY",
     "dataElements": {"SV_GBV": "P8_SURVIVORS_GBV", "RF_OUT.sent": "P8_REFERRALS_SENT"},
     "categoryOptionCombos": {"gbv:rape": "RAPE", "all": null},
     "orgUnits": {"p62": "KONTUM"},
     "skip": ["SV_PERIOD", "TA_PERIOD"]}

A ``null`` combination drops that row; tables in ``skip`` are not sent. Hidden figures ("<k", "×") are
never sent: DHIS2 gets only what the dashboard shows as a number. A phase has no DHIS2 period type, so
phases cannot be sent.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from indicators.report import Report

DEFAULT_SKIP = frozenset({"SV_PERIOD", "TA_PERIOD"})


class Dhis2Error(Exception):
    """The export or push cannot be done; the message is for the user (no password, no payload)."""


@dataclass(frozen=True)
class Mapping:
    data_set: str = ""
    data_elements: dict[str, str] = field(default_factory=dict)
    combos: dict[str, str | None] = field(default_factory=dict)
    org_units: dict[str, str] = field(default_factory=dict)
    skip: frozenset[str] = DEFAULT_SKIP

    def data_element(self, table_code: str, measure: str | None = None) -> str:
        key = f"{table_code}.{measure}" if measure else table_code
        default = f"P8_{table_code}" + (f"_{measure.upper()}" if measure else "")
        return self.data_elements.get(key, default)

    def combo(self, row_key: str) -> str | None:
        if row_key in self.combos:
            return self.combos[row_key]
        return (
            None
            if row_key == "all"
            else row_key.replace(":", "_").replace("-", "_").replace("+", "PLUS").upper()
        )

    def org_unit(self, area_key: str) -> str:
        return self.org_units.get(area_key, area_key[1:])


@lru_cache(maxsize=4)
def _load(path: str) -> Mapping:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"DHIS2_MAPPING_FILE {path!r} cannot be read as JSON: {exc}") from None
    return Mapping(
        data_set=str(raw.get("dataSet", "")),
        data_elements={str(k): str(v) for k, v in raw.get("dataElements", {}).items()},
        combos={
            str(k): (None if v is None else str(v)) for k, v in raw.get("categoryOptionCombos", {}).items()
        },
        org_units={str(k): str(v) for k, v in raw.get("orgUnits", {}).items()},
        skip=frozenset(raw.get("skip", DEFAULT_SKIP)),
    )


def mapping() -> Mapping:
    path = getattr(settings, "DHIS2_MAPPING_FILE", "")
    return _load(path) if path else Mapping()


def payload(report: Report, codes: Mapping | None = None) -> dict[str, Any]:
    """The ``dataValueSets`` JSON for a report: shown figures only."""
    codes = codes or mapping()
    period = report.period.dhis2
    if period is None:
        raise Dhis2Error(
            _("DHIS2 has no period for a whole programme phase: choose a year, quarter or month.")
        )
    values: list[dict[str, str]] = []
    for table in report.tables():
        if table.code in codes.skip:
            continue
        for row in table.rows:
            combo = codes.combo(row.key)
            if row.key in codes.combos and combo is None and row.key != "all":
                continue
            for column in table.columns:
                cell_id = table.cell(row.key, column.key)
                if cell_id is None:
                    continue
                figure = report.figure(cell_id)
                if figure.value is None:
                    continue  # hidden: never sent
                by_area = bool(column.area_key)
                if cell_id[0] != table.code:
                    # A cell of another table shown here too: the shared "all" row of a population goes
                    # once, as that population's total; other borrowed cells are sent by their own table.
                    if not row.is_total:
                        continue
                    element, row_combo = codes.data_element(cell_id[0]), None
                else:
                    element = codes.data_element(table.code, None if by_area else column.key)
                    row_combo = combo
                value: dict[str, str] = {
                    "dataElement": element,
                    "period": period,
                    "orgUnit": codes.org_unit(column.area_key if by_area else report.area_key),
                    "value": _number(figure.value),
                }
                if row_combo:
                    value["categoryOptionCombo"] = row_combo
                values.append(value)
    result: dict[str, Any] = {
        "period": period,
        "orgUnit": codes.org_unit(report.area_key),
        "dataValues": values,
    }
    if codes.data_set:
        result["dataSet"] = codes.data_set
    # The day the figures were published (a released period's figures are final).
    result["completeDate"] = (report.released_at or report.generated_at).date().isoformat()
    return _unique(result)


def payload_json(report: Report, codes: Mapping | None = None) -> bytes:
    return json.dumps(payload(report, codes), ensure_ascii=False, indent=2).encode()


def _unique(result: dict[str, Any]) -> dict[str, Any]:
    """The "all" row is shared by several tables: send each (element, combo, unit) once."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for value in result["dataValues"]:
        key = (value["dataElement"], value.get("categoryOptionCombo", ""), value["orgUnit"])
        if key not in seen:
            seen.add(key)
            kept.append(value)
    result["dataValues"] = kept
    return result


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


# --- Push -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    dry_run: bool
    status: str
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("SUCCESS", "OK", "WARNING") and not self.conflicts


def configured() -> bool:
    return bool(getattr(settings, "DHIS2_URL", ""))


def push(data: dict[str, Any], *, dry_run: bool) -> ImportSummary:
    """POST the payload to ``DHIS2_URL``/api/dataValueSets, as a dry run or for real."""
    if not configured():
        raise Dhis2Error(_("No DHIS2 server is configured (DHIS2_URL)."))
    query = "dryRun=true&" if dry_run else ""
    url = f"{settings.DHIS2_URL}/api/dataValueSets?{query}idScheme=CODE&importStrategy=CREATE_AND_UPDATE"
    credentials = base64.b64encode(f"{settings.DHIS2_USERNAME}:{settings.DHIS2_PASSWORD}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured https server
        url,
        data=json.dumps(data).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Basic {credentials}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.DHIS2_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        # DHIS2 answers 409 with an import summary when it refuses values; other codes carry no summary.
        try:
            body = json.loads(exc.read().decode() or "{}")
        except ValueError:
            body = {}
        if not body:
            raise Dhis2Error(
                _("DHIS2 refused the request (HTTP %(code)s). Check the address, user name and password.")
                % {"code": exc.code}
            ) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        raise Dhis2Error(_("DHIS2 could not be reached. Try again later.")) from None
    return summary(body, dry_run=dry_run)


def summary(body: dict[str, Any], *, dry_run: bool) -> ImportSummary:
    """Read an import summary (DHIS2 2.38+ wraps it in ``response``; older versions do not)."""
    response = body.get("response")
    inner: dict[str, Any] = response if isinstance(response, dict) else body
    counts = inner.get("importCount") or {}
    conflicts = tuple(
        str(c.get("value") or c.get("object") or c)
        for c in (inner.get("conflicts") or [])
        if isinstance(c, dict)
    )
    return ImportSummary(
        dry_run=dry_run,
        status=str(inner.get("status") or body.get("status") or "ERROR"),
        imported=int(counts.get("imported") or 0),
        updated=int(counts.get("updated") or 0),
        ignored=int(counts.get("ignored") or 0),
        deleted=int(counts.get("deleted") or 0),
        conflicts=conflicts[:50],
    )
