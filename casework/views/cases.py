"""Case lists and the case lifecycle: find a case, read it, close, reopen, assign, mark the child
support plan done; and the supervisor's de-identified list.

The list pages never decrypt: they select the survivor code and clear-text categories only. Names and
phone numbers appear on the case page alone, and every view of that page is written to the access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import Perm, can, requires
from accounts.models import Organisation
from accounts.unsaved import bound_data, keeps_work
from casework import services
from casework.access import case_view
from casework.forms_lifecycle import (
    CaseAssignForm,
    CaseCloseForm,
    CaseSearchForm,
    SupervisionFilterForm,
    SupportPlanDoneForm,
    member_name,
)
from casework.models import Case, CaseAccess, Consent, SupportService
from casework.panels import render_case_panels
from casework.risk import RiskLevel

PAGE_SIZE = 25

# The columns a list row needs — no encrypted column is ever selected for a list.
LIST_COLUMNS = (
    "id", "status", "opened_on", "risk_level", "age_band", "support_plan_due_on", "support_plan_done_on",
    "intake_step", "created_at", "survivor__code",
)
SUPERVISION_COLUMNS = (
    "survivor__code", "trusted_address__name", "opened_on", "closed_on", "status", "risk_level",
)


def _intake_done_step() -> str:
    return services.INTAKE_STEPS[-1]


def _add_errors(form: forms.Form, exc: ValidationError, rename: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal on the form: next to the field it concerns, or above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            name = (rename or {}).get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Case list ------------------------------------------------------------------------------------


@requires(Perm.CASE_VIEW)
@require_http_methods(["GET", "POST"])
def case_list(request: HttpRequest) -> HttpResponse:
    """The trusted address's cases, searchable and filtered.

    A search by name or phone is POSTed and answered directly, so the name never reaches the URL, the
    browser history or the server logs. Everything else (a whole survivor code, the filters) is
    redirected to a plain GET address that can be bookmarked and paged with links; a GET address holding
    anything else in the search box is answered with the form's error and links without it.
    """
    membership = request.membership  # type: ignore[attr-defined]
    personal = request.method == "POST"
    form = CaseSearchForm(request.POST if personal else request.GET, allow_personal=personal)
    # Explicit: a default ordering is not applied to the GROUP BY query that counts volunteers.
    cases = Case.objects.visible_to(membership).order_by("-opened_on", "-created_at", "pk")
    searched = False
    if form.is_valid():
        search = form.cleaned_data["search"]
        if personal and not (search and search.is_personal):
            query = urlencode(form.url_params())
            target = reverse("casework:case-list")
            return redirect(f"{target}?{query}" if query else target)
        cases = form.filter(cases)
        searched = search is not None or any(form.url_params().values())
    else:
        cases = cases.none()
    # The volunteer count as a correlated subquery, not a JOIN + GROUP BY: PostgreSQL then counts for
    # the 25 rows of the page only, instead of grouping every case of the address (bench/README.md).
    assigned = (Case.assigned_volunteers.through.objects.filter(case_id=OuterRef("pk"))
                .order_by().values("case_id").annotate(n=Count("pk")).values("n"))
    rows = (
        cases.select_related("survivor").only(*LIST_COLUMNS)
        .annotate(volunteer_count=Coalesce(Subquery(assigned, output_field=IntegerField()), 0))
    )
    page = Paginator(rows, PAGE_SIZE).get_page((request.POST if personal else request.GET).get("page"))
    return render(request, "casework/case_list.html", {
        "form": form,
        "page": page,
        "personal": personal,
        "searched": searched,
        "query": urlencode(form.url_params()) if form.is_valid() else "",
        "intake_done_step": _intake_done_step(),
    })


# --- Case page ------------------------------------------------------------------------------------


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


def _person(first: str | None, last: str | None, username: str | None) -> str:
    return " ".join(part for part in (first, last) if part) or (username or "")


def _money(amount: int | None) -> str:
    # Grouped by thousands in the reader's convention (5.000.000 đ in Vietnamese).
    return f"{amount or 0:,} đ".replace(",", str(formats.get_format("THOUSAND_SEPARATOR")))


def _case_history_events(case: Case) -> list[TimelineEvent]:
    """Status changes, support-plan completion and reassignments, from the case's history rows."""
    rows = case.history.order_by("history_date", "history_id").values(
        "history_type", "history_date", "history_change_reason", "status", "closure_reason", "closed_on",
        "support_plan_done_on",
        "history_user__username", "history_user__first_name", "history_user__last_name",
    )
    events: list[TimelineEvent] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        at = row["history_date"]
        who = _person(row["history_user__first_name"], row["history_user__last_name"],
                      row["history_user__username"])
        local_day = timezone.localdate(at)
        if row["history_type"] == "+":
            events.append(TimelineEvent(case.opened_on, at, "lifecycle", _("Case opened"), who=who,
                                        opens_case=True))
        elif previous is not None:
            if previous["status"] != row["status"] and row["status"] == Case.Status.CLOSED:
                reason = Case.ClosureReason(row["closure_reason"]).label if row["closure_reason"] else ""
                events.append(TimelineEvent(row["closed_on"] or local_day, at, "lifecycle", _("Case closed"),
                                            detail=str(reason), who=who, show_time=True))
            elif previous["status"] != row["status"]:
                events.append(TimelineEvent(local_day, at, "lifecycle", _("Case reopened"), who=who,
                                            show_time=True))
            if not previous["support_plan_done_on"] and row["support_plan_done_on"]:
                events.append(TimelineEvent(row["support_plan_done_on"], at, "lifecycle",
                                            _("Child support plan made"), who=who))
            # One reassignment writes two history rows (the volunteers, then the version): show one.
            if (row["history_change_reason"] == "reassigned"
                    and previous["history_change_reason"] != "reassigned"):
                events.append(TimelineEvent(local_day, at, "lifecycle", _("Volunteers reassigned"), who=who,
                                            show_time=True))
        previous = row
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


