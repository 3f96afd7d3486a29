from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as When_
from django.db.models import IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import Perm, can, requires
from accounts.models import Membership, Organisation
from accounts.requests import MemberRequest
from accounts.unsaved import bound_data, keeps_work
from casework.access import case_view
from casework.models import Case
from core.pdf import render_pdf
from referrals import services
from referrals.access import EITHER_SIDE, referral_view
from referrals.forms import ActionForm, DirectorySearchForm, NoteForm, ReferralForm
from referrals.models import Action, Notification, Referral, Side, Status, overdue_at
from referrals.snapshot import labelled


def _form_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Directory -----------------------------------------------------------------------------------


@requires(Perm.PARTNER_DIRECTORY_VIEW)
def directory(request: MemberRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    page = Paginator(form.results(), 25).get_page(request.GET.get("page"))
    return render(request, "referrals/directory.html", {"form": form, "page": page})


# --- Sender side ---------------------------------------------------------------------------------


def case_panel_context(case: Case, membership: Membership | None) -> dict[str, Any] | None:
    """The referrals section of the case page (registered as a casework panel)."""
    if not can(membership, Perm.REFERRAL_SEND):
        return None
    referrals = case.referrals.select_related("partner").prefetch_related("services").order_by("-created_at")
    # The same question as the form's view (referral_create) asks.
    return {"referrals": referrals, "can_refer": can(membership, Perm.REFERRAL_SEND, case)}


@case_view(Perm.REFERRAL_SEND, kwarg="case_pk")
def case_referrals(request: MemberRequest, case: Case) -> HttpResponse:
    referrals = (case.referrals.select_related("partner").prefetch_related("services", "events")
                 .order_by("-created_at"))
    return render(request, "referrals/case_referrals.html", {"case": case, "referrals": referrals})


@keeps_work()
@case_view(Perm.REFERRAL_SEND, kwarg="case_pk")
def referral_create(request: MemberRequest, case: Case) -> HttpResponse:
    membership = request.membership
    partners = Organisation.objects.active().filter(kind__in=Organisation.PARTNER_KINDS).order_by("kind", "name")
    allow_override = can(membership, Perm.REFERRAL_OVERRIDE_CONSENT) and case.is_child
    form = ReferralForm(bound_data(request), partners=partners, allow_override=allow_override)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_create(
                case=case, partner=data["partner"], by=membership, services=data["services"],
                urgency=data["urgency"], reason=data["reason"], shared_fields=data["shared_fields"],
            )
            if "send" in request.POST:
                services.referral_send(referral=referral, by=membership,
                                       override_reason=data.get("override_reason", ""))
                messages.success(request, _("Referral sent."))
            else:
                messages.success(request, _("Referral saved as a draft."))
            return redirect("referrals:referral-detail", referral.pk)
        except ValidationError as exc:
            # Nothing is half-saved: the draft and the sending are one transaction each; a refused
            # send leaves the draft, so say so.
            _form_errors(form, exc)
    consents = {c.scope for c in case.consents.current()}
    return render(request, "referrals/referral_form.html",
                  {"case": case, "form": form, "consents": consents, "allow_override": allow_override})


@referral_view(Perm.REFERRAL_SEND)
@require_POST
def referral_send(request: MemberRequest, referral: Referral) -> HttpResponse:
    membership = request.membership
    try:
        services.referral_send(referral=referral, by=membership,
                               override_reason=request.POST.get("override_reason", ""))
        messages.success(request, _("Referral sent."))
    except ValidationError as exc:
        return _refused(request, referral, exc)
    return redirect("referrals:referral-detail", referral.pk)


# --- Both sides ----------------------------------------------------------------------------------


def _refused(request: MemberRequest, referral: Referral, exc: ValidationError) -> HttpResponse:
    """An illegal or refused move: a clear message and a 409, never a silent success."""
    return render(request, "referrals/refused.html",
                  {"referral": referral, "errors": exc.messages}, status=409)


@referral_view(*EITHER_SIDE)
def referral_detail(request: MemberRequest, referral: Referral) -> HttpResponse:
    membership = request.membership
    side = referral.side_of(membership)
    if side == Side.PARTNER:
        services.referral_snapshot_viewed(referral=referral, by=membership)
    now = timezone.now()
    Notification.objects.for_membership(membership).unread().filter(referral=referral).update(read_at=now)
    events = referral.events.select_related("actor", "actor__user", "actor__organisation")
    actions = [a for a in Action if a not in (Action.EXPIRE,) and referral.can(a, by=membership, now=now)]
    # The note and action forms post to their own addresses; work kept across a time-out comes back here.
    kept_note = bound_data(request, action=reverse("referrals:referral-note", args=[referral.pk]))
    act_url = reverse("referrals:referral-act", args=[referral.pk])
    kept_act: Mapping[str, Any] = bound_data(request, action=act_url) or {}
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "side": side, "snapshot": labelled(referral.snapshot_data),
        "events": events, "actions": actions, "note_form": NoteForm(kept_note),
        "kept_action": kept_act.get("action", ""), "kept_action_note": kept_act.get("note", ""),
        "services_requested": referral.services.all(),
        "note_actions": [a.value for a in Referral.NOTE_REQUIRED],
        "can_note": referral.status not in (Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED) and side is not None,
    })


