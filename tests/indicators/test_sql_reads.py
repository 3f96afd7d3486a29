"""The SQL reader behind the READABLE check: it must see every column, aliased or not."""

from __future__ import annotations

import pytest

from tests.indicators.sql_reads import columns_read


def test_aliases_are_resolved_in_their_own_subquery_even_when_siblings_reuse_them():
    sql = (
        'SELECT COUNT(DISTINCT "casework_case"."survivor_id") FROM "casework_case" '
        'WHERE (EXISTS(SELECT 1 AS "a" FROM "casework_consent" U0 WHERE U0."case_id" = ("casework_case"."id")) '
        'AND NOT EXISTS(SELECT 1 AS "a" FROM "referrals_referral" U0 WHERE U0."status" IN (\'sent\')))'
    )
    assert columns_read(sql) == {
        ("casework_case", "survivor_id"), ("casework_case", "id"),
        ("casework_consent", "case_id"), ("referrals_referral", "status"),
    }


def test_a_select_list_may_name_an_alias_before_its_from_defines_it():
    sql = (
        'SELECT (SELECT MAX(V0."opened_on") FROM "casework_case" V0 '
        'INNER JOIN "casework_survivor" V1 ON (V0."survivor_id" = V1."id")) AS "last"'
    )
    assert columns_read(sql) == {
        ("casework_case", "opened_on"), ("casework_case", "survivor_id"), ("casework_survivor", "id"),
    }


def test_string_literals_are_not_read_as_columns():
    sql = 'SELECT COUNT(*) FROM "casework_case" WHERE "casework_case"."age_band" = \'a ( "x"."y" \'\'b\''
    assert columns_read(sql) == {("casework_case", "age_band")}


def test_an_alias_it_cannot_resolve_fails_loudly():
    with pytest.raises(AssertionError, match="unknown table alias"):
        columns_read('SELECT T9."full_name" FROM "casework_survivor"')
