"""The case timeline: a read model of everything that happened in one case, newest first.

Status changes, the child support plan and reassignments come from the case's history rows, compared
with simple-history's own ``diff_against`` and read with the change reasons the services wrote
(``ChangeReason``). The case has no encrypted column; the survivor's history is read for who and when
only (``values()``), never for what changed, so nothing encrypted is decrypted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.forms_lifecycle import member_name
from casework.models import Case, ChangeReason, Consent, SupportService

# The case fields whose changes the timeline shows (reassignment is read from the change reason: comparing
# the volunteers of every row would cost a query per row).
_DIFFED_FIELDS = ("status", "support_plan_done_on")


@dataclass(frozen=True)
class TimelineEvent:
    day: dt.date
    # When it was written down: orders events of one day, and is shown for notes and status changes.
    moment: dt.datetime
    kind: str
    title: str
    detail: str = ""
    who: str = ""
    url: str = ""
    show_time: bool = False
    # Opening the case comes before anything else recorded on the same day.
    opens_case: bool = False

    @property
    def sort_key(self) -> tuple[dt.date, bool, dt.datetime]:
        return (self.day, not self.opens_case, self.moment)


def case_timeline(case: Case, consents: Iterable[Consent]) -> list[TimelineEvent]:
    """Everything that happened in the case, newest first. ``consents`` are the case's, already read."""
    events = [
        *_case_history_events(case), *_survivor_history_events(case), *_incident_events(case),
        *_support_events(case), *_note_and_risk_events(case), *_consent_events(consents),
    ]
    return sorted(events, key=lambda e: e.sort_key, reverse=True)


# --- From the history ----------------------------------------------------------------------------


