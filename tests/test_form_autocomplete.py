"""Nothing typed into the system is remembered by the phone: every field says autocomplete="off".

Two walks: every form class of the project, rendered field by field (a new form fails until listed
here), and every page of the access matrix as each role that may open it (a field written by hand
in a template is caught there). The sign-in, password and second-step fields keep their own tokens.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from html.parser import HTMLParser
from types import ModuleType
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.urls import reverse

import accounts.forms
import accounts.forms_grants
import accounts.forms_passwords
import casework.forms
import casework.forms_lifecycle
import indicators.forms
import referrals.forms
from accounts.models import Organisation
from tests.access import ROLES, Row
from tests.casework.builders import case_a
from tests.conftest import Cast, signed_in
from tests.referrals.builders import referral_a
from tests.test_access_matrix import ALL_ROWS

FORM_MODULES: list[ModuleType] = [casework.forms, casework.forms_lifecycle, referrals.forms, indicators.forms,
                                  accounts.forms, accounts.forms_grants, accounts.forms_passwords]
# Inputs a person types into (besides <textarea>), and <select>, which autofill fills from saved addresses.
TYPED_INPUTS = {"text", "search", "email", "tel", "url", "number", "date", "datetime-local", "month", "week",
                "time", "password"}
# The deliberate exceptions, by field name: what the browser's password manager and the phone's code
# autofill need. They hold nothing about a survivor.
OWN_TOKENS = {
    "username": "username",
    "password": "current-password",
    "old_password": "current-password",
    "new_password1": "new-password",
    "new_password2": "new-password",
    "token": "one-time-code",
}


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("textarea", "select") or (tag == "input" and (attributes.get("type") or "text") in TYPED_INPUTS):
            self.found.append({"tag": tag, **attributes})


def typing_fields(html: str) -> list[dict[str, str | None]]:
    parser = _Fields()
    parser.feed(html)
    return parser.found


def misremembered(html: str, own_tokens: dict[str, str] | None = None) -> list[dict[str, str | None]]:
    """The typing fields of ``html`` without autocomplete="off" (or without their own token)."""
    tokens = own_tokens or {}
    return [field for field in typing_fields(html)
            if field.get("autocomplete") != tokens.get(str(field.get("name")), "off")]


# --- Every form class ------------------------------------------------------------------------------


def _form_factories(cast: Cast) -> dict[type[forms.BaseForm], Callable[[], forms.BaseForm]]:
    """One way to build each form class, with a real record where it edits one."""
    case = case_a(cast)
    incident = case.incidents.first()
    service, livelihood = case.services.first(), case.livelihood_supports.first()
    partners = Organisation.objects.filter(kind__in=Organisation.PARTNER_KINDS)
    cw, lc, rf = casework.forms, casework.forms_lifecycle, referrals.forms
    return {
        cw.SurvivorForm: lambda: cw.SurvivorForm(instance=case.survivor, province=cast.province),
        cw.IncidentForm: lambda: cw.IncidentForm(instance=incident),
        cw.ConsentForm: lambda: cw.ConsentForm(case=case),
        cw.ConsentWithdrawForm: cw.ConsentWithdrawForm,
        cw.RiskForm: cw.RiskForm,
        cw.SafetyPlanForm: lambda: cw.SafetyPlanForm(plan=case.safety_plan),
        cw.ServiceForm: lambda: cw.ServiceForm(instance=service, address=cast.address_a),
        cw.LivelihoodForm: lambda: cw.LivelihoodForm(instance=livelihood),
        cw.NoteForm: cw.NoteForm,
        lc.CaseSearchForm: lambda: lc.CaseSearchForm(allow_personal=True),
        lc.SupervisionFilterForm: lambda: lc.SupervisionFilterForm(addresses=Organisation.objects.all()),
        lc.CaseCloseForm: lc.CaseCloseForm,
        lc.CaseAssignForm: lambda: lc.CaseAssignForm(case=case),
        lc.SupportPlanDoneForm: lc.SupportPlanDoneForm,
        rf.ReferralForm: lambda: rf.ReferralForm(partners=partners, allow_override=True),
        rf.ActionForm: rf.ActionForm,
        rf.NoteForm: rf.NoteForm,
        rf.DirectorySearchForm: rf.DirectorySearchForm,
        indicators.forms.ReportForm: lambda: indicators.forms.ReportForm(None, membership=cast.analyst),
        accounts.forms.LoginForm: accounts.forms.LoginForm,
        accounts.forms.TokenForm: accounts.forms.TokenForm,
        accounts.forms_grants.GrantConfirmForm: accounts.forms_grants.GrantConfirmForm,
        accounts.forms_passwords.PasswordForgotForm: accounts.forms_passwords.PasswordForgotForm,
        accounts.forms_passwords.EmailChangeForm:
            lambda: accounts.forms_passwords.EmailChangeForm(cast.volunteer_a.user),
    }


def _form_classes() -> set[type[forms.BaseForm]]:
    """Every concrete form class defined in the form modules (a ModelForm without a model is a base)."""
    return {
        cls for module in FORM_MODULES for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
        and not (issubclass(cls, forms.BaseModelForm) and cls._meta.model is None)
    }


def test_every_field_of_every_form_says_autocomplete_off(cast):
    factories = _form_factories(cast)
    assert _form_classes() <= set(factories), f"list the new forms here: {_form_classes() - set(factories)}"

    checked = 0
    for cls, build in factories.items():
        form = build()
        # Each field as the templates render it: whole (form_field.html, as_field_group) or bare.
        for bound in form:
            for html in (str(bound), bound.as_field_group()):
                assert misremembered(html, OWN_TOKENS) == [], (cls.__name__, bound.name, html)
            checked += len(typing_fields(str(bound)))
    assert checked >= 60  # the walk reached the forms' fields


def test_django_password_change_form_keeps_its_own_tokens(cast):
    form = PasswordChangeForm(user=cast.volunteer_a.user)

    fields = {field["name"]: field["autocomplete"] for field in typing_fields(str(form))}

    assert fields == {"old_password": "current-password", "new_password1": "new-password",
                      "new_password2": "new-password"}


def test_names_and_places_are_taken_verbatim_and_free_text_keeps_the_spellchecker(cast):
    html = str(casework.forms.SurvivorForm(instance=case_a(cast).survivor, province=cast.province))
    fields = {field["name"]: field for field in typing_fields(html)}
    for name in ("full_name", "other_names", "address", "guardian_contact", "national_id"):
        assert (fields[name]["autocorrect"], fields[name]["spellcheck"]) == ("off", "false"), name
    # A phone number gets the dial pad: nothing to correct.
    assert fields["phone"]["type"] == "tel"

    narrative = typing_fields(str(casework.forms.IncidentForm()["narrative"]))[0]
    assert narrative["autocomplete"] == "off" and "spellcheck" not in narrative


# --- Every page, as every role that may open it ---------------------------------------------------


def _pages() -> list[Row]:
    # The operator's Django admin is left out: its own templates (the search bar) are Django's, and
    # it is used at the provincial office, not on a volunteer's phone.
    return [row for row in ALL_ROWS if row.method == "get" and not row.url_name.startswith("admin:")]


def _url(row: Row, cast: Cast, membership: Any) -> str:
    kwargs = row.kwargs(cast, membership) if row.kwargs else {}
    args = kwargs.pop("_args", None)
    return reverse(row.url_name, args=args) if args else reverse(row.url_name, kwargs=kwargs)


def test_every_page_renders_every_field_with_autocomplete_off(cast):
    referral_a(cast)  # the partner's page of a sent referral shows the hand-written note fields
    members = cast.by_role()
    pages = 0
    for row in _pages():
        for role in ROLES:
            membership = members.get(role)
            if membership is None or row.expect[role] != 200:
                continue
            response = signed_in(membership).get(_url(row, cast, membership))
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            pages += 1
            assert misremembered(response.content.decode(), OWN_TOKENS) == [], (row.url_name, role)
    assert pages >= 80


def test_the_partners_note_fields_written_in_the_template_say_autocomplete_off(cast):
    referral = referral_a(cast)
    html = signed_in(cast.police_officer).get(reverse("referrals:referral-detail", args=[referral.pk]))
    notes = [field for field in typing_fields(html.content.decode()) if field["name"] == "note"]

    assert len(notes) >= 2  # a reason to refuse, and the progress note
    assert all(field["autocomplete"] == "off" for field in notes)


def test_the_sign_in_page_keeps_the_tokens_of_the_password_manager(client, db):
    fields = {field["name"]: field for field in typing_fields(client.get("/accounts/login/").content.decode())}

    assert fields["username"]["autocomplete"] == "username"
    assert fields["password"]["autocomplete"] == "current-password"
