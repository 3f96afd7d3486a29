"""The gate for cases and everything inside them (built on accounts.access), and the decorators that
declare a case view's permission once."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from accounts.access import Perm, get_object_for, members_who_may, objects_for, role_allows
from accounts.models import Membership
from casework.models import Case, Survivor

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

M = TypeVar("M", bound=models.Model)
ViewFunc = Callable[..., "HttpResponse"]


def get_case_for(membership: Membership | None, pk: Any, perm: Perm = Perm.CASE_VIEW) -> Case:
    """The case, if the membership may see it (else 404) and do ``perm`` on it (else 403)."""
    visible = Case.objects.visible_to(membership).select_related("survivor", "trusted_address")
    case: Case = get_object_for(membership, perm, visible=visible, pk=pk)
    return case


def get_case_record_for(
    membership: Membership | None, model: type[M], *, case_pk: Any, pk: Any, perm: Perm = Perm.CASE_VIEW,
) -> tuple[Case, M]:
    """A record inside a case (incident, consent, service…): the case's gate, then the record must
    belong to that case — a record of another case answers 404 like an invisible one."""
    case = get_case_for(membership, case_pk, perm)
    try:
        return case, model._default_manager.filter(case=case).get(pk=pk)
    except (ValueError, models.ObjectDoesNotExist):
        raise Http404 from None


def _role_first(request: HttpRequest, perm: Perm) -> Membership | None:
    # The role is asked before any lookup, so a role that may never do this learns nothing (403, not 404).
    membership = getattr(request, "membership", None)
    if not role_allows(membership, perm):
        raise PermissionDenied
    return membership


def case_view(perm: Perm, *, kwarg: str = "pk") -> Callable[[ViewFunc], ViewFunc]:
    """Declare a view on one case: 403 unless the role allows ``perm``, then the gate (404 invisible,
    403 forbidden); the view receives the case in place of its id (URL keyword ``kwarg``)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _role_first(request, perm)
            case = get_case_for(membership, kwargs.pop(kwarg), perm)
            return view(request, case, *args, **kwargs)

        return wrapper

    return decorator


def case_record_view(perm: Perm, model: type[models.Model]) -> Callable[[ViewFunc], ViewFunc]:
    """Declare a view on one record inside a case (URL keywords ``pk`` and ``record_pk``): as
    :func:`case_view`, and a record of another case answers 404; the view receives the case and the
    record."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _role_first(request, perm)
            case, record = get_case_record_for(membership, model, case_pk=kwargs.pop("pk"),
                                               pk=kwargs.pop("record_pk"), perm=perm)
            return view(request, case, record, *args, **kwargs)

        return wrapper

    return decorator


def require_on_survivor(membership: Membership | None, perm: Perm, survivor: Survivor) -> None:
    """A survivor's record is reached through her cases: ``perm`` must be held on one of them."""
    if not objects_for(membership, perm, Case.objects.filter(survivor=survivor)).exists():
        raise PermissionDenied


def assignable_members(case: Case) -> models.QuerySet[Membership]:
    """Who may be assigned a case: the active members of its trusted address whose role works on cases."""
    return (members_who_may(Perm.CASE_CHANGE, case.trusted_address_id)
            .select_related("user").order_by("role", "user__username"))
