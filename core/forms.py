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

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import Input

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
