"""The request as the middleware leaves it, for the type hints of views.

``ActiveMembershipMiddleware`` sets ``memberships`` and ``membership`` on every request; a view that is
not marked ``login_not_required`` (``LoginRequiredMiddleware``) also knows its user is signed in.
Annotating a view's request with these classes lets mypy check what the view reads instead of each
line silencing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import Membership, UnsavedWork, User


class AppRequest(HttpRequest):
    """Any request that passed the middleware: the user may be anonymous."""

    memberships: list[Membership]
    membership: Membership | None
    # Set by IdleTimeoutMiddleware when it kept a form posted after the time-out (accounts.unsaved).
    kept_work: UnsavedWork | None


class SignedInRequest(AppRequest):
    """A request of a signed-in user (every view not marked ``login_not_required``)."""

    user: User


class MemberRequest(SignedInRequest):
    """A request acting as a membership: views behind ``access.requires`` or ``access.requires_that``,
    which refuse (403) a request that acts as none."""

    membership: Membership


# Where a method's signature is Django's own (the admin's ``save_model(request, …)``), the request cannot
# be annotated as one of the classes above; these read the same attributes with their types.


def acting_membership(request: HttpRequest) -> Membership:
    """The membership the request acts as (set by ``ActiveMembershipMiddleware``); 403 when it acts as
    none (the admin's pages are an operator's, who always acts as one)."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        raise PermissionDenied
    return membership


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, who must be signed in (the admin and every view not marked
    ``login_not_required`` let no one else through)."""
    from accounts.models import User

    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user
