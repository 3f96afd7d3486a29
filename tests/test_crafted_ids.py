"""Crafted ids are a form error or "not found" — never a 500, on SQLite or PostgreSQL (issue 9, item 6).

``volunteers=99999999999999999999`` on the lead's reassign form raised OverflowError on SQLite. The fix
is below every form and view (core/lookups.py: a value an integer column cannot hold matches no row),
with the operator admin's remaining gaps closed in accounts/admin.py (values that are not ids at all).

Three walks, so a form or a view added later is covered without anyone editing this file:

* every form class of the project, bound with a huge id, a negative one and "1e400" in every field;
* every URL of the access matrix, as a role allowed in: the page's own field names and every form
  field name of the project, set to those values, in the query string (GET) and in the body (POST),
  and every id in the URL path replaced by them;
* the operator admin: list filters on every field of every registered model, object ids in change,
  history and past-version pages, and autocomplete.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…/diachi_…).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.db import models
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict

from accounts.admin_site import admin_site
from accounts.models import Organisation
from tests.access import ANON, OK, REDIRECT, Row
from tests.casework.builders import case_a
from tests.conftest import Cast, signed_in
from tests.test_access_matrix import ALL_ROWS

HUGE = ("99999999999999999999", "-99999999999999999999", "1e400")
PROJECT_APPS = ("accounts", "casework", "referrals", "indicators", "core")


# --- Every form class ---------------------------------------------------------------------------


def project_form_classes() -> set[type[forms.BaseForm]]:
    """Every concrete form class defined in the project's apps."""
    found = set()
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if (isinstance(value, type) and issubclass(value, forms.BaseForm)
                        and value.__module__ == module.__name__
                        and not (issubclass(value, forms.BaseModelForm) and value._meta.model is None)):
                    found.add(value)
    return found


def _case(cast: Cast):  # type: ignore[no-untyped-def]
    return case_a(cast)


# How each form is built by its view; a new form class needs a line here (the test says so).
BUILDERS: dict[str, Callable[[Any, Cast], forms.BaseForm]] = {
    "accounts.forms.LoginForm":
        lambda data, cast: _cls("accounts.forms.LoginForm")(RequestFactory().post("/accounts/login/"), data),
    "accounts.forms.TokenForm": lambda data, cast: _cls("accounts.forms.TokenForm")(data),
    "accounts.forms_grants.GrantConfirmForm": lambda data, cast: _cls("accounts.forms_grants.GrantConfirmForm")(data),
    "accounts.forms_passwords.PasswordForgotForm":
        lambda data, cast: _cls("accounts.forms_passwords.PasswordForgotForm")(data),
    "accounts.forms_passwords.EmailChangeForm":
        lambda data, cast: _cls("accounts.forms_passwords.EmailChangeForm")(cast.volunteer_a.user, data),
    "accounts.admin.OperatorUserCreationForm": lambda data, cast: _cls("accounts.admin.OperatorUserCreationForm")(data),
    "accounts.admin.OperatorUserChangeForm":
        lambda data, cast: _cls("accounts.admin.OperatorUserChangeForm")(data, instance=cast.volunteer_a.user),
    "accounts.admin.MembershipRequestForm": lambda data, cast: _cls("accounts.admin.MembershipRequestForm")(data),
    "casework.forms_lifecycle.CaseSearchForm":
        lambda data, cast: _cls("casework.forms_lifecycle.CaseSearchForm")(data, allow_personal=True),
    "casework.forms_lifecycle.SupervisionFilterForm": lambda data, cast: _cls(
        "casework.forms_lifecycle.SupervisionFilterForm")(data, addresses=Organisation.objects.trusted_addresses()),
    "casework.forms_lifecycle.CaseCloseForm": lambda data, cast: _cls("casework.forms_lifecycle.CaseCloseForm")(data),
    "casework.forms_lifecycle.CaseAssignForm":
        lambda data, cast: _cls("casework.forms_lifecycle.CaseAssignForm")(data, case=_case(cast)),
    "casework.forms_lifecycle.SupportPlanDoneForm":
        lambda data, cast: _cls("casework.forms_lifecycle.SupportPlanDoneForm")(data),
    "casework.forms.SurvivorForm": lambda data, cast: _cls("casework.forms.SurvivorForm")(
        data, instance=_case(cast).survivor, province=cast.province),
    "casework.forms.IncidentForm":
        lambda data, cast: _cls("casework.forms.IncidentForm")(data, instance=_case(cast).incidents.first()),
    "casework.forms.ConsentForm": lambda data, cast: _cls("casework.forms.ConsentForm")(data, case=_case(cast)),
    "casework.forms.ConsentWithdrawForm": lambda data, cast: _cls("casework.forms.ConsentWithdrawForm")(data),
    "casework.forms.RiskForm": lambda data, cast: _cls("casework.forms.RiskForm")(data),
    "casework.forms.SafetyPlanForm":
        lambda data, cast: _cls("casework.forms.SafetyPlanForm")(data, plan=_case(cast).safety_plan),
    "casework.forms.ServiceForm": lambda data, cast: _cls("casework.forms.ServiceForm")(data, address=cast.address_a),
    "casework.forms.LivelihoodForm": lambda data, cast: _cls("casework.forms.LivelihoodForm")(data),
    "casework.forms.NoteForm": lambda data, cast: _cls("casework.forms.NoteForm")(data),
    "referrals.forms.ReferralForm": lambda data, cast: _cls("referrals.forms.ReferralForm")(
        data, partners=Organisation.objects.all(), allow_override=True),
    "referrals.forms.ActionForm": lambda data, cast: _cls("referrals.forms.ActionForm")(data),
    "referrals.forms.NoteForm": lambda data, cast: _cls("referrals.forms.NoteForm")(data),
    "referrals.forms.DirectorySearchForm": lambda data, cast: _cls("referrals.forms.DirectorySearchForm")(data),
    "indicators.forms.ReportForm":
        lambda data, cast: _cls("indicators.forms.ReportForm")(data, membership=cast.analyst),
}


