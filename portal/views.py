from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import selectors
from portal.navigation import tiles_for


def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    memberships = list(request.user.active_memberships())
    if membership is None and len(memberships) > 1:
        return redirect("accounts:membership-choose")
    return render(request, "home.html", {"memberships": memberships, "tiles": tiles_for(membership),
                                         "awaiting": selectors.own_grants_awaiting(request.user)})
