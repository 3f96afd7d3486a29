"""Small forms for case lists and the case lifecycle: search and filters, close, assign, support plan.

Names and phone numbers are searched only through the keyed blind indexes: the search form turns what
was typed into an index value here, and the plaintext goes no further than this form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from casework.access import assignable_members
from casework.crypto import name_birth_year_index, phone_index
from casework.models import SURVIVOR_CODE_ALPHABET, SURVIVOR_CODE_RE, Case
from casework.normalise import InvalidPhoneNumber, normalise_name
from casework.risk import RiskLevel
from core.forms import VERBATIM, DateField

_PHONE_LIKE_RE = re.compile(r"[+0-9 .\-()/]+")

RISK_NOT_ASSESSED = "none"


def _choice_errors() -> dict[str, Any]:
    return {"invalid_choice": _("Choose one of the options in the list.")}


# --- Case list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What the search box asked for. ``value`` is a whole survivor code or a blind-index value, never a
    name."""

    kind: str  # "code", "name" or "phone"
    value: str

    @property
    def is_personal(self) -> bool:
        return self.kind in ("name", "phone")


def as_survivor_code(text: str) -> str | None:
    """The survivor code ``text`` is, or None. Only the code's exact shape is a code search.

    A code search travels in the address (it can be bookmarked and paged with links), so nothing else
    may pass for one: with prefixes allowed, "Thanh" was searched as "THAN-H", and without the hyphen
    an eight-letter name ("THANHHUE") or two four-letter words ("THUY HANG") fit the alphabet. Lower
    case and spaces around the code are accepted — phone keyboards start in lower case and add a
    space after a word — since no name has the shape ``xxxx-xxxx`` either way.
    """
    code = text.strip()
    if not code.isascii():
        return None
    code = code.upper()
    return code if SURVIVOR_CODE_RE.fullmatch(code) else None


def _code_without_its_hyphen(text: str) -> bool:
    """Eight code characters typed without the hyphen (or with spaces): worth a hint, never a search."""
    compact = "".join(text.split()).replace("-", "").upper()
    return len(compact) == 8 and all(char in SURVIVOR_CODE_ALPHABET for char in compact)