@keeps_work(form_on="referrals:referral-detail", untyped={"action"})
@referral_view(*EITHER_SIDE)
@require_POST
def referral_act(request: MemberRequest, referral: Referral) -> HttpResponse:
    membership = request.membership
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _refused(request, referral, ValidationError(_("Unknown action.")))
    action = form.cleaned_data["action"]
    if action in (Action.SEND, Action.EXPIRE):
        return _refused(request, referral, ValidationError(_("This action cannot be taken here.")))
    try:
        services.referral_act(referral=referral, action=action, by=membership, note=form.cleaned_data["note"])
    except ValidationError as exc:
        return _refused(request, referral, exc)
    messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect("referrals:referral-detail", referral.pk)


@keeps_work(form_on="referrals:referral-detail")
@referral_view(*EITHER_SIDE)
@require_POST
def referral_note(request: MemberRequest, referral: Referral) -> HttpResponse:
    membership = request.membership
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.referral_note_add(referral=referral, by=membership, note=form.cleaned_data["note"])
            messages.success(request, _("Note added."))
            return redirect("referrals:referral-detail", referral.pk)
        except ValidationError as exc:
            _form_errors(form, exc)
    return render(request, "referrals/referral_note.html", {"referral": referral, "form": form}, status=400)


@referral_view(*EITHER_SIDE)
def referral_slip_pdf(request: MemberRequest, referral: Referral) -> HttpResponse:
    """The printable referral slip (phiếu chuyển gửi): only the shared snapshot, never the case."""
    membership = request.membership
    if referral.status == Status.DRAFT:
        return _refused(request, referral, ValidationError(_("A draft has no slip yet: send it first.")))
    services.referral_snapshot_viewed(referral=referral, by=membership, printed=True)
    html = render_to_string("referrals/pdf/referral_slip.html", {
        "referral": referral, "snapshot": labelled(referral.snapshot_data),
        "services_requested": referral.services.all(), "printed_by": membership,
        "printed_at": timezone.localtime(),
    })
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    code = referral.snapshot_data.get("code", "")
    response["Content-Disposition"] = f'attachment; filename="phieu-chuyen-gui-{code}.pdf"'
    return response


# --- Partner side --------------------------------------------------------------------------------

@requires(Perm.REFERRAL_RESPOND)
def inbox(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    received = Referral.objects.received_by(membership).prefetch_related("services")
    now = timezone.now()
    tab = request.GET.get("tab", "open")
    if tab == "closed":
        rows = received.exclude(status__in=[Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS])
    else:
        tab = "open"
        overdue_first = When_(When(overdue_at(now), then=Value(0)),
                              When(status=Status.SENT, urgency=Referral.Urgency.URGENT, then=Value(1)),
                              When(status=Status.SENT, then=Value(2)),
                              default=Value(3), output_field=IntegerField())
        rows = received.active().annotate(rank=overdue_first).order_by("rank", "respond_by", "-sent_at")
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "referrals/inbox.html", {"page": page, "tab": tab, "now": now})


@requires(Perm.REFERRAL_SEND, Perm.REFERRAL_RESPOND)
def notifications(request: MemberRequest) -> HttpResponse:
    membership = request.membership
    if request.method == "POST":
        if membership is not None:
            services.notifications_mark_read(user=request.user, organisation=membership.organisation)
        return redirect("referrals:notifications")
    items = Notification.objects.for_membership(membership).select_related("referral")[:100]
    return render(request, "referrals/notifications.html", {"items": items})
