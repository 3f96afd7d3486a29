"""The operator admin's search box and autocomplete are GET requests (Django's design), so what is typed
there reaches the address bar and the access log. That is acceptable only because nothing about a
survivor can be searched there — staff accounts, organisations, areas, the partner directory and plan
targets — and these tests keep it so: a model or a search path that reaches case data fails here.
"""

from __future__ import annotations

from django.apps import apps

from accounts.admin_site import admin_site
from casework.fields import encrypted_fields

# Reference data and staff: what the operator may look up by typing its name.
SEARCHABLE = {"accounts.user", "accounts.adminunit", "accounts.organisation", "accounts.membership",
              "referrals.partnerprofile", "indicators.plantarget"}


def test_only_staff_and_reference_data_are_registered_in_the_operator_admin():
    assert {model._meta.label_lower for model in admin_site._registry} <= SEARCHABLE
    for model in admin_site._registry:
        assert not encrypted_fields(model), model


def test_no_admin_search_path_reaches_case_data():
    case_apps = {"casework"}
    for model, model_admin in admin_site._registry.items():
        for path in [*model_admin.search_fields, *model_admin.autocomplete_fields]:
            current = model
            for part in path.lstrip("^=@").split("__"):
                field = current._meta.get_field(part)
                if field.is_relation:
                    current = field.related_model
                assert current._meta.label_lower in SEARCHABLE | {"auth.group"}, (model, path)
                assert current._meta.app_label not in case_apps
    # And no model holding survivor data slipped into the searchable set.
    for label in SEARCHABLE:
        assert not encrypted_fields(apps.get_model(label))
