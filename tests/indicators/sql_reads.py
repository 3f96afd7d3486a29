"""Which table columns a captured SQL statement reads, with Django's table aliases resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A string literal (skipped: parameters are interpolated into captured SQL), a table given an alias
# ("casework_case" U0), a qualified column ("casework_case"."id" or U0."id"), or a parenthesis.
_TOKEN = re.compile(
    r"""'(?:[^']|'')*'"""
    r"""|"(?P<table>\w+)"\s+(?:AS\s+)?(?P<alias>[A-Z]\d+)\b"""
    r"""|(?P<qualifier>"\w+"|\b\w+)\."(?P<column>\w+)\""""
    r"""|(?P<paren>[()])"""
)
# Aliases of derived tables (FROM (SELECT ...) subquery): their columns are read by the inner SELECT.
DERIVED = {"subquery"}


@dataclass
class _Scope:
    parent: _Scope | None
    aliases: dict[str, str] = field(default_factory=dict)

    def table_of(self, alias: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            if alias in scope.aliases:
                return scope.aliases[alias]
            scope = scope.parent
        return None


def columns_read(sql: str) -> set[tuple[str, str]]:
    """Every (table, column) the statement names. Aliases are resolved in the innermost parenthesis
    that defines them, since sibling subqueries reuse the same alias (U0) for different tables, and
    a SELECT list names its aliases before its FROM defines them."""
    scope = _Scope(parent=None)
    refs: list[tuple[_Scope, str, str]] = []
    for token in _TOKEN.finditer(sql):
        if token["paren"] == "(":
            scope = _Scope(parent=scope)
        elif token["paren"] == ")":
            assert scope.parent is not None, f"unbalanced parentheses: {sql}"
            scope = scope.parent
        elif token["alias"]:
            scope.aliases[token["alias"]] = token["table"]
        elif token["qualifier"]:
            refs.append((scope, token["qualifier"], token["column"]))
    found = set()
    for where, qualifier, column in refs:
        if qualifier.startswith('"'):
            found.add((qualifier.strip('"'), column))
        elif (table := where.table_of(qualifier)) is not None:
            found.add((table, column))
        else:
            assert qualifier in DERIVED, f"unknown table alias {qualifier!r} in: {sql}"
    return found
