"""What a phone must not remember of a form: every field says ``autocomplete="off"``.

A volunteer types a survivor's name, address and story on a phone that may be shared, or taken. A
field without ``autocomplete="off"`` is remembered three ways: the browser's autofill offers it again
in other forms; Chromium keeps the text of form fields for restoring tabs (it wrote addresses and
notes into the profile's ``Sessions`` files, found in issue 9); and some keyboards learn it.

The rule lives in the project's form renderer (``FORM_RENDERER``), so that every form of every app
follows it, a new one included, without anyone remembering a mixin. A widget that names its own
token keeps it: the sign-in form's ``username`` and ``current-password``, the password forms'
``new-password`` and the second step's ``one-time-code`` are there for the browser's password manager
and the phone's code autofill, and hold nothing about a survivor.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

# For names of people and places, many in minority languages ("Hờ", "Vừ Lầu", "Đắk Hà"): the keyboard's
# autocorrect would "fix" them into dictionary words (Chrome on Android passes autocorrect="off" to the
# keyboard), and the spellchecker underlines every one. Free text keeps both: they help a volunteer write
# a long account, and autocomplete="off" already stops the keyboard suggesting and learning (Chrome on
# Android asks it for no suggestions). Phone inputs (type="tel") get a dial pad, with neither.
VERBATIM = {"autocorrect": "off", "spellcheck": "false"}

# Inputs that remember nothing typed: a choice among fixed options, or no value at all.
_NOTHING_TYPED = {"hidden", "checkbox", "radio", "file", "submit", "button", "reset", "image", "range", "color"}


def remembers_typing(widget: forms.Widget) -> bool:
    """A widget into which a person types (a text, date, phone or number input, a text area), or a
    list that autofill may fill from a saved address (a select)."""
    if isinstance(widget, forms.MultiWidget):
        return any(remembers_typing(part) for part in widget.widgets)
    if isinstance(widget, Input):
        return widget.input_type not in _NOTHING_TYPED
    return isinstance(widget, forms.Textarea | forms.Select)


class ForgetfulBoundField(BoundField):
    """Adds ``autocomplete="off"`` to every widget that remembers typing, unless the widget names
    its own token."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        # The widget's own attributes lose to these when rendered: look there first, or "username"
        # would become "off".
        if remembers_typing(widget) and "autocomplete" not in widget.attrs:
            attrs.setdefault("autocomplete", "off")
        return attrs


class ConfidentialFormRenderer(DjangoTemplates):
    """Django's default renderer; every form's fields are bound as ``ForgetfulBoundField``."""

    bound_field_class = ForgetfulBoundField


# --- Dates ----------------------------------------------------------------------------------------
# The formats a date may be typed in come from the format module (config/formats/): the browser's
# date picker sends ISO; a date typed by hand is day first, as in Vietnam.

# Shapes of a typed date, to tell "not a date" from "a date that does not exist" (31/02/2024).
_DATE_SHAPES = (
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}", re.ASCII),
    re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}", re.ASCII),
)
EARLIEST_YEAR = 1900


def _parse_date(text: str) -> dt.date | None:
    for fmt in formats.get_format("DATE_INPUT_FORMATS"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


class DateInput(forms.DateInput):
    """``<input type="date">``; a day-first date typed by hand is shown back as ISO, so the picker
    keeps it when the form comes back with an error elsewhere."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value: Any) -> Any:
        if isinstance(value, str):
            parsed = _parse_date(value)
            return parsed.isoformat() if parsed else value
        return super().format_value(value)


class DateField(forms.DateField):
    """A date typed or picked on a phone, in the format module's input formats.

    Not in the future unless ``allow_future`` (a planned date, a search filter); not before
    :data:`EARLIEST_YEAR` (a mistyped year). A date that cannot exist (31/02) has its own message.
    A form may name its own ``error_messages["future"]`` ("The closing date cannot be…").
    """

    widget = DateInput
    default_error_messages = {
        "required": _("Enter the date."),
        "invalid": _("Enter a date as day/month/year, for example 05/03/2025."),
        "impossible": _("This date does not exist: check the day and the month."),
        "future": _("The date cannot be in the future."),
        "too_early": _("Check the year: it is too early."),
    }

    def __init__(self, *, allow_future: bool = False, **kwargs: Any) -> None:
        self.allow_future = allow_future
        # One set of formats for every form: none may bring its own.
        kwargs.pop("input_formats", None)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        try:
            return super().to_python(value)
        except ValidationError:
            text = str(value).strip()
            if any(shape.fullmatch(text) for shape in _DATE_SHAPES):
                raise ValidationError(self.error_messages["impossible"], code="impossible") from None
            raise

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if value.year < EARLIEST_YEAR:
            raise ValidationError(self.error_messages["too_early"], code="too_early")
        if not self.allow_future and value > timezone.localdate():
            raise ValidationError(self.error_messages["future"], code="future")
