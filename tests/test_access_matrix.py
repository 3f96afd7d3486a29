"""The access matrix: every URL name × every role → the expected status.

Every URL name in the URL map must have a row here, so a new view without one fails the suite. Every
object-addressed row is also tried with an id the acting user must not see, which must answer 404
(or 403 when the role is refused before any lookup) — never the page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.admin_site import admin_site
from accounts.models import Membership, Role
from tests.access import ANON, FORBIDDEN, NOT_FOUND, OK, REDIRECT, ROLES, Kwargs, Row, everyone, only
from tests.conftest import Cast, signed_in
from tests.indicators.builders import plan_target
from tests.referrals.builders import partner_profile


def _own_membership(cast: Cast, m: Membership | None) -> dict[str, object]:
    return {"pk": m.pk if m else cast.volunteer_a.pk}


def _someone_elses_membership(cast: Cast, m: Membership | None) -> dict[str, object]:
    return {"pk": cast.volunteer_b.pk}


ROWS: list[Row] = [
    Row("home", everyone(OK)),
    Row("accounts:login", everyone(REDIRECT, **{ANON: OK})),
    Row("accounts:logout", everyone(REDIRECT), method="post"),
    Row("accounts:profile", everyone(OK)),
    Row("accounts:password-change", everyone(OK)),
    Row("accounts:otp-verify", everyone(OK)),
    # Roles with a confirmed second factor are sent on to verification instead of enrolling again.
    Row("accounts:otp-setup", everyone(OK) | {r: REDIRECT for r in
        (Role.UNION_SUPERVISOR, Role.PROVINCIAL_ANALYST, Role.SYSTEM_ADMINISTRATOR)}),
    Row("accounts:membership-choose", everyone(OK)),
    Row("accounts:membership-switch", everyone(REDIRECT), method="post",
        kwargs=_own_membership, foreign=_someone_elses_membership),
    Row("set_language", everyone(REDIRECT), method="post", data={"language": "en", "next": "/"}),
    # The page script's idle time-out warning: every signed-in user, nobody else.
    Row("accounts:session-status", everyone(OK)),
    Row("accounts:session-extend", everyone(OK), method="post"),
]


# --- The operator's administration (Django admin): system administrators only ------------------
def _admin_rows() -> list[Row]:
    sysadmin_only = only({Role.SYSTEM_ADMINISTRATOR})
    rows = [
        Row("admin:index", sysadmin_only),
        Row("admin:autocomplete", only({Role.SYSTEM_ADMINISTRATOR}, status=OK)
            | {Role.SYSTEM_ADMINISTRATOR: 403}),  # autocomplete without a field: refused by Django
        Row("admin:jsi18n", sysadmin_only),
        Row("admin:app_list", sysadmin_only, kwargs=lambda c, m: {"app_label": "accounts"}),
        # One sign-in and one sign-out page for the whole site.
        Row("admin:login", everyone(FORBIDDEN, **{ANON: REDIRECT, Role.SYSTEM_ADMINISTRATOR: REDIRECT})),
        Row("admin:logout", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: REDIRECT}),
        # The operator's own password changes on accounts:password-change, like everyone's.
        Row("admin:password_change", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: REDIRECT}),
        Row("admin:password_change_done", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: REDIRECT}),
        Row("admin:view_on_site", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: NOT_FOUND},
            kwargs=lambda c, m: {"content_type_id": 1, "object_id": 1}),
        # Operators never set another user's password: the page is gone (404), even for the operator.
        Row("admin:auth_user_password_change", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: NOT_FOUND},
            kwargs=lambda c, m: {"id": c.volunteer_a.user_id}),
        # Instead they create a one-time link with which its holder chooses a password (shown once).
        Row("admin:accounts_user_password_link", sysadmin_only | {Role.SYSTEM_ADMINISTRATOR: REDIRECT},
            method="post", kwargs=lambda c, m: {"id": c.volunteer_a.user_id}, data={"delivery": "handed"}),
    ]
    objects: dict[str, Callable[[Cast], object]] = {
        "accounts_user": lambda c: c.volunteer_a.user_id,
        "accounts_adminunit": lambda c: c.commune1.pk,
        "accounts_organisation": lambda c: c.address_a.pk,
        "accounts_membership": lambda c: c.volunteer_a.pk,
        "referrals_partnerprofile": lambda c: partner_profile(c).pk,
        "indicators_plantarget": lambda c: plan_target(c).pk,
    }
    for model in admin_site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pk_of = objects[f"{model._meta.app_label}_{model._meta.model_name}"]
        rows += [
            Row(f"{prefix}_changelist", sysadmin_only),
            Row(f"{prefix}_add", sysadmin_only),
            Row(f"{prefix}_change", sysadmin_only, kwargs=lambda c, m, p=pk_of: {"object_id": p(c)}),
            Row(f"{prefix}_history", sysadmin_only, kwargs=lambda c, m, p=pk_of: {"object_id": p(c)}),
            # Nothing is deleted: users and organisations are deactivated, history points at them.
            Row(f"{prefix}_delete", only(set(), others=FORBIDDEN), kwargs=lambda c, m, p=pk_of: {"object_id": p(c)}),
        ]
        if f"{prefix}_simple_history" in _all_url_names():
            # simple-history's "view this past version" page: positional (object id, history id).
            rows.append(Row(f"{prefix}_simple_history", sysadmin_only,
                            kwargs=lambda c, m, p=pk_of, mdl=model: {"_args": [
                                p(c), mdl.history.filter(**{mdl._meta.pk.attname: p(c)}).latest().history_id]}))
    return [r for r in rows if r.url_name in _all_url_names()]


def _all_url_names() -> set[str]:
    def walk(resolver: URLResolver, namespace: str | None) -> set[str]:
        names: set[str] = set()
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                names |= walk(pattern, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
        return names

    return walk(get_resolver(), None)


def _app_rows() -> list[Row]:
    rows: list[Row] = []
    for path in sorted(Path(__file__).parent.rglob("access_rows*.py")):
        module = ".".join(path.relative_to(Path(__file__).parent.parent).with_suffix("").parts)
        rows += importlib.import_module(module).ROWS
    return rows


ALL_ROWS = ROWS + _admin_rows() + _app_rows()


def test_every_url_name_has_a_row_in_the_matrix():
    covered = {row.url_name for row in ALL_ROWS}
    missing = _all_url_names() - covered
    assert not missing, f"URL names without an access-matrix row: {sorted(missing)}"
    assert len(covered) == len(ALL_ROWS), "a URL name has two rows"


def _request(row: Row, client, cast: Cast, membership: Membership | None, kwargs_fn: Kwargs | None):
    kwargs = kwargs_fn(cast, membership) if kwargs_fn else {}
    args = kwargs.pop("_args", None)
    url = reverse(row.url_name, args=args) if args else reverse(row.url_name, kwargs=kwargs)
    return getattr(client, row.method)(url, row.data) if row.method == "post" else client.get(url)


@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda r: r.url_name)
def test_each_role_gets_the_expected_status(row: Row, cast: Cast, client):
    members = cast.by_role()
    for role in ROLES:
        membership = members.get(role)
        acting = signed_in(membership) if membership else client
        response = _request(row, acting, cast, membership, row.kwargs)
        assert response.status_code == row.expect[role], (
            f"{row.url_name} as {role}: {response.status_code}, expected {row.expect[role]}"
        )


@pytest.mark.parametrize("row", [r for r in ALL_ROWS if r.foreign], ids=lambda r: r.url_name)
def test_object_views_hide_objects_the_user_must_not_see(row: Row, cast: Cast):
    for role, membership in cast.by_role().items():
        response = _request(row, signed_in(membership), cast, membership, row.foreign)
        # Roles refused up front (403) stay refused; every other role must not learn the object exists.
        expected = row.expect[role] if row.expect[role] == FORBIDDEN else NOT_FOUND
        assert response.status_code == expected, f"{row.url_name} as {role} on a foreign object"