def _who(membership: Any) -> str:
    return member_name(membership) if membership is not None else ""


def _timeline(case: Case, consents: list[Consent]) -> list[TimelineEvent]:
    """Everything that happened in the case, newest first."""
    pk = case.pk
    events = _case_history_events(case) + _survivor_history_events(case)
    for incident in case.incidents.select_related("recorded_by__user"):
        events.append(TimelineEvent(
            incident.occurred_on, incident.created_at, "incident",
            _("Incident: %(type)s") % {"type": incident.get_gbv_type_display()},
            detail=f"{incident.get_place_type_display()} · {incident.get_perpetrator_relationship_display()}",
            who=_who(incident.recorded_by),
            url=reverse("casework:incident-edit", kwargs={"pk": pk, "record_pk": incident.pk}),
        ))
    for service in case.services.select_related("recorded_by__user"):
        if service.kind == SupportService.Kind.SHELTER and service.nights is not None:
            detail = ngettext("%(n)s night", "%(n)s nights", service.nights) % {"n": service.nights}
        elif service.amount_vnd is not None:
            detail = _money(service.amount_vnd)
        else:
            detail = ""
        events.append(TimelineEvent(
            service.provided_on, service.created_at, "support", service.get_kind_display(), detail=detail,
            who=_who(service.recorded_by),
            url=reverse("casework:service-edit", kwargs={"pk": pk, "record_pk": service.pk}),
        ))
    for support in case.livelihood_supports.select_related("recorded_by__user"):
        detail = " · ".join(part for part in (support.get_programme_model_display(), support.model_name,
                                               _money(support.amount_vnd)) if part)
        events.append(TimelineEvent(
            support.started_on, support.created_at, "livelihood",
            _("Livelihood support: %(type)s") % {"type": support.get_support_type_display()},
            detail=detail, who=_who(support.recorded_by),
            url=reverse("casework:livelihood-edit", kwargs={"pk": pk, "record_pk": support.pk}),
        ))
    for note in case.notes.select_related("author__user"):
        events.append(TimelineEvent(timezone.localdate(note.created_at), note.created_at, "note", _("Note"),
                                    detail=note.text, who=_who(note.author), show_time=True))
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
    return sorted(events, key=lambda e: e.sort_key, reverse=True)


def _render_detail(
    request: HttpRequest, case: Case, *, support_form: SupportPlanDoneForm | None = None,
) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    services.access_record(case=case, by=membership, action=CaseAccess.Action.VIEW_CASE,
                           what=gettext_noop("case page"))
    survivor = case.survivor
    today = timezone.localdate()
    consents = list(case.consents.select_related("recorded_by__user").order_by("scope", "-given_on"))
    allowed = {
        "change": can(membership, Perm.CASE_CHANGE, case),
        "close": can(membership, Perm.CASE_CLOSE, case),
        "reassign": can(membership, Perm.CASE_REASSIGN, case),
        "access_log": can(membership, Perm.CASE_VIEW_ACCESS_LOG, case),
    }
    plan_pending = bool(case.support_plan_due_on and not case.support_plan_done_on)
    if support_form is None and plan_pending and allowed["change"]:
        support_form = SupportPlanDoneForm(initial={"on": today})
    steps = services.INTAKE_STEPS
    intake_next = None
    if case.intake_step != steps[-1]:
        position = steps.index(case.intake_step) + 1 if case.intake_step in steps else 0
        intake_next = steps[position]
    return render(request, "casework/case_detail.html", {
        "case": case,
        "survivor": survivor,
        "age": survivor.age_on(today),
        "commune": survivor.commune,
        "volunteers": [member_name(m) for m in case.assigned_volunteers.select_related("user")],
        "current_consents": [c for c in consents if c.is_current],
        "timeline": _timeline(case, consents),
        "allowed": allowed,
        "plan_pending": plan_pending,
        "support_form": support_form,
        "intake_next": intake_next,
        # Sections other apps add (referrals), without casework importing them.
        "panels": render_case_panels(case, membership),
    })


