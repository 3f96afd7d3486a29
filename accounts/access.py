"""The one place that says who may see and do what.

Two questions decide every access:

1. Does the *role* of the acting membership allow this kind of action at all?  (``ROLE_PERMISSIONS``,
   the table published in the README and asserted by ``tests/accounts/test_role_table.py``.)
2. For an action on one object: does the membership's *organisation* hold the object permission on
   that object?  Object permissions are django-guardian rows granted to the organisation's group by the
   services that create or share the object — never global model permissions, so neither guardian's
   ``accept_global_perms`` nor a superuser flag can widen anyone's scope.

Apps build their gates from :func:`get_object_for`, their list filters from :func:`objects_for`, and
their services start with :func:`require`; "which members may do this" is :func:`members_who_may`. A
role list written anywhere else is a second policy: ask this module instead.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.utils import get_group_obj_perms_model

from accounts.models import Membership, MembershipQuerySet, Organisation, Role

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from accounts.models import AccountLink, User

M = TypeVar("M", bound=models.Model)
QS = TypeVar("QS", bound=models.QuerySet[Any])


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


# --- Separation of duties: who confirms a grant, who hands out password links --------------------
# Operators manage users, organisations and memberships, but never read case contents: so nobody acts
# on their own account, and a role that reads what survivors told is in force only once a second
# person, in the organisation, has confirmed it for whoever can sign in to the account.

# Roles that read survivors' full records, straight from the table above.
CASE_READING_ROLES: frozenset[str] = frozenset(
    role for role, perms in ROLE_PERMISSIONS.items() if Perm.CASE_VIEW in perms
)

# Roles that are in force only once confirmed, and the role in the same organisation that confirms
# them. Case readers read survivors' records. Partner officers read what a survivor agreed to share in
# a referral — her name, how to reach her, what happened — so an officer account invented by an
# operator would read it too. Supervisors confirm the grants of organisations in their area that have
# no confirmer of their own, so an unchecked supervisor could confirm anyone there.
GRANT_CONFIRMED_BY: dict[str, str] = {
    Role.VOLUNTEER: Role.LEAD,
    Role.LEAD: Role.LEAD,
    Role.PARTNER_OFFICER: Role.PARTNER_OFFICER,
    Role.UNION_SUPERVISOR: Role.UNION_SUPERVISOR,
}
CONFIRMED_ROLES: frozenset[str] = frozenset(GRANT_CONFIRMED_BY)
# Confirms, within its area, the grants of an organisation with no active confirmer of its own (a
# trusted address without a lead, a partner without an officer, a Women's Union office without a
# supervisor). What nobody in the application can confirm (a district's first supervisor, the first
# officer of a province-wide service) is confirmed from the server console: `manage.py confirm_membership`.
AREA_CONFIRMER_ROLE: str = Role.UNION_SUPERVISOR
GRANT_CONFIRMER_ROLES: frozenset[str] = frozenset(GRANT_CONFIRMED_BY.values()) | {AREA_CONFIRMER_ROLE}
# Roles that may hand a one-time password link, in person, to the members of their own organisation
# (operators may for anyone).
MEMBER_LINK_ROLES: frozenset[str] = frozenset({Role.LEAD})


def confirms_grants(membership: Membership | None) -> bool:
    return membership is not None and membership.role in GRANT_CONFIRMER_ROLES


def issues_member_links(membership: Membership | None) -> bool:
    return membership is not None and membership.role in MEMBER_LINK_ROLES


def may_confirm_grant(by: Membership | None, grant: Membership, *, own_confirmer_exists: bool) -> bool:
    """Whether ``by`` may confirm (or decline) ``grant``.

    Never the grant's own user, never the one who asked for it. Otherwise: a holder of the confirming
    role in the grant's organisation (``GRANT_CONFIRMED_BY``); or, when the organisation has no active
    holder of it (``own_confirmer_exists`` is False), a supervisor whose area contains the organisation.
    """
    confirmer_role = GRANT_CONFIRMED_BY.get(grant.role)
    if by is None or confirmer_role is None:
        return False
    if by.user_id in (grant.user_id, grant.requested_by_id):
        return False
    if by.organisation_id == grant.organisation_id:
        return by.role == confirmer_role
    return (
        by.role == AREA_CONFIRMER_ROLE
        and not own_confirmer_exists
        and grant.organisation.area.path.startswith(by.organisation.area.path)
    )


def own_confirmer_exists(grant: Membership) -> bool:
    """Whether the grant's organisation has an active holder of the role that confirms it."""
    confirmer_role = GRANT_CONFIRMED_BY.get(grant.role)
    return confirmer_role is not None and Membership.objects.active().filter(
        organisation_id=grant.organisation_id, role=confirmer_role
    ).exists()


