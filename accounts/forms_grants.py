from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class GrantConfirmForm(forms.Form):
    """The six digits the new member reads out from their own screen."""

    code = forms.RegexField(
        label=_("Code shown on their phone"), regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": _("Enter the 6 digits shown on the member's own phone."),
                        "required": _("Enter the 6 digits shown on the member's own phone.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        value: str = self.cleaned_data["code"]
        return value.strip()
