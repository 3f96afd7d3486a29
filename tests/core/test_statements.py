"""core/statements.py: a values() query compiled once per connection gives, for any value bound in its
placeholder's place, the rows the queryset itself gives — converted as values() converts them.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…).
"""

from __future__ import annotations

import uuid

import pytest
from django.db.models import Count, Min
from django.db.models.functions import TruncMonth

from casework.models import Case
from core.statements import bound_values
from tests.casework.builders import case_a, case_b

NOBODY = uuid.UUID(int=0)


def _of_case(case_id):
    # A date truncation (a converter on SQLite, a time-zone parameter on PostgreSQL), a count and a
    # minimum, grouped: the shape of the statistics' queries.
    return (
        Case.objects.filter(pk=case_id)
        .annotate(month=TruncMonth("opened_on"))
        .values("month", "trusted_address")
        .annotate(cases=Count("pk"), first=Min("opened_on"))
        .order_by()
    )


def test_each_value_gets_the_rows_its_own_queryset_gets(cast):
    cases = [case_a(cast), case_b(cast)]
    built = []

    def build(value):
        built.append(value)
        return _of_case(value)

    for case in cases * 2:
        got = list(bound_values(("test", "of case"), build, case.pk, field=Case._meta.pk, placeholder=NOBODY))
        assert got == list(_of_case(case.pk)) and len(got) == 1
    assert list(bound_values(("test", "of case"), build, uuid.uuid4(), field=Case._meta.pk, placeholder=NOBODY)) == []
    assert built == [NOBODY]  # built and compiled once; every other run only binds her id


def test_a_query_that_does_not_use_the_value_is_refused(cast):
    with pytest.raises(ValueError, match="does not use"):
        list(bound_values(("test", "ignores"), lambda value: Case.objects.values("pk"), case_a(cast).pk,
                          field=Case._meta.pk, placeholder=NOBODY))