def in_app_confirmers(grant: Membership) -> models.QuerySet[Membership]:
    """The active memberships that may confirm ``grant`` in the application (the same answer as
    ``may_confirm_grant``, as a query): who to send a grant to, and what the console must not bypass."""
    confirmer_role = GRANT_CONFIRMED_BY.get(grant.role)
    if confirmer_role is None:
        return Membership.objects.none()
    candidates = Membership.objects.active().exclude(user_id=grant.user_id)
    if grant.requested_by_id is not None:
        candidates = candidates.exclude(user_id=grant.requested_by_id)
    if own_confirmer_exists(grant):
        return candidates.filter(organisation_id=grant.organisation_id, role=confirmer_role)
    return candidates.filter(role=AREA_CONFIRMER_ROLE,
                             organisation__area__in=grant.organisation.area.ancestors_and_self())


def grant_decider(by: Membership | None, grant: Membership, *, own_confirmer_exists: bool) -> str | None:
    """What ``by`` is for this grant, in the terms of ``Membership.TRANSITIONS``."""
    if by is None:
        return Membership.Decider.SYSTEM
    if role_allows(by, Perm.ADMINISTER):
        return Membership.Decider.OPERATOR
    if may_confirm_grant(by, grant, own_confirmer_exists=own_confirmer_exists):
        return Membership.Decider.CONFIRMER
    return None


def grants_in_scope(membership: Membership | None) -> MembershipQuerySet:
    """The grants, in any state, that are this membership's to confirm — filtered in SQL.

    Its own organisation's grants of the roles it confirms; for a supervisor also those of every
    organisation in its area that has, right now, no active confirmer of its own. The row-level rules
    (not oneself, not the one who asked) are ``may_confirm_grant``'s.
    """
    if not confirms_grants(membership):
        return Membership.objects.none()
    assert membership is not None
    confirmer_role = Case(
        *[When(role=role, then=Value(confirmer)) for role, confirmer in GRANT_CONFIRMED_BY.items()],
        default=Value(""), output_field=CharField(),
    )
    own_confirmers = Membership.objects.active().filter(
        organisation=OuterRef("organisation"), role=OuterRef("confirmer_role")
    )
    confirmed_here = [role for role, confirmer in GRANT_CONFIRMED_BY.items() if confirmer == membership.role]
    scope = Q(organisation_id=membership.organisation_id, role__in=confirmed_here)
    if membership.role == AREA_CONFIRMER_ROLE:
        scope |= Q(
            role__in=CONFIRMED_ROLES, has_own_confirmer=False,
            organisation__area__path__startswith=membership.organisation.area.path,
        )
    return (
        Membership.objects.annotate(confirmer_role=confirmer_role, has_own_confirmer=Exists(own_confirmers))
        .filter(scope)
    )


def get_grant_for(membership: Membership | None, pk: Any) -> Membership:
    """The gate for one grant: not in the membership's scope → 404; in scope but not its to decide
    (its own, or one it asked for) → 403."""
    grant = visible_or_404(
        grants_in_scope(membership).select_related("user", "organisation__area", "requested_by"), pk
    )
    own = grant.has_own_confirmer  # type: ignore[attr-defined]  # annotated by grants_in_scope
    if not may_confirm_grant(membership, grant, own_confirmer_exists=own):
        raise PermissionDenied
    return grant


def may_issue_link(by: Membership | None, user: User) -> bool:
    """Whether ``by`` may create a one-time password link for ``user``: an operator for anyone, a lead
    for the members of their own address — never anyone for their own account."""
    if by is None or by.user_id == user.pk:
        return False
    if role_allows(by, Perm.ADMINISTER):
        return True
    return issues_member_links(by) and Membership.objects.live().filter(
        organisation_id=by.organisation_id, user=user
    ).exists()


