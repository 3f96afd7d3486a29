"""core/forms.py's date field and config/formats/: one way to type a date in every form, in every
interface language — ISO from the date picker, day first by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from casework.forms_lifecycle import CaseCloseForm, CaseSearchForm, SupportPlanDoneForm
from core.forms import DateField, DateInput

TYPED = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


@pytest.mark.parametrize("language", ["vi", "en", None])
def test_any_date_field_reads_a_typed_date_day_first_whatever_the_language(language):
    # Django's own field (the admin's, a plain form's) too: Django's English and global defaults
    # would read 05/03/2025 as 3 May.
    with translation.override(language, deactivate=True):
        assert forms.DateField().clean("05/03/2025") == dt.date(2025, 3, 5)
        assert DateField().clean("05/03/2025") == dt.date(2025, 3, 5)


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       shape=st.sampled_from(TYPED))
def test_a_date_in_any_accepted_shape_is_read_back_and_shown_to_the_picker_as_iso(day, shape):
    typed = day.strftime(shape)
    assert DateField(allow_future=True).clean(typed) == day
    assert DateInput().format_value(typed) == day.isoformat()


@pytest.mark.parametrize("typed, code", [
    ("31/02/2024", "impossible"), ("2024-02-30", "impossible"), ("hôm qua", "invalid"),
    ("05/03/1899", "too_early"), ("", "required"),
])
def test_a_bad_date_is_refused_with_its_own_reason(typed, code):
    with pytest.raises(forms.ValidationError) as refused:
        DateField().clean(typed)
    assert refused.value.code == code


def test_the_case_lifecycle_forms_use_the_shared_date_rules_in_vietnamese():
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    close = CaseCloseForm({"reason": "safe", "on": "31/02/2024"})
    assert close.errors["on"] == ["Ngày này không có thật: hãy kiểm tra lại ngày và tháng."]
    # A form's own message for a future date wins over the field's.
    assert CaseCloseForm({"reason": "safe", "on": tomorrow}).errors["on"] == ["Ngày đóng không thể ở tương lai."]
    assert SupportPlanDoneForm({"on": ""}).errors["on"] == ["Nhập ngày."]
    assert SupportPlanDoneForm({"on": tomorrow}).errors["on"] == ["Ngày không thể ở tương lai."]


def test_a_search_filter_may_reach_into_the_future():
    next_year = timezone.localdate().replace(month=1, day=1) + dt.timedelta(days=366)
    form = CaseSearchForm({"opened_to": next_year.strftime("%d/%m/%Y")}, allow_personal=False)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["opened_to"] == next_year
