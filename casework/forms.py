"""Forms for the intake wizard and every record inside a case.

Forms validate and normalise what a volunteer typed on her phone; the views hand the result to
casework.services, which write. Conventions shared by every form here:

* Dates (core.forms.DateField): the browser's date picker sends ISO ``yyyy-mm-dd``; a date typed by
  hand is read day first, as written in Vietnam (``25/12/2024``, ``25-12-2024``, ``25.12.2024``). A
  date that cannot exist (31/02) gets its own message; dates of things that happened cannot be in the
  future.
* Amounts in đồng accept the usual groupings — ``1.500.000``, ``1,500,000``, ``1 500 000``,
  ``1500000`` — and become a whole number; negative amounts are refused.
* Edit forms carry the record's ``version`` in a hidden field; the service refuses a stale save.
* Free text keeps its ``max_length`` from the model, so an overlong text is refused with the limit named.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import AdminUnit, Organisation
from casework import gbv, risk
from casework.models import (
    Case,
    CaseNote,
    Consent,
    Incident,
    LivelihoodSupport,
    RiskAssessment,
    SafetyPlan,
    SupportService,
    Survivor,
)
from casework.normalise import InvalidPhoneNumber, normalise_phone
from core.forms import EARLIEST_YEAR, VERBATIM, DateField
from core.labels import field_label

# More than any real support payment; keeps a typo of extra zeros out of the statistics.
MAX_AMOUNT_VND = 10**12

YES, NO = "yes", "no"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]


class AmountField(forms.Field):
    """A whole amount in đồng, written the way people write money in Vietnam."""

    default_error_messages = {
        "invalid": _("Enter a whole amount in đồng, for example 1.500.000."),
        "negative": _("The amount cannot be negative."),
        "too_large": _("This amount is too large: check the number of zeros."),
    }
    _GROUPED = re.compile(r"\d{1,3}(?P<sep>[.,  ])\d{3}(?:(?P=sep)\d{3})*", re.ASCII)
    _PLAIN = re.compile(r"\d+", re.ASCII)
    _CURRENCY = re.compile(r"\s*(?:vnđ|vnd|đồng|đ|₫)\s*$", re.IGNORECASE)

    max_length = 30

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "maxlength": self.max_length}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        if len(text) > self.max_length:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        # NFKC: full-width digits from some phone keyboards; currency words may follow the number.
        text = self._CURRENCY.sub("", unicodedata.normalize("NFKC", text)).strip()
        if text.startswith(("-", "−")):
            raise ValidationError(self.error_messages["negative"], code="negative")
        text = text.lstrip("+")
        if self._PLAIN.fullmatch(text) or self._GROUPED.fullmatch(text):
            amount = int(re.sub(r"\D", "", text, flags=re.ASCII))
        else:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if amount > MAX_AMOUNT_VND:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return amount

    def prepare_value(self, value: Any) -> Any:
        # Show a saved amount grouped the Vietnamese way; what was typed is shown as typed.
        if isinstance(value, int):
            return f"{value:,}".replace(",", ".")
        return value


class PhoneField(forms.CharField):
    """Kept as typed (people recognise their own way of writing it); checked to be a Vietnamese number."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value:
            try:
                normalise_phone(value)
            except InvalidPhoneNumber as exc:
                raise ValidationError(str(exc), code="invalid_phone") from None


def _label(model: type[models.Model], name: str) -> Any:
    """The model field's own (translated) name, capitalised as Django does for model form labels."""
    return capfirst(field_label(model, name))


def yes_no_field(question: Any, *, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=question, choices=YES_NO, required=required, widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no.")},
    )


def province_of(unit: AdminUnit) -> AdminUnit | None:
    return unit.ancestors_and_self().filter(level=AdminUnit.Level.PROVINCE).first()


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError (a StaleEdit included) on the form, beside the field it names."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Shared form behaviour ------------------------------------------------------------------------


if TYPE_CHECKING:
    FormMixinBase = forms.BaseForm
else:
    FormMixinBase = object


