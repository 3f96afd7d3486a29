"""The report picker: an area the member may report on, and a fixed period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import AdminUnit, Membership
from indicators import areas, periods


class ReportForm(forms.Form):
    # Plain text checked by areas.parse and periods.parse, which say what is wrong in the user's terms.
    area = forms.CharField(label=_("Area"), widget=forms.Select)
    period = forms.CharField(label=_("Period"), widget=forms.Select)

    def __init__(self, data: Any, *, membership: Membership | None) -> None:
        self.membership = membership
        scope = areas.scope_of(membership)
        defaults = {"area": areas.key_of(scope) if scope else "", "period": periods.current_year().code}
        # Always bound: an empty form means "my area, this year".
        values = {
            name: (data.get(name) if data is not None and data.get(name) not in (None, "") else default)
            for name, default in defaults.items()
        }
        super().__init__(values)
        self.fields["area"].widget.choices = areas.choices(membership)
        self.fields["period"].widget.choices = periods.choices()

    def clean_area(self) -> AdminUnit:
        try:
            return areas.parse(self.cleaned_data["area"], self.membership)
        except areas.InvalidArea as exc:
            raise ValidationError(exc.args[0], code="area") from None

    def clean_period(self) -> periods.Period:
        try:
            return periods.parse(self.cleaned_data["period"])
        except periods.InvalidPeriod as exc:
            raise ValidationError(exc.args[0], code="period") from None

    def query(self) -> str:
        """The query string of the chosen report, for the download links."""
        from urllib.parse import urlencode

        return urlencode(
            {"area": areas.key_of(self.cleaned_data["area"]), "period": self.cleaned_data["period"].code}
        )
