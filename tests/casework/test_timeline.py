"""The case timeline as a selector: history compared with simple-history's diff, change reasons from
the enum the services write, and nothing shown from the encrypted history."""

import pytest
from django.utils import translation

from casework import services
from casework.models import Case, ChangeReason
from casework.timeline import case_timeline
from tests.casework.builders import CANARY_NAME, case_a
from tests.casework.test_case_list import child_case


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _titles(case: Case) -> list[str]:
    return [event.title for event in case_timeline(case, case.consents.all())]


def test_the_services_write_their_change_reasons_from_the_enum(cast):
    a = case_a(cast)
    services.case_close(case=a, by=cast.lead_a, reason=Case.ClosureReason.MOVED)
    services.case_reopen(case=a, by=cast.lead_a)
    reasons = list(a.history.order_by("-history_date", "-history_id")
                   .values_list("history_change_reason", flat=True)[:2])
    assert reasons == [ChangeReason.REOPENED, ChangeReason.CLOSED]
    assert set(a.history.values_list("history_change_reason", flat=True)) <= set(ChangeReason.values)


def test_the_timeline_reads_status_and_support_plan_changes_from_the_history(cast):
    child = child_case(cast.volunteer_a, days_ago=3)
    services.support_plan_mark_done(case=child, by=cast.volunteer_a)
    services.case_close(case=child, by=cast.lead_a, reason=Case.ClosureReason.SAFE)
    services.case_assign(case=child, by=cast.lead_a, volunteers=[cast.lead_a])
    titles = _titles(child)
    for title in ("Case opened", "Child support plan made", "Case closed", "Volunteers reassigned"):
        assert titles.count(title) == 1, title
    assert "Case reopened" not in titles


def test_the_timeline_shows_who_changed_her_details_but_not_what(cast):
    a = case_a(cast)
    services.survivor_update(survivor=a.survivor, by=cast.volunteer_a, version=None,
                             full_name=f"{CANARY_NAME} Mới")
    events = case_timeline(a, a.consents.all())
    assert [(e.title, e.detail) for e in events if e.kind == "record"] == [("Survivor's details updated", "")]
    assert not any(CANARY_NAME in f"{e.title} {e.detail}" for e in events)