def link_keeps_in_force(link: AccountLink, grant: Membership) -> bool:
    """Whether ``grant`` stays in force once its user has chosen a password with ``link``.

    Whoever holds a link can choose the password and sign in, so a role that needs confirmation stays
    in force only when the link was handed over in person by that role's own confirmer (a lead, for her
    address's members), acting in that position still. Every other link — an operator's, any e-mailed
    one, "Forgot password?" — sends the role back to be confirmed, with the code that only the account's
    holder sees.
    """
    if grant.role not in CONFIRMED_ROLES:
        return True
    issuer = link.created_as
    return (
        link.delivery == link.Delivery.HANDED
        and issuer is not None
        and issuer.is_active
        and may_confirm_grant(issuer, grant, own_confirmer_exists=True)
    )


def role_allows(membership: Membership | None, perm: Perm) -> bool:
    return membership is not None and perm in ROLE_PERMISSIONS.get(membership.role, frozenset())


def roles_with(perm: Perm) -> frozenset[str]:
    """The roles whose row in the table holds ``perm`` — read at each call, so the table decides."""
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if perm in perms)


def members_who_may(perm: Perm, organisation: Organisation | uuid.UUID) -> models.QuerySet[Membership]:
    """The active memberships of ``organisation`` whose role allows ``perm``: who may be assigned a
    case, who is told about a referral."""
    return Membership.objects.active().filter(organisation=organisation, role__in=roles_with(perm))


def may_open_case(membership: Membership | None) -> bool:
    """Cases are opened at a trusted address, by a role that may add cases. Cases carry their object
    permissions only once they exist, so this question is asked of the organisation's kind."""
    return (role_allows(membership, Perm.CASE_ADD)
            and membership is not None
            and membership.organisation.kind == Organisation.Kind.TRUSTED_ADDRESS)


# An action named in one app, asked about an object of another, is answered by the object permission
# the organisation holds on that object: a case carries no referral permissions, and referring a case
# needs the right to work on it.
HELD_AS: dict[tuple[str, Perm], Perm] = {
    ("casework.case", Perm.REFERRAL_SEND): Perm.CASE_CHANGE,
}


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
    held = HELD_AS.get((obj._meta.label_lower, perm), perm)
    return checker.has_perm(held.codename, obj)


def require(membership: Membership | None, perm: Perm, obj: models.Model | None = None) -> None:
    """What every service asks first: the gate's answer (role table, then the organisation's object
    permission on ``obj``), raised as PermissionDenied when it is no."""
    if not can(membership, perm, obj):
        raise PermissionDenied


def objects_for(membership: Membership | None, perm: Perm, queryset: QS) -> QS:
    """The rows of ``queryset`` on which ``membership`` may do ``perm``, filtered in the database.

    Reads guardian's direct foreign-key permission model for the queryset's model (one join, indexed),
    never global permissions.
    """
    if not role_allows(membership, perm):
        return queryset.none()
    assert membership is not None
    # Direct foreign-key permission models only (see STYLE.md): one indexed join, no generic pk casts.
    # guardian's signature names an instance; it takes the model class as well.
    perm_model: Any = get_group_obj_perms_model(cast(Any, queryset.model))
    rows = perm_model.objects.filter(
        group_id=membership.organisation.group_id,
        permission__codename=perm.codename,
        permission__content_type__app_label=queryset.model._meta.app_label,
    )
    filtered: QS = queryset.filter(pk__in=rows.values("content_object_id"))
    return filtered


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
    obj = visible_or_404(visible, pk)
    if not can(membership, perm, obj):
        raise PermissionDenied
    return obj


def visible_or_404(visible: models.QuerySet[M], pk: Any) -> M:
    try:
        return visible.get(pk=pk)
    # A malformed id is as unknown as a missing one.
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404 from None


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

        return cast(ViewFunc, wrapper)

    return decorator


def requires_that(check: Callable[[Membership | None], bool]) -> Callable[[ViewFunc], ViewFunc]:
    """Declare, on a view, a policy question about the acting membership (one of this module's named
    functions); 403 when it answers no."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(getattr(request, "membership", None)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapper)

    return decorator
