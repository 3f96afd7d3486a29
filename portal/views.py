from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts import selectors
from accounts.requests import SignedInRequest
from portal.navigation import tiles_for


def home(request: SignedInRequest) -> HttpResponse:
    membership = request.membership
    memberships = list(request.user.active_memberships())
    if membership is None and len(memberships) > 1:
        return redirect("accounts:membership-choose")
    return render(request, "home.html", {"memberships": memberships, "tiles": tiles_for(membership),
                                         "awaiting": selectors.own_grants_awaiting(request.user)})
