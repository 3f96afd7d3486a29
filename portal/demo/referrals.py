"""Demo partner directory and referrals in every state (``seed_demo``).

Runs after the casework demo (``portal.demo.BUILDERS``), writes through the referrals services, and is
idempotent: a demo case that already has referrals is left as it is.
Referrals that must look old (overdue, expired) are back-dated after sending — demo data only.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accounts.demo import ADDRESS_A, ADDRESS_B, HEALTH_B, POLICE_A, Demo
from accounts.models import Membership, Organisation, Role
from casework import services as casework_services
from casework.models import Case, Consent
from core.history import stamp
from referrals import services
from referrals.models import Action, PartnerProfile, PartnerService, Referral, Service

SERVICES_BY_KIND: dict[str, list[str]] = {
    Organisation.Kind.COMMUNE_POLICE: [Service.POLICE_PROTECTION],
    Organisation.Kind.HEALTH_STATION: [Service.MEDICAL_CARE, Service.PSYCHOSOCIAL],
    Organisation.Kind.LEGAL_AID: [Service.LEGAL_AID],
    Organisation.Kind.SOCIAL_PROTECTION: [Service.SOCIAL_PROTECTION, Service.PSYCHOSOCIAL, Service.LIVELIHOOD],
}
HOURS_BY_KIND: dict[str, str] = {
    Organisation.Kind.COMMUNE_POLICE: "Trực 24/24",
    Organisation.Kind.HEALTH_STATION: "7:00–17:00; cấp cứu 24/24",
}

# The path each demo referral takes after sending, and how long ago it was sent.
ROUTES: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("draft", (), 0),
    ("new", (), 1),
    ("overdue", (), 30),
    ("accepted", (Action.ACCEPT,), 20),
    ("in_progress", (Action.ACCEPT, Action.START), 72),
    ("completed", (Action.ACCEPT, Action.START, Action.COMPLETE), 240),
    ("declined", (Action.DECLINE,), 120),
    ("closed", (Action.ACCEPT, Action.CLOSE_WITHOUT_SERVICE), 200),
    ("withdrawn", (Action.WITHDRAW,), 100),
    ("expired", (Action.EXPIRE,), 300),
)
NOTES: dict[str, str] = {
    Action.DECLINE: "Không thuộc địa bàn phụ trách; đã hướng dẫn liên hệ Công an xã bên cạnh.",
    Action.COMPLETE: "Đã tiếp nhận, lập biên bản và ra quyết định cấm tiếp xúc 3 ngày.",
    Action.CLOSE_WITHOUT_SERVICE: "Chị ấy không muốn tiếp tục làm việc với chúng tôi.",
    Action.WITHDRAW: "Chị ấy đã an toàn ở nhà mẹ đẻ, không cần hỗ trợ nữa.",
}


def build_demo_referrals(demo: Demo) -> None:
    _build_directory(demo)
    pairs = ((ADDRESS_A, POLICE_A, Consent.Scope.SHARE_POLICE), (ADDRESS_B, HEALTH_B, Consent.Scope.SHARE_HEALTH))
    for address_key, partner_key, scope in pairs:
        address, partner = demo.organisations.get(address_key), demo.organisations.get(partner_key)
        if address is None or partner is None:  # outside --only-area
            continue
        sender = _sender(demo, address)
        officer = Membership.objects.active().filter(organisation=partner, role=Role.PARTNER_OFFICER).first()
        if sender is None or officer is None:
            continue
        cases = list(Case.objects.filter(trusted_address=address, status=Case.Status.OPEN)
                     .order_by("opened_on", "survivor__code")[: len(ROUTES)])
        for case, route in zip(cases, ROUTES, strict=False):
            _build_referral(demo, case, partner, scope, sender, officer, route)


def _build_directory(demo: Demo) -> None:
    for organisation in demo.organisations.values():
        if organisation.kind not in SERVICES_BY_KIND:
            continue
        profile = PartnerProfile.objects.filter(organisation=organisation).first()
        if profile is not None:
            demo.record(profile, created=False)
            continue
        profile = PartnerProfile(organisation=organisation, phone="0260 3 8" + organisation.area.code[-5:],
                                 address=f"{organisation.area.name}, {demo.province.name}",
                                 opening_hours=HOURS_BY_KIND.get(organisation.kind, "7:00–11:30, 13:30–17:00"))
        profile.full_clean()
        stamp(profile, user=None, reason="demo")
        profile.save()
        for service in SERVICES_BY_KIND[organisation.kind]:
            PartnerService.objects.create(profile=profile, service=service)
        demo.record(profile, created=True)


def _sender(demo: Demo, address: Organisation) -> Membership | None:
    volunteers = Membership.objects.active().filter(organisation=address, role=Role.VOLUNTEER)
    return volunteers.order_by("user__username").first()


def _build_referral(demo: Demo, case: Case, partner: Organisation, scope: str, sender: Membership,
                    officer: Membership, route: tuple[str, tuple[str, ...], int]) -> None:
    existing = case.referrals.first()
    if existing is not None:
        demo.record(existing, created=False)
        return
    name, actions, hours_ago = route
    if not case.consents.current().filter(scope=scope).exists():
        casework_services.consent_give(case=case, by=sender, scope=scope, given_by=Consent.GivenBy.SURVIVOR,
                                       given_on=case.opened_on)
    referral = services.referral_create(
        case=case, partner=partner, by=sender, services=SERVICES_BY_KIND[partner.kind][:1],
        urgency=Referral.Urgency.URGENT if name in ("new", "overdue") else Referral.Urgency.ROUTINE,
        reason="Chị ấy cần được bảo vệ và hỗ trợ.",
        shared_fields=["code", "sex", "age_band", "commune", "phone", "incident_type", "risk_level"],
    )
    if name != "draft":
        referral = services.referral_send(referral=referral, by=sender)
    for action in actions:
        actor = None if action == Action.EXPIRE else sender if action == Action.WITHDRAW else officer
        referral = services.referral_act(referral=referral, action=action, by=actor, note=NOTES.get(action, ""))
    if name != "draft":
        _backdate(referral, hours_ago=hours_ago)
    demo.record(referral, created=True, label=f"{case.survivor.code} → {partner.name}: {referral.get_status_display()}")


def _backdate(referral: Referral, *, hours_ago: int) -> None:
    """Move the referral's times back so the demo shows overdue and expired referrals and real
    times to acceptance. Demo data only: a saved change with its own history reason."""
    if hours_ago <= 1:
        return
    sent = timezone.now() - dt.timedelta(hours=hours_ago)
    response_hours = settings.REFERRAL_RESPONSE_HOURS[referral.urgency]
    referral.sent_at = sent
    referral.respond_by = sent + dt.timedelta(hours=response_hours)
    if referral.accepted_at:
        referral.accepted_at = sent + dt.timedelta(hours=min(3, response_hours - 1) or 1)
    if referral.closed_at:
        referral.closed_at = sent + dt.timedelta(hours=hours_ago // 2)
    stamp(referral, user=None, reason="demo: back-dated")
    referral.save()
