"""``python manage.py indicators_report --period 2025``: write the period's report files.

For each area (every province by default, or those given with ``--area``, and with ``--children`` every
district and commune in them) it writes the same files a member downloads from the dashboard — PDF,
XLSX, CSV and DHIS2 JSON — read from the period's release and suppressed in the same way, in
Vietnamese. Only a released period can be written (see ``indicators_refresh``). Reads only; ``--dry-run``
lists the files without writing them.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from accounts.models import AdminUnit
from indicators import areas, dhis2, exports, periods
from indicators.models import REPORTING_LEVELS, Release
from indicators.report import Report, build_report

FORMATS: dict[str, Callable[[Report], bytes]] = {
    "pdf": exports.to_pdf,
    "xlsx": exports.to_xlsx,
    "csv": exports.to_csv,
    "dhis2": lambda report: dhis2.payload_json(report),
}
SUFFIX = {"pdf": "pdf", "xlsx": "xlsx", "csv": "csv", "dhis2": "dhis2.json"}


class Command(BaseCommand):
    help = (
        "Write the Project 8 indicator report files (PDF, XLSX, CSV, DHIS2 JSON) of one period for every "
        "province, or the areas given, protected by the same rule as the dashboard. Example: "
        "indicators_report --period 2025-Q3 --area p62 --children"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--period",
            required=True,
            help="2025 (year), 2025-Q3 (quarter), 2025-07 (month) or phase1 (2021–2025).",
        )
        parser.add_argument(
            "--area",
            action="append",
            default=[],
            metavar="KEY",
            help="An area key such as p62 (province), d613 (district) or c23479 (commune). "
            "Repeat for several. Default: every province.",
        )
        parser.add_argument(
            "--children", action="store_true", help="Also every district and commune inside the areas."
        )
        parser.add_argument(
            "--format",
            dest="formats",
            default="pdf,xlsx,csv,dhis2",
            help="Comma-separated: pdf, xlsx, csv, dhis2 (default: all four).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Directory for the files (default: var/reports/<period>/).",
        )
        parser.add_argument("--dry-run", action="store_true", help="List the files without writing them.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = periods.parse(options["period"])
        except periods.InvalidPeriod as exc:
            raise CommandError(str(exc)) from None
        release = Release.objects.filter(period=period.code).first()
        if release is None:
            raise CommandError(
                f"The figures of {period.code} are not released: a period is released by indicators_refresh "
                f"once it has ended and INDICATORS_RELEASE_LAG_DAYS have passed (after "
                f"{period.published_after():%d/%m/%Y})."
            )
        formats = [name.strip() for name in options["formats"].split(",") if name.strip()]
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown or not formats:
            raise CommandError(
                f"Unknown format(s): {', '.join(unknown) or '(none)'}. Choose from {', '.join(FORMATS)}."
            )
        if "dhis2" in formats and period.dhis2 is None:
            self.stderr.write(
                self.style.WARNING("DHIS2 has no period for a phase: no DHIS2 file is written.")
            )
            formats.remove("dhis2")
        units = self._units(options["area"], children=options["children"])
        output: Path = options["output"] or Path(settings.VAR_DIR) / "reports" / period.code
        dry_run = options["dry_run"]
        if not dry_run:
            output.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        written = 0
        cache: dict[Any, Report] = {}  # reports of enclosing areas, built once for the run
        self.stdout.write(
            f"Figures of {period.code} released on {timezone.localtime(release.released_at):%d/%m/%Y %H:%M}."
        )
        for number, unit in enumerate(units, start=1):
            key = areas.key_of(unit)
            self.stdout.write(f"[{number}/{len(units)}] {unit.name} ({key}) · {period.code}: ", ending="")
            self.stdout.flush()
            begun = time.perf_counter()
            # The files are the union's periodic reports: in Vietnamese.
            with translation.override("vi"):
                report: Report | None = None if dry_run else build_report(
                    unit, period, cache=cache, release=release
                )
                for name in formats:
                    path = output / f"chi-so-du-an-8-{key}-{period.code}.{SUFFIX[name]}"
                    if report is not None:
                        path.write_bytes(FORMATS[name](report))
                        written += 1
                    self.stdout.write(f"{path.name} ", ending="")
            self.stdout.write(f"({time.perf_counter() - begun:.1f} s)")
        verb = "Would write" if dry_run else "Wrote"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(units) * len(formats) if dry_run else written} files for {len(units)} areas in "
                f"{output} ({time.perf_counter() - started:.1f} s)."
            )
        )

    def _units(self, keys: list[str], *, children: bool) -> list[AdminUnit]:
        if keys:
            units = []
            for key in keys:
                unit = _unit_for(key)
                if unit is None:
                    raise CommandError(f"Unknown area {key!r}: use a key such as p62, d613 or c23479.")
                units.append(unit)
        else:
            units = list(AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE).order_by("path"))
        if children:
            below = AdminUnit.objects.none()
            for unit in units:
                below |= AdminUnit.objects.within(unit).filter(level__in=REPORTING_LEVELS).exclude(pk=unit.pk)
            units += [u for u in below.order_by("path") if u not in units]
        return units


def _unit_for(key: str) -> AdminUnit | None:
    levels = {"p": AdminUnit.Level.PROVINCE, "d": AdminUnit.Level.DISTRICT, "c": AdminUnit.Level.COMMUNE}
    if len(key) < 2 or key[0] not in levels:
        return None
    return AdminUnit.objects.filter(level=levels[key[0]], code=key[1:]).first()
