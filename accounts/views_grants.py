"""The confirmer's page: grants awaiting confirmation, recent decisions, their history; and, for a
lead, her address's members, to whom she can hand a password link in person."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access, selectors, services
from accounts.forms_grants import GrantConfirmForm
from accounts.models import AccountLink, InvalidTransition, Membership
from accounts.requests import MemberRequest
from accounts.views_passwords import stash_link_to_show


def _page(request: MemberRequest, *, failed: Membership | None = None, form: GrantConfirmForm | None = None,
          status: int = 200) -> HttpResponse:
    membership = request.membership
    awaiting = list(selectors.grants_awaiting(membership))
    rows = [{"grant": grant, "form": form if failed is not None and grant.pk == failed.pk else GrantConfirmForm(),
             "own": grant.user_id == request.user.pk or grant.requested_by_id == request.user.pk}
            for grant in awaiting]
    return render(request, "accounts/grants.html", {
        "rows": rows,
        "recent": selectors.grants_recently_decided(membership),
        "members": selectors.members_for_links(membership),
        "events": selectors.grant_events(membership),
        "issues_links": access.issues_member_links(membership),
    }, status=status)


@access.requires_that(access.confirms_grants)
def grants(request: MemberRequest) -> HttpResponse:
    return _page(request)


@require_POST
@access.requires_that(access.confirms_grants)
def grant_confirm(request: MemberRequest, pk: int) -> HttpResponse:
    grant = access.get_grant_for(request.membership, pk)
    form = GrantConfirmForm(request.POST)
    if form.is_valid():
        try:
            services.membership_confirm(membership=grant, by=request.membership,
                                        code=form.cleaned_data["code"])
        except InvalidTransition as refused:
            messages.error(request, " ".join(refused.messages))
            return redirect("accounts:grants")
        except ValidationError as wrong:
            form.add_error(None, wrong)  # a wrong code lands beside the field, anything else above it
        else:
            messages.success(request, _("Confirmed: %(person)s can now work as %(role)s.")
                             % {"person": grant.user.display_name, "role": grant.get_role_display()})
            return redirect("accounts:grants")
    return _page(request, failed=grant, form=form)


@require_POST
@access.requires_that(access.confirms_grants)
def grant_decline(request: MemberRequest, pk: int) -> HttpResponse:
    grant = access.get_grant_for(request.membership, pk)
    try:
        services.membership_decline(membership=grant, by=request.membership)
    except InvalidTransition as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, _("Declined: %(person)s will not work as %(role)s.")
                         % {"person": grant.user.display_name, "role": grant.get_role_display()})
    return redirect("accounts:grants")


@require_POST
@access.requires_that(access.issues_member_links)
def member_link(request: MemberRequest, pk: int) -> HttpResponse:
    """A lead creates a one-time password link for a member of her address, to hand over in person."""
    membership = request.membership
    target = access.visible_or_404(
        Membership.objects.live().filter(organisation_id=membership.organisation_id).select_related("user"), pk
    )
    if not access.may_issue_link(membership, target.user):
        raise PermissionDenied
    try:
        link, token = services.account_link_issue(user=target.user, by=membership,
                                                  delivery=AccountLink.Delivery.HANDED)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("accounts:grants")
    stash_link_to_show(request, link, token, back=reverse("accounts:grants"))
    return redirect("accounts:link-show")
