"""The one place that says who may see and do what.

Two questions decide every access:

1. Does the *role* of the acting membership allow this kind of action at all?  (``ROLE_PERMISSIONS``,
   the table published in the README and asserted by ``tests/accounts/test_role_table.py``.)
2. For an action on one object: does the membership's *organisation* hold the object permission on
   that object?  Object permissions are django-guardian rows granted to the organisation's group by the
   services that create or share the object — never global model permissions, so neither guardian's
   ``accept_global_perms`` nor a superuser flag can widen anyone's scope.

Apps build their gates from :func:`get_object_for` and their list filters from
:func:`objects_for`; nothing else decides access.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.utils import get_group_obj_perms_model

from accounts.models import Role

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from accounts.models import Membership

M = TypeVar("M", bound=models.Model)


class Perm(enum.StrEnum):
    """Permission names, ``app_label.codename``: the same constants in ``Meta.permissions`` and checks."""

    # Casework (object permissions held by the trusted address's group).
    CASE_ADD = "casework.add_case"
    CASE_VIEW = "casework.view_case"
    CASE_CHANGE = "casework.change_case"
    CASE_CLOSE = "casework.close_case"  # close and reopen
    CASE_REASSIGN = "casework.reassign_case"
    CASE_VIEW_ACCESS_LOG = "casework.view_case_access_log"
    # Supervision: de-identified lists only (code, dates, status, risk), for the supervisor's area.
    CASE_VIEW_DEIDENTIFIED = "casework.view_deidentified_case"
    # Referrals.
    REFERRAL_SEND = "referrals.add_referral"
    REFERRAL_OVERRIDE_CONSENT = "referrals.override_consent_referral"
    REFERRAL_RESPOND = "referrals.respond_referral"
    PARTNER_DIRECTORY_VIEW = "referrals.view_partnerprofile"
    PARTNER_DIRECTORY_CHANGE = "referrals.change_partnerprofile"
    # Statistics.
    INDICATORS_VIEW = "indicators.view_indicators"
    # Users, organisations and reference data — never case contents.
    ADMINISTER = "accounts.administer"

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.VOLUNTEER: frozenset({
        Perm.CASE_ADD, Perm.CASE_VIEW, Perm.CASE_CHANGE, Perm.REFERRAL_SEND, Perm.PARTNER_DIRECTORY_VIEW,
    }),
    Role.LEAD: frozenset({
        Perm.CASE_ADD, Perm.CASE_VIEW, Perm.CASE_CHANGE, Perm.CASE_CLOSE, Perm.CASE_REASSIGN,
        Perm.CASE_VIEW_ACCESS_LOG, Perm.REFERRAL_SEND, Perm.REFERRAL_OVERRIDE_CONSENT,
        Perm.PARTNER_DIRECTORY_VIEW,
    }),
    Role.PARTNER_OFFICER: frozenset({Perm.REFERRAL_RESPOND, Perm.PARTNER_DIRECTORY_VIEW}),
    Role.UNION_SUPERVISOR: frozenset({
        Perm.CASE_VIEW_DEIDENTIFIED, Perm.INDICATORS_VIEW, Perm.PARTNER_DIRECTORY_VIEW,
    }),
    Role.PROVINCIAL_ANALYST: frozenset({Perm.INDICATORS_VIEW}),
    Role.SYSTEM_ADMINISTRATOR: frozenset({Perm.ADMINISTER, Perm.PARTNER_DIRECTORY_VIEW, Perm.PARTNER_DIRECTORY_CHANGE}),
}

# Plain words for each permission, for the README table and the home page.
PERM_DESCRIPTIONS: dict[Perm, str] = {
    Perm.CASE_ADD: "Open a case at own trusted address",
    Perm.CASE_VIEW: "See own trusted address's cases (full record)",
    Perm.CASE_CHANGE: "Record and edit survivor, incidents, consent, risk, safety, support",
    Perm.CASE_CLOSE: "Close and reopen a case",
    Perm.CASE_REASSIGN: "Reassign a case's volunteers",
    Perm.CASE_VIEW_ACCESS_LOG: "See who viewed a case",
    Perm.CASE_VIEW_DEIDENTIFIED: "De-identified case lists of supervised trusted addresses",
    Perm.REFERRAL_SEND: "Refer a case to a partner (with the survivor's consent)",
    Perm.REFERRAL_OVERRIDE_CONSENT: "Override consent for a child at risk (reason recorded)",
    Perm.REFERRAL_RESPOND: "Accept, act on and report back on referrals to own organisation",
    Perm.PARTNER_DIRECTORY_VIEW: "Search the partner directory",
    Perm.PARTNER_DIRECTORY_CHANGE: "Edit the partner directory",
    Perm.INDICATORS_VIEW: "Anonymised programme indicators for own area",
    Perm.ADMINISTER: "Manage users, organisations, memberships, administrative units",
}


def role_table_markdown() -> str:
    """The role × permission table, as published in the README (a test keeps the two equal)."""
    roles = list(Role)
    header = "| Permission | " + " | ".join(str(r.label) for r in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    lines = [header, rule]
    for perm in Perm:
        marks = " | ".join("✔" if perm in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| {PERM_DESCRIPTIONS[perm]} (`{perm.value}`) | {marks} |")
    two_factor = ", ".join(str(r.label) for r in roles if r in TWO_FACTOR_ROLES)
    lines += ["", f"Two-step sign-in (TOTP) is required for: {two_factor}."]
    return "\n".join(lines)


# Roles that see across organisations or administer the system sign in with a second factor.
TWO_FACTOR_ROLES: frozenset[str] = frozenset({
    Role.PROVINCIAL_ANALYST, Role.UNION_SUPERVISOR, Role.SYSTEM_ADMINISTRATOR,
})


def role_allows(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and perm in ROLE_PERMISSIONS.get(membership.role, frozenset())


def can(membership: Membership | None, perm: Perm, obj: models.Model | None = None) -> bool:
    """Whether ``membership`` may do ``perm`` (on ``obj``, when given). Default deny."""
    if not role_allows(membership, perm):
        return False
    if obj is None:
        return True
    assert membership is not None  # role_allows checked it
    # Within a request the middleware hands the membership one checker, which caches each object's
    # permissions, so a page asking several questions about one case reads them once. Elsewhere
    # (services, commands) every call asks the database afresh.
    checker = getattr(membership, "permission_checker", None) or ObjectPermissionChecker(membership.organisation.group)
    return checker.has_perm(perm.codename, obj)


def objects_for(membership: Membership | None, perm: Perm, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The rows of ``queryset`` on which ``membership`` may do ``perm``, filtered in the database.

    Reads guardian's direct foreign-key permission model for the queryset's model (one join, indexed),
    never global permissions.
    """
    if not role_allows(membership, perm):
        return queryset.none()
    assert membership is not None
    # Direct foreign-key permission models only (see STYLE.md): one indexed join, no generic pk casts.
    perm_model = get_group_obj_perms_model(queryset.model)
    rows = perm_model.objects.filter(
        group_id=membership.organisation.group_id,
        permission__codename=perm.codename,
        permission__content_type__app_label=queryset.model._meta.app_label,
    )
    return queryset.filter(pk__in=rows.values("content_object_id"))


def get_object_for(
    membership: Membership | None,
    perm: Perm,
    *,
    visible: models.QuerySet[M],
    pk: Any,
) -> M:
    """The gate for one object.

    ``visible`` is the caller's visibility queryset for this membership (already filtered in SQL).
    Not in it → 404, so nobody learns that the object exists. Visible but ``perm`` not allowed → 403.
    """
    try:
        obj = visible.get(pk=pk)
    # A malformed id is as unknown as a missing one.
    except (visible.model.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404 from None
    if not can(membership, perm, obj):
        raise PermissionDenied
    return obj


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., "HttpResponse"])


def requires(*perms: Perm) -> Callable[[ViewFunc], ViewFunc]:
    """Declare, on a view, the role permission it needs (any of ``perms``); 403 when the acting
    membership has none of them.

    Object views also call their app's gate; this decorator is the up-front, role-level half.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if not any(role_allows(membership, perm) for perm in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_perms = perms  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
