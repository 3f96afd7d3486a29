"""Access-matrix rows for the referrals app."""

from accounts.models import Role
from tests.access import FORBIDDEN, Row, only
from tests.casework.builders import case_a, case_b
from tests.referrals.builders import referral_a, referral_b

V, L, P = Role.VOLUNTEER, Role.LEAD, Role.PARTNER_OFFICER
SENDERS = {V, L}
BOTH = {V, L, P}


def _ref_a(c, m):  # type: ignore[no-untyped-def]
    return {"pk": referral_a(c).pk}


def _ref_b(c, m):  # type: ignore[no-untyped-def]
    return {"pk": referral_b(c).pk}


def _case_a(c, m):  # type: ignore[no-untyped-def]
    return {"case_pk": case_a(c).pk}


def _case_b(c, m):  # type: ignore[no-untyped-def]
    return {"case_pk": case_b(c).pk}


ROWS = [
    Row("referrals:directory", only({V, L, P, Role.UNION_SUPERVISOR, Role.SYSTEM_ADMINISTRATOR})),
    Row("referrals:inbox", only({P})),
    Row("referrals:notifications", only(BOTH)),
    Row("referrals:case-referrals", only(SENDERS), kwargs=_case_a, foreign=_case_b),
    Row("referrals:referral-create", only(SENDERS), kwargs=_case_a, foreign=_case_b),
    Row("referrals:referral-detail", only(BOTH), kwargs=_ref_a, foreign=_ref_b),
    # Sending an already-sent referral: refused with a clear message (409), never a silent success.
    Row("referrals:referral-send", only(SENDERS, status=409) | {P: FORBIDDEN}, method="post",
        kwargs=_ref_a, foreign=_ref_b),
    # An unknown action is refused (409) for both sides; the gate answered first for everyone else.
    Row("referrals:referral-act", only(BOTH, status=409), method="post", kwargs=_ref_a, foreign=_ref_b,
        data={"action": "bogus"}),
    Row("referrals:referral-note", only(BOTH, status=400), method="post", kwargs=_ref_a, foreign=_ref_b,
        data={"note": ""}),
    Row("referrals:referral-slip", only(BOTH), kwargs=_ref_a, foreign=_ref_b),
]


