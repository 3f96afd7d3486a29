"""Referrals for tests, built through the services."""

from __future__ import annotations

from accounts.models import Membership
from referrals import services
from referrals.models import Referral, Service
from tests.casework.builders import _cached, case_a, case_b
from tests.conftest import Cast


def draft(cast: Cast, *, by: Membership | None = None, case=None, partner=None,  # type: ignore[no-untyped-def]
          shared_fields: tuple[str, ...] = ("code", "sex", "age_band", "phone"),
          urgency: str = Referral.Urgency.ROUTINE) -> Referral:
    return services.referral_create(
        case=case or case_a(cast), partner=partner or cast.police1, by=by or cast.volunteer_a,
        services=[Service.POLICE_PROTECTION], urgency=urgency, reason="Cần bảo vệ khẩn.",
        shared_fields=list(shared_fields),
    )


def sent(cast: Cast, **kwargs: object) -> Referral:
    referral = draft(cast, **kwargs)  # type: ignore[arg-type]
    return services.referral_send(referral=referral, by=kwargs.get("by") or cast.volunteer_a)  # type: ignore[arg-type]


def referral_a(cast: Cast) -> Referral:
    """A referral of case A to the commune police of commune 1, sent (police may see it)."""
    return _cached(cast, "referral_a", lambda: sent(cast))


def referral_b(cast: Cast) -> Referral:
    """A referral of case B to the health station of commune 2: neither alice nor the police may see it."""

    def build() -> Referral:
        from casework import services as cw
        from casework.models import Consent

        case = case_b(cast)
        cw.consent_give(case=case, by=cast.volunteer_b, scope=Consent.Scope.SHARE_HEALTH,
                        given_by=Consent.GivenBy.SURVIVOR, given_on=case.opened_on)
        referral = services.referral_create(case=case, partner=cast.health2, by=cast.volunteer_b,
                                            services=[Service.MEDICAL_CARE], urgency=Referral.Urgency.ROUTINE,
                                            reason="", shared_fields=["code", "sex"])
        return services.referral_send(referral=referral, by=cast.volunteer_b)

    return _cached(cast, "referral_b", build)


def partner_profile(cast: Cast):  # type: ignore[no-untyped-def]
    """The directory entry of the commune police of commune 1."""
    from referrals.models import PartnerProfile, PartnerService

    def build():  # type: ignore[no-untyped-def]
        profile = PartnerProfile.objects.create(organisation=cast.police1, phone="0260 3861 113",
                                                opening_hours="7:00–17:00, trực 24/24")
        PartnerService.objects.create(profile=profile, service=Service.POLICE_PROTECTION)
        return profile

    return _cached(cast, "partner_profile", build)
