import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.access import Perm, can
from casework.models import Case, Survivor
from tests.casework.builders import CANARY_NAME, case_a, case_b


def test_case_of_address_a_is_visible_to_its_members_only(cast):
    a, b = case_a(cast), case_b(cast)
    assert set(Case.objects.visible_to(cast.volunteer_a)) == {a}
    assert set(Case.objects.visible_to(cast.lead_a)) == {a}
    assert set(Case.objects.visible_to(cast.volunteer_b)) == {b}
    for outsider in (cast.police_officer, cast.supervisor, cast.analyst, cast.sysadmin):
        assert not Case.objects.visible_to(outsider).exists()


def test_only_the_lead_may_close(cast):
    a = case_a(cast)
    assert can(cast.lead_a, Perm.CASE_CLOSE, a)
    assert not can(cast.volunteer_a, Perm.CASE_CLOSE, a)
    assert not can(cast.lead_b, Perm.CASE_CLOSE, a)


def test_survivor_name_is_stored_encrypted(cast):
    case_a(cast)
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM casework_survivor")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(CANARY_NAME not in value for value in stored)
    assert Survivor.objects.get(pk=case_a(cast).survivor_id).full_name == CANARY_NAME


def test_supervisor_lists_cases_of_her_area(cast):
    a, b = case_a(cast), case_b(cast)
    assert set(Case.objects.supervised_by(cast.supervisor)) == {a, b}
    assert not Case.objects.supervised_by(cast.volunteer_a).exists()


def test_closing_needs_a_reason(cast):
    from casework import services

    a = case_a(cast)
    with pytest.raises(ValidationError):
        services.case_close(case=a, by=cast.lead_a, reason="")
    closed = services.case_close(case=a, by=cast.lead_a, reason="safe", on=a.opened_on + dt.timedelta(days=1))
    assert closed.status == Case.Status.CLOSED
