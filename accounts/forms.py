from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's form, with one message for every failure so nobody learns which usernames exist."""

    error_messages = {
        "invalid_login": _("Wrong username or password. Please try again."),
        "inactive": _("Wrong username or password. Please try again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        # Django sets max_length after the field is built, so it is never checked: an overlong name
        # would reach authenticate() and overflow axes' 255-character column (a 500 on PostgreSQL).
        username.validators.append(MaxLengthValidator(username.max_length))
        username.widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def confirm_login_allowed(self, user: object) -> None:
        if not getattr(user, "is_active", False):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code"), regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_token(self) -> str:
        value: str = self.cleaned_data["token"]
        return value.strip()
