"""Access-matrix rows for the separation-of-duties pages (accounts/views_grants.py, views_passwords.py)."""

from accounts.models import Role
from tests.access import ANON, OK, REDIRECT, Row, everyone, only
from tests.accounts.builders import grant_at_b, grant_for_confirmer

L, P, S = Role.LEAD, Role.PARTNER_OFFICER, Role.UNION_SUPERVISOR
CONFIRMERS = {L, P, S}


def _grant(c, m):  # type: ignore[no-untyped-def]
    return {"pk": grant_for_confirmer(c, m).pk}


def _grant_b(c, m):  # type: ignore[no-untyped-def]
    return {"pk": grant_at_b(c).pk}


def _alice(c, m):  # type: ignore[no-untyped-def]
    return {"pk": c.volunteer_a.pk}


def _charlie(c, m):  # type: ignore[no-untyped-def]
    return {"pk": c.volunteer_b.pk}


ROWS = [
    Row("accounts:grants", only(CONFIRMERS)),
    # A wrong code: the page again, with the message beside the field (nothing confirmed).
    Row("accounts:grant-confirm", only(CONFIRMERS), method="post", kwargs=_grant, foreign=_grant_b,
        data={"code": "000000"}),
    Row("accounts:grant-decline", only(CONFIRMERS, status=REDIRECT), method="post", kwargs=_grant,
        foreign=_grant_b),
    # The lead hands a member of her own address a link (then shown once on accounts:link-show).
    Row("accounts:member-link", only({L}, status=REDIRECT), method="post", kwargs=_alice, foreign=_charlie),
    Row("accounts:link-show", everyone(OK)),
    Row("accounts:email-change", everyone(OK)),
    # Public: "Forgot password?" and the one-time link (an unknown token: the same "cannot be used" page).
    Row("accounts:password-forgot", everyone(OK, **{ANON: OK})),
    Row("accounts:link-use", everyone(OK, **{ANON: OK}), kwargs=lambda c, m: {"token": "not-a-token"}),
    Row("accounts:link-set-password", everyone(OK, **{ANON: OK})),
]
