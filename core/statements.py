"""A ``values()`` query compiled once per database connection and run again for another value of one
parameter.

Django compiles a queryset to SQL each time it runs, and for the wide GROUP BY queries of the
statistics (dozens of filtered aggregates each) compiling costs ten times more than running: taking
one survivor out of the statistics snapshot runs some forty of them for her alone, twice, inside the
volunteer's request. Their SQL differs only in her case's id. So the query is built once with a
placeholder in that parameter's place, compiled, and kept with its compiler; a later run binds the real
value and hands the fetched rows to the same compiler, which converts them as ``values()`` would.

Kept on the connection object (Django gives each thread its own, and the compiler refers to it, so the
two live and go together), and per active time zone, which the SQL of a date truncation carries as a
parameter. Nothing identifying is kept: the SQL and its parameters are
the same for every survivor.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

# The attribute of a connection object that holds its compiled statements.
STATEMENTS = "bound_statements"


def bound_values(
    key: Hashable,
    build: Callable[[Any], models.QuerySet[Any]],
    value: Any,
    *,
    field: models.Field[Any, Any],
    placeholder: Any,
    using: str = DEFAULT_DB_ALIAS,
) -> Iterator[dict[str, Any]]:
    """The rows of ``build(value)`` — a ``values()`` queryset — as dicts, from the database ``using``.

    ``build`` is called once per connection and ``key`` (which must name the query ``build`` makes) with
    ``placeholder``, a value of ``field`` that no row holds; later calls with the same key only run the
    kept SQL, with ``value`` prepared for ``field`` wherever the placeholder was."""
    connection = connections[using]
    statements: dict[Hashable, tuple[Any, str, tuple[Any, ...], list[int], list[str]]]
    statements = connection.__dict__.setdefault(STATEMENTS, {})
    full_key = (key, timezone.get_current_timezone_name())
    if full_key not in statements:
        query = build(placeholder).query
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        marker = field.get_db_prep_value(placeholder, connection)
        slots = [n for n, param in enumerate(params) if type(param) is type(marker) and param == marker]
        if not slots:
            raise ValueError(f"the query {key!r} does not use the value it is built with")
        # As ValuesIterable names the columns (values() keeps the order it was given).
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select
        ]
        statements[full_key] = (compiler, sql, tuple(params), slots, names)
    compiler, sql, params, slots, names = statements[full_key]
    bound = list(params)
    for slot in slots:
        bound[slot] = field.get_db_prep_value(value, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        fetched = cursor.fetchall()
    for row in compiler.results_iter(results=[fetched]):
        yield dict(zip(names, row, strict=True))
