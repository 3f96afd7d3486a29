"""A time-out that loses no work: what a form posts after the idle time-out is kept and given back.

The story, in the order it happens (the middleware is ``accounts.middleware.IdleTimeoutMiddleware``):

1. A request comes after more than ``SESSION_IDLE_SECONDS`` without activity. The middleware signs the
   user out before anything else reads the user, and writes in the new, anonymous session only *who*
   timed out and when (``TIMED_OUT``) — so a form posted a moment later, from this tab or another one,
   still says whose it is. Activity is every request to a view, except the session status poll
   (:func:`not_activity`).
2. If that request — or any later one in the same anonymous session, within ``SESSION_KEPT_WORK_SECONDS``
   — is a POST that passed the CSRF check, to a login-required view that can give its form back
   (:func:`keeps_work`) and carries something typed, its fields (never files, never the CSRF token) are
   sealed into an ``UnsavedWork`` row of that user, with the address posted to and the page the form
   is on (declared by the view, see :func:`keeps_work`), and the browser gets a cookie naming the row
   (HttpOnly, SameSite=Lax, Secure under HTTPS, for the same time). The sign-in page then says that the
   user was signed out and that what they typed has been kept.
3. Whoever signs in next on that browser (:func:`restore_on_sign_in`, from ``LoginView``): the row is
   deleted and the cookie cleared in every case. If it is the same user and the row is less than the
   kept time old, its sealed fields move into the new session (still sealed, bound to the row id) and
   the user is sent to the page the form was on — through the second sign-in step where their role has
   one.
4. That page's view builds its form from :func:`bound_data`, which on a GET returns the kept fields, so
   the form is shown exactly as typed, with a message asking to check it and press Save. Nothing is
   saved until the user posts the form. The kept fields leave the session when the form is posted, when
   the user opens another page, when the kept time is over, or with the session.

Nothing here logs what was posted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import Membership, UnsavedWork, User
from accounts.requests import AppRequest, signed_in_user

# Session keys. The last activity is a POSIX timestamp (JSON-serialisable, and time-machine moves it).
LAST_ACTIVITY = "last_activity"
TIMED_OUT = "timed_out"
RESTORED = "restored_work"
COOKIE_NAME = "kept_work"
CSRF_FIELD = "csrfmiddlewaretoken"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


# --- What views declare -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeepsWork:
    """What a view marked with :func:`keeps_work` declares."""

    # The URL name of the page its form is on, called with the view's own URL arguments; None when the
    # form is on the view's own page (it posts to itself).
    form_on: str | None = None
    # Fields the user does not type (a hidden action, a version, a pending token): a post holding only
    # these is not worth keeping.
    untyped: frozenset[str] = frozenset()


def keeps_work(*, form_on: str | None = None, untyped: Iterable[str] = ()) -> Callable[[ViewFunc], ViewFunc]:
    """Mark a view whose form, posted after the time-out, is kept and given back after sign-in.

    Only views whose page builds the form with :func:`bound_data` may carry the mark: the sign-in page
    promises the work back, so a form that cannot show it again (a password change, the operator's
    administration) is never kept. A POST-only view names the page its form is on (``form_on``), where
    the work is given back — declared rather than read from the Referer, which a browser may drop and
    which may name the view's own error page.
    """

    def mark(view: ViewFunc) -> ViewFunc:
        # A mark on the view function, as Django's own csrf_exempt and login_not_required make.
        view.keeps_work = KeepsWork(form_on=form_on, untyped=frozenset(untyped))  # type: ignore[attr-defined]
        return view

    return mark


def not_activity(view: ViewFunc) -> ViewFunc:
    """Mark a view whose requests do not count as activity (the page script's status poll)."""
    view.counts_as_activity = False  # type: ignore[attr-defined]  # a mark, as in keeps_work
    return view


def counts_as_activity(view: Callable[..., Any]) -> bool:
    return getattr(view, "counts_as_activity", True)


# --- The time-out -------------------------------------------------------------------------------


def now_timestamp() -> float:
    return timezone.now().timestamp()


def seconds_left(request: HttpRequest) -> int:
    """Seconds until the signed-in user of ``request`` times out."""
    last: float = request.session.get(LAST_ACTIVITY, now_timestamp())
    return max(0, round(settings.SESSION_IDLE_SECONDS - (now_timestamp() - last)))


def is_idle(request: HttpRequest) -> bool:
    last = request.session.get(LAST_ACTIVITY)
    return last is not None and now_timestamp() - last > settings.SESSION_IDLE_SECONDS


def record_time_out(request: HttpRequest, *, user_id: int, membership_id: int | None) -> None:
    """Called on the new, anonymous session right after the idle user was signed out."""
    request.session[TIMED_OUT] = {"user": user_id, "membership": membership_id, "at": now_timestamp()}


def _fresh(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """The session's ``key`` entry (a dict stamped with ``at``) if younger than the kept time; an older
    one is dropped."""
    entry = request.session.get(key) if hasattr(request, "session") else None
    if not isinstance(entry, dict):
        return None
    if now_timestamp() - entry.get("at", 0) > settings.SESSION_KEPT_WORK_SECONDS:
        request.session.pop(key, None)
        return None
    return entry


def timed_out(request: HttpRequest) -> dict[str, Any] | None:
    """Who timed out in this (now anonymous) session, if it was less than the kept time ago."""
    return _fresh(request, TIMED_OUT)


# --- Keeping a post -----------------------------------------------------------------------------


def typed_fields(request: HttpRequest, *, untyped: frozenset[str]) -> dict[str, list[str]] | None:
    """The posted fields worth keeping ({name: [values]}), or None when nothing was typed."""
    fields = {name: request.POST.getlist(name) for name in request.POST if name != CSRF_FIELD}
    typed = any(value.strip() for name, values in fields.items() if name not in untyped for value in values)
    return fields if typed else None


def _cookie_id(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.COOKIES.get(COOKIE_NAME, ""))
    except ValueError:
        return None


def keep_post(request: AppRequest, view: Callable[..., Any], view_kwargs: dict[str, Any]) -> UnsavedWork | None:
    """Keep the post of a timed-out user, when the view can give it back and something was typed.

    Runs in ``process_view``: CsrfViewMiddleware has already refused a post without a valid token, so a
    cross-site post is never kept.
    """
    declared: KeepsWork | None = getattr(view, "keeps_work", None)
    if declared is None or request.method != "POST" or not getattr(view, "login_required", True):
        return None
    marker = timed_out(request)
    fields = typed_fields(request, untyped=declared.untyped)
    if marker is None or fields is None:
        return None
    user = User.objects.filter(pk=marker["user"], is_active=True).first()
    if user is None:
        return None
    membership_pk = marker.get("membership")
    membership = (Membership.objects.active().filter(pk=membership_pk, user=user).first()
                  if membership_pk is not None else None)
    page = reverse(declared.form_on, kwargs=view_kwargs) if declared.form_on else request.path
    try:
        work = services.unsaved_work_keep(
            user=user, membership=membership, action=request.path, page=page, fields=fields,
            replacing=_cookie_id(request),
        )
    except ValidationError:
        return None  # an address too long to store: nothing kept, and the sign-in page promises nothing
    request.kept_work = work
    return work


def set_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Name the kept row in a cookie (after ``keep_post`` kept one in this request)."""
    work = getattr(request, "kept_work", None)
    if work is not None:
        response.set_cookie(
            COOKIE_NAME, str(work.pk), max_age=settings.SESSION_KEPT_WORK_SECONDS, httponly=True,
            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )


def work_is_kept(request: HttpRequest) -> bool:
    """Whether this browser holds kept work (for the sign-in page; it says nothing about whose)."""
    pk = _cookie_id(request)
    if pk is None:
        return False
    services.unsaved_work_purge()
    return UnsavedWork.objects.filter(pk=pk).exists()


# --- Giving it back -----------------------------------------------------------------------------


def restore_on_sign_in(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a successful sign-in: give the kept work back to its author, delete it for anyone else.

    Returns the response to send: a redirect to the page the form was on when the work is given back,
    else ``response`` as it was. The cookie is cleared in every case.
    """
    request.session.pop(TIMED_OUT, None)
    request.session.pop(RESTORED, None)
    pk = _cookie_id(request)
    if pk is None:
        services.unsaved_work_purge()  # every sign-in sweeps expired rows, whoever they belong to
        work = None
    else:
        work = services.unsaved_work_claim(pk=pk, user=signed_in_user(request))
    if work is not None and url_has_allowed_host_and_scheme(work.page, allowed_hosts=None):
        request.session[RESTORED] = {
            "id": str(work.pk), "action": work.action, "page": work.page, "fields": work.fields,
            "at": work.created_at.timestamp(), "offered": False,
        }
        if work.membership_id is not None:
            # The role the form was filled in as; the middleware re-checks it on every request. (Imported
            # here: the middleware module imports this one.)
            from accounts.middleware import SESSION_MEMBERSHIP_KEY

            request.session[SESSION_MEMBERSHIP_KEY] = work.membership_id
        response = HttpResponseRedirect(work.page)
    if COOKIE_NAME in request.COOKIES:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")
    return response


def _restored(request: HttpRequest) -> dict[str, Any] | None:
    return _fresh(request, RESTORED)


def follow_restored(request: HttpRequest, view: Callable[..., Any]) -> None:
    """Drop the given-back work once its form is posted (saved, or shown again from the post itself) or
    once the user, having seen it, opens another page. Called for signed-in requests in process_view."""
    restored = _restored(request)
    if restored is None:
        return
    posted = request.method == "POST" and request.path == restored["action"]
    left = (request.method == "GET" and restored["offered"] and request.path != restored["page"]
            and counts_as_activity(view))
    if posted or left:
        request.session.pop(RESTORED, None)


def bound_data(request: HttpRequest, action: str | None = None) -> MultiValueDict[str, str] | None:
    """The data a form view binds its form to.

    ``action`` is the address the form posts to, when it is not this page's own (a referral's note form
    on the referral page). On a POST to the form's address: the post (not ``request.POST or None``: an
    empty post must still be a bound, invalid form). On a GET: the work kept across a time-out when it
    was posted to ``action`` from this page — the form then shows it as typed, and nothing is saved until
    the user posts it. Otherwise None (an unbound form).
    """
    if request.method == "POST":
        return request.POST if action is None or action == request.path else None
    restored = _restored(request)
    if restored is None or restored["page"] != request.path or restored["action"] != (action or request.path):
        return None
    fields = UnsavedWork.unseal(restored["id"], restored["fields"])
    if fields is None:
        request.session.pop(RESTORED, None)
        return None
    if not restored["offered"]:
        request.session[RESTORED] = {**restored, "offered": True}
    messages.info(request, _("This is what you typed before your session ended. Check it, then press Save."))
    return MultiValueDict(fields)
