"""Case lists and the case lifecycle: find a case, read it, close, reopen, assign, mark the child
support plan done; and the supervisor's de-identified list.

The list pages never decrypt: they select the survivor code and clear-text categories only. Names and
phone numbers appear on the case page alone, and every view of that page is written to the access log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import Perm, can, requires
from accounts.models import Organisation
from accounts.requests import MemberRequest
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
from casework.models import Case, CaseAccess
from casework.panels import render_case_panels
from casework.risk import RiskLevel
from casework.timeline import case_timeline

PAGE_SIZE = 25

# The columns a list row needs — no encrypted column is ever selected for a list.
LIST_COLUMNS = (
    "id", "status", "opened_on", "risk_level", "age_band", "support_plan_due_on", "support_plan_done_on",
    "intake_step", "created_at", "survivor__code",
)
SUPERVISION_COLUMNS = (
    "survivor__code", "trusted_address__name", "opened_on", "closed_on", "status", "risk_level",
)


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
def case_list(request: MemberRequest) -> HttpResponse:
    """The trusted address's cases, searchable and filtered.

    A search by name or phone is POSTed and answered directly, so the name never reaches the URL, the
    browser history or the server logs. Everything else (a whole survivor code, the filters) is
    redirected to a plain GET address that can be bookmarked and paged with links; a GET address holding
    anything else in the search box is answered with the form's error and links without it.
    """
    membership = request.membership
    personal = request.method == "POST"
    form = CaseSearchForm(request.POST if personal else request.GET, allow_personal=personal)
    # Explicit: a default ordering is not applied to the GROUP BY query that counts volunteers.
    cases: QuerySet[Case] = Case.objects.visible_to(membership).order_by("-opened_on", "-created_at", "pk")
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
    assignments: Any = Case.assigned_volunteers.through  # django-stubs cannot follow the count's alias
    assigned = (assignments.objects.filter(case_id=OuterRef("pk"))
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
    })


# --- Case page ------------------------------------------------------------------------------------


def _render_detail(
    request: MemberRequest, case: Case, *, support_form: SupportPlanDoneForm | None = None,
) -> HttpResponse:
    membership = request.membership
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
    if support_form is None and case.can_mark_support_plan_done and allowed["change"]:
        support_form = SupportPlanDoneForm(initial={"on": today})
    return render(request, "casework/case_detail.html", {
        "case": case,
        "survivor": survivor,
        "age": survivor.age_on(today),
        "commune": survivor.commune,
        "volunteers": [member_name(m) for m in case.assigned_volunteers.select_related("user")],
        "current_consents": [c for c in consents if c.is_current],
        "timeline": case_timeline(case, consents),
        "allowed": allowed,
        "support_form": support_form,
        # Sections other apps add (referrals), without casework importing them.
        "panels": render_case_panels(case, membership),
    })


@case_view(Perm.CASE_VIEW)
def case_detail(request: MemberRequest, case: Case) -> HttpResponse:
    # The child-support-plan form lives here and posts to its own address; kept work comes back here.
    kept = bound_data(request, action=reverse("casework:support-plan-done", args=[case.pk]))
    return _render_detail(request, case, support_form=SupportPlanDoneForm(kept) if kept is not None else None)


@keeps_work(form_on="casework:case-detail")
@case_view(Perm.CASE_CHANGE)
@require_POST
def support_plan_done(request: MemberRequest, case: Case) -> HttpResponse:
    membership = request.membership
    form = SupportPlanDoneForm(request.POST)
    if form.is_valid():
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
def case_close(request: MemberRequest, case: Case) -> HttpResponse:
    membership = request.membership
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
def case_reopen(request: MemberRequest, case: Case) -> HttpResponse:
    membership = request.membership
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
def case_assign(request: MemberRequest, case: Case) -> HttpResponse:
    membership = request.membership
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
def supervision_list(request: MemberRequest) -> HttpResponse:
    """Cases of the trusted addresses in the supervisor's area, de-identified.

    Only the columns in SUPERVISION_COLUMNS are selected (``values()``): no encrypted column is read,
    and there is no link to a case page.
    """
    membership = request.membership
    addresses = (Organisation.objects.trusted_addresses().in_area(membership.organisation.area)
                 .only("id", "name").order_by("name"))
    form = SupervisionFilterForm(request.GET, addresses=addresses)
    cases: QuerySet[Case] = Case.objects.supervised_by(membership)
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
