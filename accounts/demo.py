"""The demo: one province of trusted addresses, partners and Women's Union offices, with one user per
role, for showing and trying the system (``python manage.py seed_demo``).

Everything is written through ``accounts.services`` (or, for demo users, who get the published demo
password, and two-step devices, with ``full_clean()`` before ``save()``), and looked up before it is
created, so a second run creates nothing and changes nothing. Nothing here runs in production mode.

The place names are real districts and communes of Kon Tum under the 2021–2025 three-level
hierarchy; the commune and village codes follow the official pattern but are illustrative, not the
statistics office's list.

The other apps' demo data
-------------------------
``accounts`` must not import casework, referrals or indicators, so their demo data is built in the
top-layer ``portal.demo``, which ``seed_demo`` runs after :func:`build_demo` with the :class:`Demo` it
returns; the keys below (``ADDRESS_A``, ``POLICE_A``, …) name the organisations those builders use.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import access, services
from accounts.access import TWO_FACTOR_ROLES
from accounts.models import AdminUnit, Membership, Organisation, Role, User

DEFAULT_PASSWORD = "demo-thu-nghiem-2025"
DEFAULT_PROVINCE_CODE = "62"
DEFAULT_PROVINCE_NAME = "Kon Tum"

# The demo's two-step devices share one published key, so a presenter can add a single entry to an
# authenticator app. It is safe only because demo data never exists in production mode.
DEMO_DEVICE_NAME = "demo"
DEMO_TOTP_KEY = b"diachi-tin-cay-demo!".hex()  # 20 bytes, as django-otp recommends

# Keys of the organisations other apps' builders are expected to use.
ADDRESS_A = "address_a"  # làng Kon Chênh, xã Măng Cành: has a lead and two volunteers
ADDRESS_B = "address_b"  # xã Hiếu: has a lead and two volunteers (one shared with A)
POLICE_A = "police_a"  # công an xã Măng Cành: has a partner officer
HEALTH_B = "health_b"  # trạm y tế xã Hiếu: has a partner officer
LEGAL_AID = "legal_aid"
SOCIAL_PROTECTION = "social_protection"
UNION_DISTRICT = "union_district"  # Hội LHPN huyện Kon Plông: has the supervisor
UNION_PROVINCE = "union_province"  # Hội LHPN tỉnh: has the analyst and the administrator

_PROVINCE_CODE = re.compile(r"[0-9]{2}")
# Province (2 digits), district (3), commune (5), village ("<commune>-NN").
_AREA_CODE = re.compile(r"[0-9]{2}|[0-9]{3}|[0-9]{5}|[0-9]{5}-[0-9]{2}")


class DemoError(Exception):
    """A demo that cannot be built as asked; the message is translated and meant for the operator."""


# --- The plan: what the demo consists of -----------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    level: str
    code: str
    name: str
    parent: str | None  # the parent's code


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    name: str
    kind: str
    area: str  # the unit's code
    established_on: dt.date | None = None
    programme_status: str = ""
    is_active: bool = True


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    memberships: tuple[tuple[str, str], ...]  # (role, organisation key)

    @property
    def needs_two_factor(self) -> bool:
        return any(role in TWO_FACTOR_ROLES for role, _key in self.memberships)


@dataclass(frozen=True)
class DemoPlan:
    units: tuple[UnitSpec, ...]
    organisations: tuple[OrganisationSpec, ...]
    users: tuple[UserSpec, ...]

    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    def limited_to(self, code: str) -> DemoPlan:
        """The part of the plan at and under unit ``code``, plus the chain of units above it and the
        organisations that serve that chain (Women's Union offices, province-wide centres), so every
        role that can work there still has a user.

        Raises :class:`DemoError` for a code that is not in the plan.
        """
        by_code = {u.code: u for u in self.units}
        if code not in by_code:
            raise DemoError(
                _("There is no administrative unit with code %(code)s in the demo. Codes you can use: "
                  "%(codes)s.") % {"code": code, "codes": ", ".join(self.codes())}
            )

        def chain(unit_code: str) -> list[str]:
            codes = []
            current: str | None = unit_code
            while current is not None:
                codes.append(current)
                current = by_code[current].parent
            return codes

        kept = {u.code for u in self.units if code in chain(u.code)} | set(chain(code))
        organisations = tuple(o for o in self.organisations if o.area in kept)
        org_keys = {o.key for o in organisations}
        users = []
        for user in self.users:
            memberships = tuple(m for m in user.memberships if m[1] in org_keys)
            if memberships:
                users.append(UserSpec(user.username, user.first_name, user.last_name, memberships))
        units = tuple(u for u in self.units if u.code in kept)
        return DemoPlan(units=units, organisations=organisations, users=tuple(users))


def parse_province_code(raw: str) -> str:
    code = (raw or "").strip()
    if not _PROVINCE_CODE.fullmatch(code):
        raise DemoError(_("“%(code)s” is not a province code: use the two-digit official code, such as 62.")
                        % {"code": raw})
    return code


def parse_area_code(raw: str) -> str:
    """An administrative unit code as typed by an operator, checked for shape (not existence)."""
    code = (raw or "").strip()
    if not _AREA_CODE.fullmatch(code):
        raise DemoError(
            _("“%(code)s” is not an administrative unit code: use the official number (2 digits for a "
              "province, 3 for a district, 5 for a commune) or a village code such as 23479-01.")
            % {"code": raw}
        )
    return code


def clean_province_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    # "Tỉnh Kon Tum" and "Kon Tum" mean the same; the unit's name adds "Tỉnh" itself.
    if name.lower().startswith("tỉnh "):
        name = name[5:].strip()
    if not name or len(name) > 100:
        raise DemoError(_("Give the province's name, such as Kon Tum (at most 100 characters)."))
    return name


def demo_plan(
    *, province_code: str = DEFAULT_PROVINCE_CODE, province_name: str = DEFAULT_PROVINCE_NAME
) -> DemoPlan:
    return DemoPlan(units=_demo_units(province_code, province_name),
                    organisations=_demo_organisations(province_code, province_name), users=_DEMO_USERS)


def _demo_units(p: str, province_name: str) -> tuple[UnitSpec, ...]:
    L = AdminUnit.Level
    return (
        UnitSpec(L.PROVINCE, p, f"Tỉnh {province_name}", None),
        UnitSpec(L.DISTRICT, "613", "Huyện Kon Plông", p),
        UnitSpec(L.COMMUNE, "23479", "Xã Măng Cành", "613"),
        UnitSpec(L.VILLAGE, "23479-01", "Làng Kon Chênh", "23479"),
        UnitSpec(L.VILLAGE, "23479-02", "Thôn Măng Pành", "23479"),
        UnitSpec(L.COMMUNE, "23482", "Xã Hiếu", "613"),
        UnitSpec(L.VILLAGE, "23482-01", "Làng Vi Văng", "23482"),
        UnitSpec(L.VILLAGE, "23482-02", "Thôn Kon Plinh", "23482"),
        UnitSpec(L.COMMUNE, "23485", "Xã Pờ Ê", "613"),
        UnitSpec(L.VILLAGE, "23485-01", "Thôn Vi Glơng", "23485"),
        UnitSpec(L.DISTRICT, "614", "Huyện Kon Rẫy", p),
        UnitSpec(L.COMMUNE, "23518", "Xã Đắk Tơ Lung", "614"),
        UnitSpec(L.VILLAGE, "23518-01", "Thôn Kon Keo", "23518"),
        UnitSpec(L.VILLAGE, "23518-02", "Làng Kon Rbàng", "23518"),
        UnitSpec(L.COMMUNE, "23521", "Xã Tân Lập", "614"),
        UnitSpec(L.VILLAGE, "23521-01", "Thôn Kon Tuh", "23521"),
        UnitSpec(L.DISTRICT, "617", "Huyện Tu Mơ Rông", p),
        UnitSpec(L.COMMUNE, "23431", "Xã Tê Xăng", "617"),
        UnitSpec(L.VILLAGE, "23431-01", "Thôn Kon Hia", "23431"),
        UnitSpec(L.COMMUNE, "23437", "Xã Măng Ri", "617"),
        UnitSpec(L.VILLAGE, "23437-01", "Thôn Long Hy", "23437"),
        UnitSpec(L.VILLAGE, "23437-02", "Thôn Đắk Dơn", "23437"),
    )


def _demo_organisations(p: str, province_name: str) -> tuple[OrganisationSpec, ...]:
    K = Organisation.Kind
    NEW = Organisation.ProgrammeStatus.NEW
    CONSOLIDATED = Organisation.ProgrammeStatus.CONSOLIDATED

    def address(
        key: str, place: str, area: str, on: dt.date, status: str, active: bool = True
    ) -> OrganisationSpec:
        return OrganisationSpec(key, f"Địa chỉ tin cậy {place}", K.TRUSTED_ADDRESS, area, on, status, active)

    return (
        # Trusted addresses: five newly established under Project 8, five consolidated, one of which
        # has stopped working.
        address(ADDRESS_A, "làng Kon Chênh", "23479-01", dt.date(2023, 3, 8), NEW),
        address("address_mang_panh", "thôn Măng Pành", "23479-02", dt.date(2018, 6, 1), CONSOLIDATED),
        address(ADDRESS_B, "xã Hiếu", "23482", dt.date(2019, 10, 20), CONSOLIDATED),
        address("address_vi_vang", "làng Vi Văng", "23482-01", dt.date(2023, 11, 25), NEW),
        address("address_po_e", "xã Pờ Ê", "23485", dt.date(2017, 3, 8), CONSOLIDATED, active=False),
        address("address_kon_keo", "thôn Kon Keo", "23518-01", dt.date(2022, 10, 20), NEW),
        address("address_kon_rbang", "làng Kon Rbàng", "23518-02", dt.date(2016, 3, 8), CONSOLIDATED),
        address("address_kon_tuh", "thôn Kon Tuh", "23521-01", dt.date(2023, 6, 28), NEW),
        address("address_kon_hia", "thôn Kon Hia", "23431-01", dt.date(2024, 3, 8), NEW),
        address("address_long_hy", "thôn Long Hy", "23437-01", dt.date(2018, 11, 25), CONSOLIDATED),
        # Referral partners.
        OrganisationSpec(POLICE_A, "Công an xã Măng Cành", K.COMMUNE_POLICE, "23479"),
        OrganisationSpec("police_dak_to_lung", "Công an xã Đắk Tơ Lung", K.COMMUNE_POLICE, "23518"),
        OrganisationSpec("police_mang_ri", "Công an xã Măng Ri", K.COMMUNE_POLICE, "23437"),
        OrganisationSpec("health_mang_canh", "Trạm Y tế xã Măng Cành", K.HEALTH_STATION, "23479"),
        OrganisationSpec(HEALTH_B, "Trạm Y tế xã Hiếu", K.HEALTH_STATION, "23482"),
        OrganisationSpec("health_mang_ri", "Trạm Y tế xã Măng Ri", K.HEALTH_STATION, "23437"),
        OrganisationSpec(LEGAL_AID, f"Trung tâm Trợ giúp pháp lý Nhà nước tỉnh {province_name}",
                         K.LEGAL_AID, p),
        OrganisationSpec(SOCIAL_PROTECTION, f"Trung tâm Công tác xã hội tỉnh {province_name}",
                         K.SOCIAL_PROTECTION, p),
        # The Women's Union, which runs Project 8.
        OrganisationSpec(UNION_DISTRICT, "Hội LHPN huyện Kon Plông", K.WOMENS_UNION_DISTRICT, "613"),
        OrganisationSpec("union_kon_ray", "Hội LHPN huyện Kon Rẫy", K.WOMENS_UNION_DISTRICT, "614"),
        OrganisationSpec("union_tu_mo_rong", "Hội LHPN huyện Tu Mơ Rông", K.WOMENS_UNION_DISTRICT, "617"),
        OrganisationSpec(UNION_PROVINCE, f"Hội LHPN tỉnh {province_name}", K.WOMENS_UNION_PROVINCE, p),
    )


_DEMO_USERS = (
    UserSpec("tinhnguyen", "Hằng", "Y", ((Role.VOLUNTEER, ADDRESS_A),)),
    UserSpec("truongdiachi", "Liên", "Y", ((Role.LEAD, ADDRESS_A),)),
    # Two memberships: shows the "act as" chooser after signing in.
    UserSpec("haidiachi", "Nhung", "Y", ((Role.VOLUNTEER, ADDRESS_A), (Role.VOLUNTEER, ADDRESS_B))),
    UserSpec("tinhnguyenb", "Hoa", "Đinh Thị", ((Role.VOLUNTEER, ADDRESS_B),)),
    UserSpec("truongdiachib", "Mai", "Nguyễn Thị", ((Role.LEAD, ADDRESS_B),)),
    UserSpec("congan", "Tâm", "A", ((Role.PARTNER_OFFICER, POLICE_A),)),
    UserSpec("yte", "Xuân", "Y", ((Role.PARTNER_OFFICER, HEALTH_B),)),
    UserSpec("giamsat", "Hương", "Trần Thị", ((Role.UNION_SUPERVISOR, UNION_DISTRICT),)),
    UserSpec("phantich", "Thu", "Lê Thị", ((Role.PROVINCIAL_ANALYST, UNION_PROVINCE),)),
    UserSpec("quantri", "Dũng", "Phạm Văn", ((Role.SYSTEM_ADMINISTRATOR, UNION_PROVINCE),)),
)


DEMO_USERNAMES: frozenset[str] = frozenset(u.username for u in demo_plan().users)


# --- The result: what was built, for the summary and for other apps' builders -----------------------


@dataclass
class DemoUser:
    user: User
    memberships: list[Membership]
    needs_two_factor: bool
    demo_device: TOTPDevice | None  # None: no second factor needed, or the user has their own device


@dataclass
class Demo:
    """What the demo holds after :func:`build_demo`, limited to the ``--only-area`` scope.

    ``created`` and ``existing`` count objects by model label (``"accounts.Membership"``); builders
    of other apps add theirs with :meth:`record`.
    """

    password: str
    province_code: str
    log: Callable[[str], object] = lambda message: None
    verbosity: int = 1
    units: dict[str, AdminUnit] = field(default_factory=dict)  # by official code
    organisations: dict[str, Organisation] = field(default_factory=dict)  # by plan key
    users: dict[str, DemoUser] = field(default_factory=dict)  # by username
    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    _plural: dict[str, str] = field(default_factory=dict)

    @property
    def province(self) -> AdminUnit:
        return self.units[self.province_code]

    def say(self, message: str, *, level: int = 1) -> None:
        if self.verbosity >= level:
            self.log(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.log(f"  ! {message}")

    def record(self, obj: models.Model, *, created: bool, label: str | None = None) -> None:
        """Count ``obj`` as created now or found already there, and report it."""
        meta = obj._meta
        self._plural[meta.label] = str(meta.verbose_name_plural)
        (self.created if created else self.existing)[meta.label] += 1
        text = f"{capfirst(meta.verbose_name)}: {label or obj}"
        if created:
            self.say(f"  + {text}")
        else:
            self.say(f"  = {text}", level=2)

    def counts(self) -> list[tuple[str, int, int]]:
        """(plural name, created, already there) per kind of object, in the order first met."""
        return [(self._plural[label], self.created[label], self.existing[label]) for label in self._plural]


def refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoError(
            _("The demo is not available in production mode (APP_ENV=production): it creates users with a "
              "published password and two-step key.")
        )


def check_password(password: str, users: Iterable[UserSpec]) -> None:
    """The demo password must pass the same validators as any other password, for every demo user."""
    for spec in users:
        try:
            validate_password(password, User(username=spec.username, first_name=spec.first_name,
                                             last_name=spec.last_name))
        except ValidationError as error:
            raise DemoError(
                _("The demo password is not accepted: %(reasons)s") % {"reasons": " ".join(error.messages)}
            ) from None


@transaction.atomic
def build_demo(
    *,
    password: str = DEFAULT_PASSWORD,
    province_code: str = DEFAULT_PROVINCE_CODE,
    province_name: str = DEFAULT_PROVINCE_NAME,
    only_area: str | None = None,
    log: Callable[[str], object] = lambda message: None,
    verbosity: int = 1,
) -> Demo:
    """Build (or find) the accounts part of the demo and return what it holds.

    Raises :class:`DemoError` — before writing anything — in production mode, for a malformed or
    unknown code and for a password the validators refuse; and, rolling back, when an existing unit
    with a demo code sits somewhere else in the hierarchy.
    """
    refuse_in_production()
    plan = demo_plan(province_code=parse_province_code(province_code),
                     province_name=clean_province_name(province_name))
    if only_area is not None:
        plan = plan.limited_to(parse_area_code(only_area))
    check_password(password, plan.users)

    demo = Demo(password=password, province_code=plan.units[0].code, log=log, verbosity=verbosity)
    demo.say(str(_("Administrative units")))
    _build_units(demo, plan.units)
    demo.say(str(_("Organisations")))
    _build_organisations(demo, plan.organisations)
    demo.say(str(_("Users and memberships")))
    for spec in plan.users:
        _build_user(demo, spec)
    _confirm_memberships(demo)
    return demo


def _build_units(demo: Demo, specs: Iterable[UnitSpec]) -> None:
    for spec in specs:
        parent = demo.units[spec.parent] if spec.parent else None
        unit = AdminUnit.objects.select_related("parent").filter(level=spec.level, code=spec.code).first()
        created = unit is None
        if unit is None:
            unit = services.admin_unit_create(level=spec.level, code=spec.code, name=spec.name, parent=parent)
        elif unit.parent_id != (parent.pk if parent else None):
            raise DemoError(
                _("The unit with code %(code)s (%(name)s) already exists under %(actual)s, not under "
                  "%(expected)s. Use the province code it belongs to, or a fresh database.")
                % {"code": spec.code, "name": unit.name, "actual": unit.parent or "—", "expected": parent}
            )
        demo.units[spec.code] = unit
        demo.record(unit, created=created, label=f"{unit.name} ({unit.code})")


def _build_organisations(demo: Demo, specs: Iterable[OrganisationSpec]) -> None:
    for spec in specs:
        organisation = Organisation.objects.filter(name=spec.name, kind=spec.kind).first()
        created = organisation is None
        if organisation is None:
            organisation = services.organisation_create(
                name=spec.name, kind=spec.kind, area=demo.units[spec.area], by=None,
                established_on=spec.established_on, programme_status=spec.programme_status,
                is_active=spec.is_active,
            )
        demo.organisations[spec.key] = organisation
        demo.record(organisation, created=created)


def _build_user(demo: Demo, spec: UserSpec) -> None:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(username=spec.username, first_name=spec.first_name, last_name=spec.last_name)
        user.set_password(demo.password)
        user.full_clean()
        user.save()
        demo.record(user, created=True)
    else:
        demo.record(user, created=False)
        if not user.check_password(demo.password):
            demo.warn(str(_("%(username)s already exists with another password; it was left unchanged.")
                          % {"username": user.username}))

    memberships = []
    for role, key in spec.memberships:
        organisation = demo.organisations[key]
        membership = Membership.objects.live().filter(user=user, organisation=organisation).first()
        created = membership is None
        if membership is None:
            # Asked for from the console; the roles that need confirmation are confirmed below.
            membership = services.membership_request(user=user, organisation=organisation, role=role, by=None)
        elif membership.role != role:
            demo.warn(str(_("%(username)s already acts in %(organisation)s as %(role)s; left unchanged.")
                          % {"username": user.username, "organisation": organisation,
                             "role": membership.get_role_display()}))
        memberships.append(membership)
        demo.record(membership, created=created, label=f"{user.username} · {membership}")

    device = _demo_device(demo, user) if spec.needs_two_factor else None
    demo.users[spec.username] = DemoUser(user, memberships, spec.needs_two_factor, device)


# Who confirms whom in the demo: supervisors first, so that they can confirm the leads of addresses,
# who then confirm their volunteers.
_CONFIRMATION_ORDER: list[str] = [Role.UNION_SUPERVISOR, Role.LEAD, Role.PARTNER_OFFICER, Role.VOLUNTEER]


def _confirm_memberships(demo: Demo) -> None:
    """Confirm the demo's grants as the system would: each by its confirmer (a lead for her address's
    members, a supervisor where there is no lead or officer), with the code the new member's screen
    shows. What nobody in the application may confirm — the demo district's first supervisor — is
    confirmed from the console, as ``manage.py confirm_membership`` does."""
    pending = sorted(
        (m for demo_user in demo.users.values() for m in demo_user.memberships if m.is_awaiting_confirmation),
        key=lambda m: (_CONFIRMATION_ORDER.index(m.role), m.user.username, m.organisation.name),
    )
    while pending:
        in_force = [m for demo_user in demo.users.values() for m in demo_user.memberships if m.is_active]
        for grant in pending:
            own = access.own_confirmer_exists(grant)
            confirmer = next((m for m in in_force if access.may_confirm_grant(m, grant, own_confirmer_exists=own)),
                             None)
            if confirmer is not None:
                confirmed = services.membership_confirm(membership=grant, by=confirmer,
                                                        code=grant.confirmation_code())
                break
        else:
            grant = pending[0]
            confirmed = services.membership_confirm_from_console(membership=grant)
        pending.remove(grant)
        memberships = demo.users[grant.user.username].memberships
        memberships[memberships.index(grant)] = confirmed


def _demo_device(demo: Demo, user: User) -> TOTPDevice | None:
    """The user's confirmed demo TOTP device, created unless they have one — or a device of their own,
    which is left alone (and then ``None``: demo_totp cannot give their codes)."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY).first()
    if device is not None:
        demo.record(device, created=False, label=user.username)
        return device
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    device = TOTPDevice(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True)
    device.full_clean()
    device.save()
    demo.record(device, created=True, label=user.username)
    return device


# --- Two-step codes for demo users ----------------------------------------------------------------


def demo_device_for(username: str) -> TOTPDevice:
    """The demo two-step device of a demo user; :class:`DemoError` for anyone else."""
    refuse_in_production()
    device = None
    if username in DEMO_USERNAMES:
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True
        ).first()
    if device is None:
        raise DemoError(
            _("%(username)s has no demo two-step device. Only demo users whose role needs a second factor "
              "have one (%(usernames)s), once seed_demo has run.")
            % {"username": username, "usernames": ", ".join(u.username for u in demo_plan().users
                                                            if u.needs_two_factor)}
        )
    return device


def current_code(device: TOTPDevice) -> tuple[str, int]:
    """The code the device accepts now, and for how many more seconds it stays current."""
    now = time.time()
    token = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    token.time = now  # one clock reading for both the code and the seconds left
    remaining = device.step - int(now - device.t0) % device.step
    return f"{token.token():0{device.digits}d}", remaining
