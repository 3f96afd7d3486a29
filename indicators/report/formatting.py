"""A figure as text, in the active language's number format."""

from __future__ import annotations

from django.utils import formats

from indicators.catalogue import Unit


def format_value(value: int | float | None, unit: Unit) -> str:
    if value is None:
        return "–"
    if unit is Unit.PERCENT:
        return f"{formats.number_format(value, 0)}%"
    if unit is Unit.HOURS:
        return formats.number_format(value, 1, force_grouping=True)
    return formats.number_format(int(value), 0, force_grouping=True)