def _person(first: str | None, last: str | None, username: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or (username or "")


def _history_user(row: Any) -> str:
    user = row.history_user
    return _person(user.first_name, user.last_name, user.username) if user is not None else ""


def _case_history_events(case: Case) -> list[TimelineEvent]:
    """The opening, status changes, support-plan completion and reassignments, from the case's history."""
    rows = list(case.history.select_related("history_user").order_by("history_date", "history_id"))
    events: list[TimelineEvent] = []
    for previous, row in zip([None, *rows], rows, strict=False):
        if row.history_type == "+":
            events.append(TimelineEvent(case.opened_on, row.history_date, "lifecycle", _("Case opened"),
                                        who=_history_user(row), opens_case=True))
        elif previous is not None:
            events.extend(_case_changes(previous, row))
    return events


def _case_changes(previous: Any, row: Any) -> list[TimelineEvent]:
    changed = set(row.diff_against(previous, included_fields=_DIFFED_FIELDS).changed_fields)
    at, who, local_day = row.history_date, _history_user(row), timezone.localdate(row.history_date)
    events: list[TimelineEvent] = []
    if "status" in changed and row.status == Case.Status.CLOSED:
        reason = Case.ClosureReason(row.closure_reason).label if row.closure_reason else ""
        events.append(TimelineEvent(row.closed_on or local_day, at, "lifecycle", _("Case closed"),
                                    detail=str(reason), who=who, show_time=True))
    elif "status" in changed:
        events.append(TimelineEvent(local_day, at, "lifecycle", _("Case reopened"), who=who, show_time=True))
    if "support_plan_done_on" in changed and not previous.support_plan_done_on:
        events.append(TimelineEvent(row.support_plan_done_on, at, "lifecycle", _("Child support plan made"),
                                    who=who))
    # One reassignment writes two history rows (the volunteers, then the version): show one.
    if (row.history_change_reason == ChangeReason.REASSIGNED
            and previous.history_change_reason != ChangeReason.REASSIGNED):
        events.append(TimelineEvent(local_day, at, "lifecycle", _("Volunteers reassigned"), who=who,
                                    show_time=True))
    return events


def _survivor_history_events(case: Case) -> list[TimelineEvent]:
    """Edits of the survivor's details by members of this trusted address.

    A survivor known at two addresses shares one record; edits made elsewhere are not shown, so the page
    does not reveal that another address knows her.
    """
    rows = (
        case.survivor.history.filter(history_type="~",
                                     history_user__memberships__organisation_id=case.trusted_address_id)
        .order_by("history_date").distinct()
        .values("history_date", "history_user__username", "history_user__first_name",
                "history_user__last_name")
    )
    return [
        TimelineEvent(timezone.localdate(row["history_date"]), row["history_date"], "record",
                      _("Survivor's details updated"), show_time=True,
                      who=_person(row["history_user__first_name"], row["history_user__last_name"],
                                  row["history_user__username"]))
        for row in rows
    ]


# --- From the records ----------------------------------------------------------------------------


def _who(membership: Any) -> str:
    return member_name(membership) if membership is not None else ""


def _money(amount: int | None) -> str:
    # Grouped by thousands in the reader's convention (5.000.000 đ in Vietnamese).
    return f"{amount or 0:,} đ".replace(",", str(formats.get_format("THOUSAND_SEPARATOR")))


def _edit_url(case: Case, name: str, record: Any) -> str:
    return reverse(f"casework:{name}-edit", kwargs={"pk": case.pk, "record_pk": record.pk})


def _incident_events(case: Case) -> list[TimelineEvent]:
    return [
        TimelineEvent(
            incident.occurred_on, incident.created_at, "incident",
            _("Incident: %(type)s") % {"type": incident.get_gbv_type_display()},
            detail=f"{incident.get_place_type_display()} · {incident.get_perpetrator_relationship_display()}",
            who=_who(incident.recorded_by), url=_edit_url(case, "incident", incident),
        )
        for incident in case.incidents.select_related("recorded_by__user")
    ]


def _service_detail(service: SupportService) -> str:
    if service.kind == SupportService.Kind.SHELTER and service.nights is not None:
        return ngettext("%(n)s night", "%(n)s nights", service.nights) % {"n": service.nights}
    return _money(service.amount_vnd) if service.amount_vnd is not None else ""


def _support_events(case: Case) -> list[TimelineEvent]:
    events = [
        TimelineEvent(service.provided_on, service.created_at, "support", service.get_kind_display(),
                      detail=_service_detail(service), who=_who(service.recorded_by),
                      url=_edit_url(case, "service", service))
        for service in case.services.select_related("recorded_by__user")
    ]
    for support in case.livelihood_supports.select_related("recorded_by__user"):
        detail = " · ".join(part for part in (support.get_programme_model_display(), support.model_name,
                                               _money(support.amount_vnd)) if part)
        events.append(TimelineEvent(
            support.started_on, support.created_at, "livelihood",
            _("Livelihood support: %(type)s") % {"type": support.get_support_type_display()},
            detail=detail, who=_who(support.recorded_by), url=_edit_url(case, "livelihood", support),
        ))
    return events


def _note_and_risk_events(case: Case) -> list[TimelineEvent]:
    events = [
        TimelineEvent(timezone.localdate(note.created_at), note.created_at, "note", _("Note"),
                      detail=note.text, who=_who(note.author), show_time=True)
        for note in case.notes.select_related("author__user")
    ]
    for assessment in case.risk_assessments.select_related("assessor__user"):
        detail = ""
        if assessment.level != assessment.computed_level:
            detail = (_("Raised by the assessor from %(level)s")
                      % {"level": assessment.get_computed_level_display()})
        events.append(TimelineEvent(
            assessment.assessed_on, assessment.created_at, "risk",
            _("Risk assessment: %(level)s") % {"level": assessment.get_level_display()},
            detail=detail, who=_who(assessment.assessor),
        ))
    return events


def _consent_events(consents: Iterable[Consent]) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for consent in consents:
        # A consent has no creation time of its own: order it with the case's other records of that day.
        moment = timezone.make_aware(dt.datetime.combine(consent.given_on, dt.time.min))
        events.append(TimelineEvent(
            consent.given_on, moment, "consent",
            _("Consent given: %(scope)s") % {"scope": consent.get_scope_display()},
            detail=consent.get_given_by_display(), who=_who(consent.recorded_by),
        ))
        if consent.withdrawn_on:
            events.append(TimelineEvent(
                consent.withdrawn_on,
                timezone.make_aware(dt.datetime.combine(consent.withdrawn_on, dt.time.max)),
                "consent", _("Consent withdrawn: %(scope)s") % {"scope": consent.get_scope_display()},
            ))
    return events