def _cls(dotted: str) -> Any:
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _name(form_class: type) -> str:
    return f"{form_class.__module__}.{form_class.__qualname__}"


def test_every_form_class_of_the_project_is_walked():
    assert {_name(c) for c in project_form_classes()} == set(BUILDERS), (
        "a form class was added or removed: tell BUILDERS how its view builds it")


def _ids_fields(form: forms.BaseForm) -> list[str]:
    return [name for name, field in form.fields.items() if isinstance(field, forms.ModelChoiceField)]


@pytest.mark.parametrize("dotted", sorted(BUILDERS))
def test_a_crafted_id_in_any_field_of_any_form_is_a_form_error(cast, dotted):
    build = BUILDERS[dotted]
    names = list(build({}, cast).fields)  # fields added in __init__ included
    for value in HUGE:
        form = build(MultiValueDict({name: [value] for name in names}), cast)
        assert not form.is_valid() or not _ids_fields(form), (dotted, value)
        for name in _ids_fields(form):
            assert name in form.errors, (dotted, name, value)
        # Shown back with its errors: rendering what was posted does not fail either.
        assert "errorlist" in str(form) or not _ids_fields(form), (dotted, value)


def test_the_reassign_form_answers_a_crafted_id_with_its_own_message(cast):
    case = case_a(cast)
    client = signed_in(cast.lead_a)
    for value in HUGE:
        response = client.post(reverse("casework:case-assign", kwargs={"pk": case.pk}),
                               {"volunteers": [str(cast.lead_a.pk), value], "version": case.version})
        assert response.status_code == 200, value
        assert response.context["form"].errors["volunteers"] == [
            "Chỉ chọn thành viên đang hoạt động của địa chỉ tin cậy này."], value
    case.refresh_from_db()
    assert list(case.assigned_volunteers.all()) == [cast.volunteer_a]


# --- Every URL ----------------------------------------------------------------------------------

# Query parameters views and the admin read besides form fields. (The admin's own ``_to_field`` and the
# autocomplete's model names are tried in the admin tests below: here they would stop the admin before it
# reads the fields.)
EXTRA_NAMES = ("page", "p", "o", "q", "e", "tab", "id", "pk", "next", "term")


def _all_form_field_names(cast: Cast) -> set[str]:
    return {name for build in BUILDERS.values() for name in build({}, cast).fields}


def _allowed_role(row: Row) -> str | None:
    """A role that passes the row's gate (the view then reads its input), or None."""
    return next((role for role, status in row.expect.items() if role != ANON and status in (OK, REDIRECT, 409)),
                None)