class CaseSearchForm(forms.Form):
    """The case list's search box and filters.

    ``allow_personal`` is False for a GET request: a name or a phone number must never travel in the
    URL (browser history, server logs), so they are accepted only from the POSTed form. In a GET, the
    search box may hold a whole survivor code and nothing else.
    """

    q = forms.CharField(
        label=_("Survivor code, name or phone"), required=False, max_length=200,
        help_text=_("A code has 4 characters, a hyphen and 4 characters. A name is searched together with "
                    "the birth year."),
    )
    birth_year = forms.IntegerField(
        label=_("Birth year"), required=False, min_value=1900, max_value=2100,
        error_messages={"invalid": _("Enter a year such as 1990."),
                        "min_value": _("Enter a year between 1900 and this year."),
                        "max_value": _("Enter a year between 1900 and this year.")},
    )
    status = forms.ChoiceField(label=_("Status"), required=False, error_messages=_choice_errors(),
                               choices=[("", _("Open and closed")), *Case.Status.choices])
    risk = forms.ChoiceField(label=_("Risk level"), required=False, error_messages=_choice_errors(),
                             choices=[("", _("Any")), *RiskLevel.choices,
                                      (RISK_NOT_ASSESSED, _("Not assessed"))])
    open_tasks = forms.BooleanField(label=_("Only cases with an open task (child support plan not done)"),
                                    required=False)
    # Filters, not facts: a range may reach into the future.
    opened_from = DateField(label=_("Opened from"), required=False, allow_future=True)
    opened_to = DateField(label=_("Opened until"), required=False, allow_future=True)

    # Filters that may go into a URL (everything but the search box when it holds a name or phone).
    URL_FIELDS = ("status", "risk", "open_tasks", "opened_from", "opened_to")

    def __init__(self, *args: Any, allow_personal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allow_personal = allow_personal
        # A code or a name: taken verbatim. (Every field already says autocomplete="off".)
        self.fields["q"].widget.attrs.update({"autocapitalize": "characters", **VERBATIM})
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["search"] = None
        q = (data.get("q") or "").strip()
        year = data.get("birth_year")
        if "q" in self.errors or "birth_year" in self.errors:
            return data
        if not q:
            if year:
                self.add_error("q", _("Enter the name to search for with this birth year."))
            self._check_dates(data)
            return data
        code = None if year else as_survivor_code(q)
        if code is None and not self.allow_personal:
            # Someone edited the address: what is there is neither searched nor put into any link.
            self.add_error("q", _("Search for a name or a phone number with the Search button."))
            return data
        if code is not None:
            search: Search | None = Search("code", code)
        elif year:
            search = self._name_search(q, year)
        else:
            search = self._phone_search(q)
        if search is None:
            return data
        data["search"] = search
        self._check_dates(data)
        return data

    def _name_search(self, q: str, year: int) -> Search | None:
        if not normalise_name(q):
            self.add_error("q", _("Enter a name made of letters."))
            return None
        if year > timezone.localdate().year:
            self.add_error("birth_year", _("Enter a year between 1900 and this year."))
            return None
        return Search("name", name_birth_year_index(full_name=q, birth_year=year))

    def _phone_search(self, q: str) -> Search | None:
        """A phone number; otherwise say what is missing for a name (or a code) search."""
        try:
            return Search("phone", phone_index(q))
        except InvalidPhoneNumber as exc:
            phone_error = exc
        if _PHONE_LIKE_RE.fullmatch(q):
            self.add_error("q", phone_error.args[0])
            return None
        self.add_error("birth_year", _("To search by name, also enter her birth year."))
        if _code_without_its_hyphen(q):
            self.add_error("q", _("To search by survivor code, type it with its hyphen, for example ACDE-FGHJ."))
        return None

    def _check_dates(self, data: dict[str, Any]) -> None:
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and start > end:
            self.add_error("opened_to", _("This date is before the “opened from” date."))

    def url_params(self) -> dict[str, str]:
        """The valid search as URL parameters: filters and a survivor code only."""
        params: dict[str, str] = {}
        search = self.cleaned_data.get("search")
        if search is not None and search.kind == "code":
            params["q"] = search.value
        for name in self.URL_FIELDS:
            value: Any = self.cleaned_data.get(name)
            if value in (None, "", False):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            params[name] = "1" if value is True else value
        return params

    def filter(self, cases: models.QuerySet[Case]) -> models.QuerySet[Case]:
        """Apply the valid search and filters to ``cases`` (already limited to what the user may see)."""
        data = self.cleaned_data
        search: Search | None = data.get("search")
        if search is not None:
            if search.kind == "code":
                cases = cases.filter(survivor__code=search.value)
            elif search.kind == "name":
                cases = cases.filter(survivor__name_birth_year_index=search.value)
            else:
                cases = cases.filter(survivor__phone_index=search.value)
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("risk"):
            cases = cases.filter(risk_level="" if data["risk"] == RISK_NOT_ASSESSED else data["risk"])
        if data.get("opened_from"):
            cases = cases.filter(opened_on__gte=data["opened_from"])
        if data.get("opened_to"):
            cases = cases.filter(opened_on__lte=data["opened_to"])
        if data.get("open_tasks"):
            # The earliest due date first: overdue plans lead the list.
            cases = cases.filter(
                status=Case.Status.OPEN, support_plan_due_on__isnull=False, support_plan_done_on__isnull=True,
            ).order_by("support_plan_due_on", "-opened_on", "pk")
        return cases


# --- Supervision list -----------------------------------------------------------------------------


class SupervisionFilterForm(forms.Form):
    trusted_address = forms.ModelChoiceField(
        label=_("Trusted address"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("All trusted addresses"), to_field_name="pk",
        error_messages={"invalid_choice": _("Choose one of the trusted addresses in the list.")},
    )
    status = forms.ChoiceField(label=_("Status"), required=False, error_messages=_choice_errors(),
                               choices=[("", _("Open and closed")), *Case.Status.choices])

    def __init__(self, *args: Any, addresses: models.QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        trusted_address = self.fields["trusted_address"]
        assert isinstance(trusted_address, forms.ModelChoiceField)
        trusted_address.queryset = addresses

    def filter(self, cases: models.QuerySet[Case]) -> models.QuerySet[Case]:
        if self.cleaned_data.get("trusted_address"):
            cases = cases.filter(trusted_address=self.cleaned_data["trusted_address"])
        if self.cleaned_data.get("status"):
            cases = cases.filter(status=self.cleaned_data["status"])
        return cases


# --- Lifecycle ------------------------------------------------------------------------------------


class CaseCloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why is the case closing?"), choices=[("", "—"), *Case.ClosureReason.choices],
        error_messages={"required": _("Choose the reason for closing the case."), **_choice_errors()},
    )
    on = DateField(label=_("Closing date"), initial=timezone.localdate,
                   error_messages={"future": _("The closing date cannot be in the future.")})


class MemberChoiceField(forms.ModelMultipleChoiceField[Membership]):
    """Members listed by name and role (never by username)."""

    def label_from_instance(self, obj: Membership) -> str:
        return f"{member_name(obj)} · {obj.get_role_display()}"


class CaseAssignForm(forms.Form):
    volunteers = MemberChoiceField(
        label=_("Who looks after this case?"), queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one person."),
            "invalid_choice": _("Choose only active members of this trusted address."),
            "invalid_pk_value": _("Choose only active members of this trusted address."),
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        field = self.fields["volunteers"]
        assert isinstance(field, MemberChoiceField)
        field.queryset = assignable_members(case)


def member_name(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.get_username()


class SupportPlanDoneForm(forms.Form):
    on = DateField(label=_("Date the support plan was made"), initial=timezone.localdate)