class FieldsetsMixin(FormMixinBase):
    """``fieldsets``: (legend, field names) — lets one template show a long form in short sections."""

    fieldsets: Sequence[tuple[Any, Sequence[str]]] = ()

    def get_fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        form: forms.BaseForm = self
        sections = []
        listed: set[str] = set()
        for legend, names in self.fieldsets:
            fields = [form[name] for name in names if name in form.fields]
            listed.update(names)
            if fields:
                sections.append((legend, fields))
        # A field left out of every section is still shown, never silently dropped.
        rest = [field for field in form.visible_fields() if field.name not in listed]
        if rest:
            sections.append(("", rest))
        return sections


def _allow_future(field: forms.Field) -> None:
    assert isinstance(field, DateField)
    field.allow_future = True


class VersionedModelForm(FieldsetsMixin, forms.ModelForm[Any]):
    """An edit form carries the version it was read at; a create form has no version field."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version

    def _post_clean(self) -> None:
        # No model validation here: the service validates the record once (``full_clean()``), with the
        # case and the acting member this form does not know, and its refusal comes back on the form
        # beside the field it names (add_service_errors). The form only checks and normalises input.
        pass

    def record_fields(self) -> dict[str, Any]:
        """The cleaned values the service takes as ``**fields``."""
        return {name: self.cleaned_data[name] for name in self._meta.fields or () if name in self.cleaned_data}


# Every field already says autocomplete="off" (core/forms.py); names of people and places are also
# taken VERBATIM (no autocorrect, no spellchecker).
def _short_text(*, verbatim: bool = False, **attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={**(VERBATIM if verbatim else {}), **attrs})


def _text_area(rows: int = 4, *, verbatim: bool = False) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **(VERBATIM if verbatim else {})})


# --- Survivor -------------------------------------------------------------------------------------


class SurvivorForm(VersionedModelForm):
    """Intake step 1 and the survivor edit form.

    The age may be known as a date of birth, a birth year or only an estimate ("about 30"); the form
    turns whichever is given into ``birth_year`` (statistics and duplicate checks use it).
    """

    estimated_age = forms.IntegerField(
        label=_("Estimated age"), required=False, min_value=0, max_value=120,
        help_text=_("Only if neither the date of birth nor the birth year is known."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    phone = PhoneField(label=_label(Survivor, "phone"), required=False, max_length=40)
    commune = forms.ModelChoiceField(
        label=_label(Survivor, "commune"), queryset=AdminUnit.objects.none(), required=False,
        empty_label=_("— not known —"),
    )

    fieldsets = (
        (_("Who she is"),
         ("full_name", "other_names", "sex", "date_of_birth", "birth_year", "estimated_age")),
        (_("How to reach her"), ("phone", "address", "commune", "guardian_contact")),
        (_("Other details"), ("national_id", "ethnicity", "disability")),
    )

    class Meta:
        model = Survivor
        fields = ["full_name", "other_names", "sex", "date_of_birth", "birth_year", "phone", "address",
                  "national_id", "ethnicity", "disability", "commune", "guardian_contact"]
        field_classes = {"date_of_birth": DateField}
        widgets = {
            "full_name": _short_text(verbatim=True, autocapitalize="words"),
            "other_names": _short_text(verbatim=True, autocapitalize="words"),
            "address": _text_area(2, verbatim=True),
            "national_id": _short_text(verbatim=True, inputmode="numeric"),
            "guardian_contact": _text_area(2, verbatim=True),
            "birth_year": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, province: AdminUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        communes = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE)
        commune = self.fields["commune"]
        assert isinstance(commune, forms.ModelChoiceField)
        commune.queryset = communes.within(province) if province else communes.none()
        if self.instance._state.adding:
            self.fields["sex"].initial = "female"
        self.fields["birth_year"].widget.attrs.update(
            {"min": EARLIEST_YEAR, "max": timezone.localdate().year})

    def clean_national_id(self) -> str:
        value = "".join(self.cleaned_data.get("national_id", "").split())
        if value and not (value.isascii() and value.isalnum()):
            raise ValidationError(_("Write the ID number with digits and letters only."), code="invalid")
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        born, year, age = data.get("date_of_birth"), data.get("birth_year"), data.get("estimated_age")
        if born and not year:
            year = data["birth_year"] = born.year
        if age is not None:
            this_year = timezone.localdate().year
            if year is None:
                data["birth_year"] = this_year - age
            elif abs((this_year - year) - age) > 1:
                self.add_error("estimated_age", _("The estimated age does not match the birth year."))
        return data

    def survivor_fields(self) -> dict[str, Any]:
        return self.record_fields()


# --- Incident -------------------------------------------------------------------------------------


class IncidentForm(VersionedModelForm):
    """One incident. The GBVIMS questions are asked in GBVIMS order; the first "yes" decides the type,
    so the questions after it may be left unanswered (they count as "no")."""

    fieldsets = (
        (_("When and where"), ("occurred_on", "place_type")),
        (_("What happened (GBVIMS questions, in order)"), tuple(f"q_{key}" for key in gbv.ANSWER_KEYS)),
        (_("Harm (Law 13/2022 on domestic violence)"),
         ("harm_physical", "harm_mental", "harm_sexual", "harm_economic")),
        (_("Context"), ("domestic_violence", "intimate_partner", "trafficking", "consanguineous_marriage")),
        (_("The person who did it"), ("perpetrator_relationship", "perpetrator_sex", "perpetrator_age")),
        (_("Reported before"), ("previously_reported", "first_reported_on")),
        (_("In her words"), ("narrative",)),
    )

    class Meta:
        model = Incident
        fields = ["occurred_on", "place_type", "harm_physical", "harm_mental", "harm_sexual", "harm_economic",
                  "domestic_violence", "intimate_partner", "trafficking", "consanguineous_marriage",
                  "perpetrator_relationship", "perpetrator_sex", "perpetrator_age", "previously_reported",
                  "first_reported_on", "narrative"]
        field_classes = {"occurred_on": DateField, "first_reported_on": DateField}
        widgets = {"narrative": _text_area(6)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        saved = self.instance.gbv_answers if not self.instance._state.adding else {}
        for key, question, _decided in gbv.QUESTIONS:
            field = yes_no_field(question)
            if key in saved:
                field.initial = YES if saved[key] else NO
            self.fields[f"q_{key}"] = field

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for key in gbv.ANSWER_KEYS:
            answer = data.get(f"q_{key}")
            if answer == YES:
                break
            if not answer and f"q_{key}" not in self.errors:
                self.add_error(f"q_{key}",
                               _("Answer yes or no: the questions are asked in order until the first yes."))
                break
        if data.get("first_reported_on"):
            data["previously_reported"] = True
        return data

    def answers(self) -> dict[str, bool]:
        return {key: self.cleaned_data.get(f"q_{key}") == YES for key in gbv.ANSWER_KEYS}


# --- Consent --------------------------------------------------------------------------------------


class ConsentForm(FieldsetsMixin, forms.Form):
    """One screen for all six scopes; each ticked scope becomes one Consent."""

    scopes = forms.MultipleChoiceField(
        label=_("She agrees to"), choices=Consent.Scope.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one thing she agrees to.")},
    )
    given_by = forms.ChoiceField(label=_label(Consent, "given_by"), choices=Consent.GivenBy.choices,
                                 widget=forms.RadioSelect)
    guardian_name = forms.CharField(
        label=_label(Consent, "guardian_name"), max_length=200, required=False,
        widget=_short_text(verbatim=True, autocapitalize="words"),
        help_text=_("Needed when a parent or guardian gives consent for a child."),
    )
    given_on = DateField(label=_label(Consent, "given_on"))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A child under 16: her parent or guardian consents (Law on Children 2016).
        given_by = Consent.GivenBy.GUARDIAN if case.is_child else Consent.GivenBy.SURVIVOR
        self.fields["given_by"].initial = given_by
        self.fields["given_on"].initial = timezone.localdate()


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = DateField(label=_label(Consent, "withdrawn_on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate()


# --- Risk and safety ------------------------------------------------------------------------------


class RiskForm(FieldsetsMixin, forms.Form):
    assessed_on = DateField(label=_label(RiskAssessment, "assessed_on"))
    raise_to = forms.ChoiceField(
        label=_("Raise the level to"), required=False,
        choices=[("", _("— keep the level the answers give —")), *risk.RiskLevel.choices],
        help_text=_("Your professional judgement can raise the level, never lower it."),
    )
    notes = forms.CharField(label=_label(RiskAssessment, "notes"), max_length=5000, required=False,
                            widget=_text_area())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()
        for key, question, _weight in risk.QUESTIONS:
            self.fields[f"q_{key}"] = yes_no_field(question, required=True)
        self.fieldsets = (
            (_("Danger questions"), tuple(f"q_{key}" for key in risk.ANSWER_KEYS)),
            (_("Result"), ("assessed_on", "raise_to", "notes")),
        )

    def answers(self) -> dict[str, bool]:
        return {key: self.cleaned_data.get(f"q_{key}") == YES for key in risk.ANSWER_KEYS}


class SafetyPlanForm(FieldsetsMixin, forms.Form):
    checklist = forms.MultipleChoiceField(
        label=_label(SafetyPlan, "checklist"), choices=SafetyPlan.Item.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    plan = forms.CharField(label=_label(SafetyPlan, "plan"), max_length=10_000, required=False,
                           widget=_text_area(6))
    # 0 = "there was no plan when the form was opened": someone creating one meanwhile makes it stale.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, plan: SafetyPlan | None = None, **kwargs: Any) -> None:
        if plan is not None:
            kwargs.setdefault("initial", {"checklist": plan.checklist, "plan": plan.plan})
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = plan.version if plan is not None else 0


# --- Support --------------------------------------------------------------------------------------


class ServiceForm(VersionedModelForm):
    amount_vnd = AmountField(label=_label(SupportService, "amount_vnd"), required=False,
                             help_text=_("For cash or material support: the amount or value in đồng."))

    fieldsets = (
        (_("Support"), ("kind", "provided_on", "provider")),
        (_("Shelter stay"), ("check_in", "check_out")),
        (_("Cash or material support"), ("amount_vnd",)),
        (_("Notes"), ("notes",)),
    )

    class Meta:
        model = SupportService
        fields = ["kind", "provided_on", "provider", "check_in", "check_out", "amount_vnd", "notes"]
        field_classes = {"provided_on": DateField, "check_in": DateField, "check_out": DateField}
        widgets = {"notes": _text_area()}

    def __init__(self, *args: Any, address: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider = self.fields["provider"]
        assert isinstance(provider, forms.ModelChoiceField)
        provider.queryset = provider_choices(address)
        provider.empty_label = None
        # A planned check-out may lie ahead (the model allows up to 60 days).
        _allow_future(self.fields["check_out"])
        if self.instance._state.adding:
            provider.initial = address.pk
            self.fields["provided_on"].initial = timezone.localdate()


def provider_choices(address: Organisation) -> Any:
    """The trusted address itself and the active partner organisations of its province."""
    query = Q(pk=address.pk)
    province = province_of(address.area)
    if province is not None:
        query |= Q(kind__in=Organisation.PARTNER_KINDS, area__path__startswith=province.path)
    return Organisation.objects.active().filter(query).order_by("kind", "name")


class LivelihoodForm(VersionedModelForm):
    amount_vnd = AmountField(label=_label(LivelihoodSupport, "amount_vnd"), required=True)

    fieldsets = (
        (_("Support"), ("support_type", "programme_model", "model_name", "beneficiary_group", "amount_vnd")),
        (_("Dates"), ("started_on", "ended_on")),
        (_("Follow-up"), ("outcome", "followed_up_on", "notes")),
    )

    class Meta:
        model = LivelihoodSupport
        fields = ["support_type", "programme_model", "model_name", "beneficiary_group", "amount_vnd",
                  "started_on", "ended_on", "outcome", "followed_up_on", "notes"]
        field_classes = {"started_on": DateField, "ended_on": DateField, "followed_up_on": DateField}
        widgets = {"notes": _text_area(), "model_name": _short_text()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A support may be planned to end later; a start and a follow-up are things that happened.
        _allow_future(self.fields["ended_on"])
        if self.instance._state.adding:
            self.fields["amount_vnd"].initial = 0
            self.fields["started_on"].initial = timezone.localdate()


# --- Notes ----------------------------------------------------------------------------------------


class NoteForm(forms.Form):
    text = forms.CharField(label=_label(CaseNote, "text"), max_length=20_000, widget=_text_area(6))