def _url(row: Row, cast: Cast, membership, crafted: tuple[int, str] | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """The row's URL; with ``crafted`` = (position, value), the id at that place in the path replaced —
    or None when the URL converter refuses the value (the resolver answers 404 without a view)."""
    kwargs = row.kwargs(cast, membership) if row.kwargs else {}
    args = kwargs.pop("_args", None)
    if crafted is not None:
        position, value = crafted
        if args:
            args = [value if i == position else a for i, a in enumerate(args)]
        else:
            kwargs[list(kwargs)[position]] = value
    try:
        return reverse(row.url_name, args=args) if args else reverse(row.url_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _path_ids(row: Row, cast: Cast, membership) -> int:  # type: ignore[no-untyped-def]
    kwargs = row.kwargs(cast, membership) if row.kwargs else {}
    return len(kwargs.get("_args") or kwargs)


NAME_ATTRIBUTE = re.compile(r'\bname="([^"]+)"')
ROWS_WITH_A_WAY_IN = [row for row in ALL_ROWS if _allowed_role(row)]


@pytest.mark.parametrize("row", ROWS_WITH_A_WAY_IN, ids=lambda r: r.url_name)
def test_no_view_answers_a_crafted_id_with_a_server_error(row: Row, cast: Cast):
    membership = cast.by_role()[_allowed_role(row)]  # type: ignore[index]
    url = _url(row, cast, membership)
    assert url is not None
    reader = signed_in(membership)
    page = reader.get(url)
    assert page.status_code < 500
    names = set(NAME_ATTRIBUTE.findall(page.content.decode(errors="replace")))
    names |= _all_form_field_names(cast) | set(EXTRA_NAMES)
    names.discard("csrfmiddlewaretoken")
    for value in HUGE:
        data = {name: value for name in names}
        assert reader.get(url, data).status_code < 500, ("get", url, value)
        # A fresh client for each POST: one may sign out or switch what the user acts as.
        assert signed_in(membership).post(url, data).status_code < 500, ("post", url, value)
        for position in range(_path_ids(row, cast, membership)):
            crafted = _url(row, cast, membership, (position, value))
            if crafted is not None:
                assert reader.get(crafted).status_code < 500, ("get", crafted)
                assert signed_in(membership).post(crafted, data).status_code < 500, ("post", crafted)


# --- The operator admin --------------------------------------------------------------------------

LOOKUPS = ("", "__in", "__gt", "__lte")


def _admin_url(model: Any, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_the_operator_admin_lists_filter_on_crafted_ids_without_a_server_error(cast):
    client = signed_in(cast.sysadmin)
    for model in admin_site._registry:
        changelist = _admin_url(model, "changelist")
        # Where an id can go: the key, relations, integer columns.
        fields = [f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)
                  and (f.is_relation or isinstance(f, models.IntegerField))]
        for value in HUGE:
            for name in fields:
                for lookup in LOOKUPS:
                    response = client.get(changelist, {f"{name}{lookup}": value})
                    assert response.status_code < 500, (changelist, f"{name}{lookup}", value)
            for extra in ("p", "o", "q", "e", "_to_field", "_popup"):
                assert client.get(changelist, {extra: value}).status_code < 500, (changelist, extra, value)


def test_the_operator_admin_answers_crafted_object_ids_without_a_server_error(cast):
    client = signed_in(cast.sysadmin)
    for model, model_admin in admin_site._registry.items():
        own = cast.sysadmin.pk if model._meta.model_name == "membership" else None
        for value in HUGE:
            for view in ("change", "history", "delete"):
                response = client.get(_admin_url(model, view, value))
                assert response.status_code in (302, 403, 404), (model, view, value, response.status_code)
            if hasattr(model_admin, "history_form_view") and own is not None:
                for args in ((value, 1), (own, value)):
                    response = client.get(_admin_url(model, "simple_history", *args))
                    assert response.status_code == 404, (model, args)
            for field_name in model_admin.autocomplete_fields:
                source = {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                          "field_name": field_name}
                assert client.get(reverse("admin:autocomplete"), {**source, "term": value}).status_code == 200
                # Django's list views answer a page that does not exist with 404.
                response = client.get(reverse("admin:autocomplete"), {**source, "page": value})
                assert response.status_code == 404, (model, field_name, value)
            # An add page opened with a crafted id for each of its fields, as a "Save as new" link would.
            response = client.get(_admin_url(model, "add"), {f.name: value for f in model._meta.get_fields()
                                                              if getattr(f, "concrete", False)})
            assert response.status_code == 200, (model, value)