@case_view(Perm.CASE_VIEW)
def case_detail(request: HttpRequest, case: Case) -> HttpResponse:
    # The child-support-plan form lives here and posts to its own address; kept work comes back here.
    kept = bound_data(request, action=reverse("casework:support-plan-done", args=[case.pk]))
    return _render_detail(request, case, support_form=SupportPlanDoneForm(kept) if kept is not None else None)


@keeps_work(form_on="casework:case-detail")
@case_view(Perm.CASE_CHANGE)
@require_POST
def support_plan_done(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = SupportPlanDoneForm(request.POST)
    if form.is_valid():
        if not case.support_plan_due_on:
            form.add_error(None, _("This case has no child support plan to mark as made."))
        elif case.support_plan_done_on:
            form.add_error(None, _("The child support plan was already marked as made on %(date)s.")
                           % {"date": formats.date_format(case.support_plan_done_on, "SHORT_DATE_FORMAT")})
        else:
            try:
                services.support_plan_mark_done(case=case, by=membership, on=form.cleaned_data["on"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The child support plan is marked as made."))
                return redirect("casework:case-detail", pk=case.pk)
    return _render_detail(request, case, support_form=form)


# --- Lifecycle ------------------------------------------------------------------------------------


@keeps_work()
@case_view(Perm.CASE_CLOSE)
@require_http_methods(["GET", "POST"])
def case_close(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = CaseCloseForm(bound_data(request), initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        if not case.can(Case.Action.CLOSE):
            form.add_error(None, _("This case is already closed. Nothing was changed."))
        else:
            try:
                services.case_close(case=case, by=membership, reason=form.cleaned_data["reason"],
                                    on=form.cleaned_data["on"])
            except ValidationError as exc:
                _add_errors(form, exc, rename={"closed_on": "on", "closure_reason": "reason"})
            else:
                messages.success(request, _("The case is closed."))
                return redirect("casework:case-detail", pk=case.pk)
    return render(request, "casework/case_close.html", {"case": case, "form": form})


@case_view(Perm.CASE_CLOSE)
@require_POST
def case_reopen(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if not case.can(Case.Action.REOPEN):
        messages.error(request, _("This case is already open. Nothing was changed."))
    else:
        try:
            services.case_reopen(case=case, by=membership)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The case is open again."))
    return redirect("casework:case-detail", pk=case.pk)


@keeps_work(untyped={"version"})
@case_view(Perm.CASE_REASSIGN)
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    data = bound_data(request)
    if data is not None:
        form = CaseAssignForm(data, case=case)
        if request.method == "POST" and form.is_valid():
            try:
                services.case_assign(case=case, by=membership, volunteers=form.cleaned_data["volunteers"],
                                     version=form.cleaned_data["version"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The people looking after this case are saved."))
                return redirect("casework:case-detail", pk=case.pk)
    else:
        current = list(case.assigned_volunteers.values_list("pk", flat=True))
        form = CaseAssignForm(case=case, initial={"volunteers": current})
    return render(request, "casework/case_assign.html", {"case": case, "form": form})


# --- Supervision ----------------------------------------------------------------------------------


@requires(Perm.CASE_VIEW_DEIDENTIFIED)
def supervision_list(request: HttpRequest) -> HttpResponse:
    """Cases of the trusted addresses in the supervisor's area, de-identified.

    Only the columns in SUPERVISION_COLUMNS are selected (``values()``): no encrypted column is read,
    and there is no link to a case page.
    """
    membership = request.membership  # type: ignore[attr-defined]
    addresses = (Organisation.objects.trusted_addresses().in_area(membership.organisation.area)
                 .only("id", "name").order_by("name"))
    form = SupervisionFilterForm(request.GET, addresses=addresses)
    cases = Case.objects.supervised_by(membership)
    cases = form.filter(cases) if form.is_valid() else cases.none()
    rows = cases.order_by("-opened_on", "survivor__code").values(*SUPERVISION_COLUMNS)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [
        {**row, "status_label": Case.Status(row["status"]).label,
         "risk_label": RiskLevel(row["risk_level"]).label if row["risk_level"] else ""}
        for row in page
    ]
    params = {key: value for key, value in request.GET.items() if key in form.fields and value}
    return render(request, "casework/supervision_list.html", {
        "form": form, "page": page, "entries": entries, "query": urlencode(params) if form.is_valid() else "",
    })
