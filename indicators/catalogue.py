"""The indicators: a stable code, a name in Vietnamese and in English, a definition, the unit and the
breakdowns each is reported by.

Codes never change once published (DHIS2 mappings and plan targets refer to them). Names and
definitions are translatable strings with English source text; :attr:`Indicator.name_vi` and
:attr:`Indicator.name_en` give both whatever the current language.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class Unit(enum.StrEnum):
    PEOPLE = "people"
    ADDRESSES = "addresses"
    SERVICES = "services"
    NIGHTS = "nights"
    VND = "vnd"
    REFERRALS = "referrals"
    HOURS = "hours"
    PERCENT = "percent"
    PARTNERS = "partners"
    MODELS = "models"

    @property
    def label(self) -> str:
        return str(UNIT_LABELS[self])


UNIT_LABELS = {
    Unit.PEOPLE: _("people"),
    Unit.ADDRESSES: _("trusted addresses"),
    Unit.SERVICES: _("services"),
    Unit.NIGHTS: _("nights"),
    Unit.VND: _("VND"),
    Unit.REFERRALS: _("referrals"),
    Unit.HOURS: _("hours"),
    Unit.PERCENT: _("percent"),
    Unit.PARTNERS: _("partners"),
    Unit.MODELS: _("models"),
}


class Group(enum.StrEnum):
    ADDRESSES = "addresses"
    SURVIVORS = "survivors"
    SUPPORT = "support"
    REFERRALS = "referrals"
    LIVELIHOOD = "livelihood"


GROUP_TITLES = {
    Group.ADDRESSES: _("Trusted addresses"),
    Group.SURVIVORS: _("Survivors supported"),
    Group.SUPPORT: _("Support given"),
    Group.REFERRALS: _("Referrals"),
    Group.LIVELIHOOD: _("Livelihood support"),
}

AREA = _("area (district, commune)")
SURVIVOR_BREAKDOWNS = (
    _("GBVIMS type"),
    _("legal harm category (Law 13/2022)"),
    _("context (domestic violence, trafficking, child marriage, consanguineous marriage)"),
    _("sex"),
    _("age band (under 16, 16–17, 18–59, 60+)"),
    _("ethnicity (Kinh, each minority group)"),
    _("disability"),
    AREA,
    _("sub-period"),
)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    definition: Promise
    unit: Unit
    group: Group
    breakdowns: tuple[Promise, ...] = ()
    # Plan targets can be set for it (and the report compares them with what was achieved).
    targetable: bool = False

    @property
    def name_vi(self) -> str:
        with translation.override("vi"):
            return str(self.name)

    @property
    def name_en(self) -> str:
        with translation.override("en"):
            return str(self.name)


def _of(group: Group, unit: Unit, breakdowns: tuple[Promise, ...] = ()) -> Callable[..., Indicator]:
    """The indicators of one group: its usual unit and breakdowns, unless an indicator says otherwise."""

    def indicator(
        code: str,
        name: Promise,
        definition: Promise,
        *,
        unit: Unit = unit,
        breakdowns: tuple[Promise, ...] = breakdowns,
        targetable: bool = False,
    ) -> Indicator:
        return Indicator(code, name, definition, unit, group, breakdowns, targetable)

    return indicator


BY_PARTNER_KIND = (_("partner kind"),)
BY_MODEL = (_("model (pilot, replicated)"),)
BY_SUPPORT_FORM = (_("material or cash"),)
_address = _of(Group.ADDRESSES, Unit.ADDRESSES, (AREA,))
_survivors = _of(Group.SURVIVORS, Unit.PEOPLE)
_support = _of(Group.SUPPORT, Unit.PEOPLE, (AREA,))
_referrals = _of(Group.REFERRALS, Unit.REFERRALS, BY_PARTNER_KIND)
_livelihood = _of(Group.LIVELIHOOD, Unit.MODELS)

INDICATORS: tuple[Indicator, ...] = (
    # 1. Trusted addresses (not people: shown as they are).
    _address(
        "TA_TOTAL",
        _("Trusted addresses working"),
        _("Trusted addresses established by the end of the period and not closed before it began."),
        targetable=True,
    ),
    _address(
        "TA_NEW",
        _("Trusted addresses newly established"),
        _(
            "Trusted addresses recorded as newly established under Project 8, with an establishment date "
            "in the period."
        ),
        breakdowns=(AREA, _("sub-period")),
        targetable=True,
    ),
    _address(
        "TA_CONSOLIDATED",
        _("Trusted addresses consolidated"),
        _("Existing trusted addresses recorded as consolidated under Project 8 and working in the period."),
        targetable=True,
    ),
    _address(
        "TA_ACTIVE",
        _("Trusted addresses active"),
        _("Trusted addresses with at least one counted case open, or support given, in the period."),
        targetable=True,
    ),
    # 2. Survivors supported.
    _survivors(
        "SV_NEW",
        _("Survivors supported (new cases)"),
        _(
            "People with a case opened in the period at a trusted address in the area, whose consent "
            "allows anonymised statistics. A person with cases at several trusted addresses counts once."
        ),
        breakdowns=SURVIVOR_BREAKDOWNS,
        targetable=True,
    ),
    _survivors(
        "SV_EXCLUDED",
        _("New cases left out (no consent to statistics)"),
        _(
            "Cases opened in the period without a current consent to anonymised statistics; they are not "
            "counted in any other figure."
        ),
    ),
    # 3. Support given.
    _support("SP_SHELTER", _("People given a temporary shelter stay"),
             _("People with a shelter stay recorded in the period."), targetable=True),
    _support("SP_SHELTER_NIGHTS", _("Shelter nights"), _("Nights of the shelter stays recorded in the period."),
             unit=Unit.NIGHTS, breakdowns=()),
    _support("SP_COUNSELLING", _("People counselled"), _("People given counselling in the period."), targetable=True),
    _support(
        "SP_ACCOMPANIMENT",
        _("People accompanied"),
        _("People accompanied to the police, health services, court or other services in the period."),
        targetable=True,
    ),
    _support("SP_EMERGENCY", _("People given emergency support"),
             _("People given emergency material or cash support in the period."),
             breakdowns=(AREA, *BY_SUPPORT_FORM), targetable=True),
    _support("SP_EMERGENCY_VND", _("Emergency support (VND)"),
             _("Value of the emergency material and cash support given in the period."),
             unit=Unit.VND, breakdowns=BY_SUPPORT_FORM),
    # 4. Referrals.
    _referrals("RF_SENT", _("Referrals sent"), _("Referrals sent to partners in the period."),
               breakdowns=(*BY_PARTNER_KIND, _("service requested"), AREA), targetable=True),
    _referrals("RF_ACCEPTED", _("Referrals accepted"), _("Referrals sent in the period that the partner accepted.")),
    _referrals("RF_COMPLETED", _("Referrals completed"),
               _("Referrals sent in the period that the partner completed."), targetable=True),
    _referrals("RF_DECLINED", _("Referrals declined"), _("Referrals sent in the period that the partner declined.")),
    _referrals("RF_EXPIRED", _("Referrals expired"),
               _("Referrals sent in the period that nobody acknowledged in time.")),
    _referrals("RF_MEDIAN_HOURS", _("Median hours to acceptance"),
               _("Median time from sending to acceptance of the accepted referrals, in hours."), unit=Unit.HOURS),
    _referrals("RF_COMPLETION_RATE", _("Referral completion rate"),
               _("Completed referrals as a percentage of accepted referrals."), unit=Unit.PERCENT),
    _referrals("RF_PARTNERS", _("Partners receiving referrals"),
               _("Partner organisations that received at least one referral in the period."), unit=Unit.PARTNERS),
    # 5. Livelihood support.
    _livelihood(
        "LV_BENEFICIARIES",
        _("Livelihood support beneficiaries"),
        _("People whose livelihood support started in the period."),
        unit=Unit.PEOPLE,
        breakdowns=(*BY_MODEL, _("group (domestic violence, trafficking)"), AREA),
        targetable=True,
    ),
    _livelihood("LV_MODELS", _("Livelihood models"),
                _("Distinct named livelihood models with support starting in the period."),
                breakdowns=BY_MODEL, targetable=True),
    _livelihood("LV_MODELS_PILOT", _("Pilot livelihood models"),
                _("Distinct named pilot livelihood models with support starting in the period."), targetable=True),
    _livelihood("LV_MODELS_REPLICATED", _("Replicated livelihood models"),
                _("Distinct named replicated livelihood models with support starting in the period."),
                targetable=True),
    _livelihood("LV_AMOUNT", _("Livelihood support (VND)"), _("Value of the livelihood support started in the period."),
                unit=Unit.VND, breakdowns=BY_MODEL),
)

BY_CODE: dict[str, Indicator] = {indicator.code: indicator for indicator in INDICATORS}


class UnknownIndicator(KeyError):
    pass


def get(code: str) -> Indicator:
    try:
        return BY_CODE[code]
    except KeyError:
        raise UnknownIndicator(code) from None


def target_choices() -> list[tuple[str, StrOrPromise]]:
    return [(i.code, format_lazy("{} · {}", i.code, i.name)) for i in INDICATORS if i.targetable]
