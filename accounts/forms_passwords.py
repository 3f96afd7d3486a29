from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class PasswordForgotForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, validators=[MaxLengthValidator(150)],
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Enter your username.")},
    )

    def clean_username(self) -> str:
        value: str = self.cleaned_data["username"]
        return value.strip()


class EmailChangeForm(forms.Form):
    """The owner changes their own e-mail address, confirming with their password (a session left
    open on a shared phone must not be enough to redirect the password links)."""

    email = forms.EmailField(label=_("E-mail address"), required=False)
    password = forms.CharField(label=_("Your current password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password
