"""The report picker: an area the member may report on, and a released period."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.models import AdminUnit, Membership
from indicators import areas, periods
from indicators.models import Release


def default_period(released: list[periods.Period]) -> periods.Period | None:
    """The newest released quarter — the union's regular report — or, before any quarter is released,
    the newest released period of any kind."""
    quarters = [period for period in released if period.kind == "quarter"]
    newest_first = sorted(quarters or released, key=lambda period: (period.end, period.start), reverse=True)
    return newest_first[0] if newest_first else None


class ReportForm(forms.Form):
    # Plain text checked by areas.parse and periods.parse, which say what is wrong in the user's terms.
    area = forms.CharField(label=_("Area"), widget=forms.Select)
    # Empty only before the first release, which clean_period says in words.
    period = forms.CharField(label=_("Period"), widget=forms.Select, required=False)

    def __init__(self, data: Any, *, membership: Membership | None) -> None:
        self.membership = membership
        self.released = Release.objects.periods()
        scope = areas.scope_of(membership)
        newest = default_period(self.released)
        defaults = {"area": areas.key_of(scope) if scope else "", "period": newest.code if newest else ""}
        # Always bound: an empty form means "my area, the newest released quarter".
        values = {
            name: (data.get(name) if data is not None and data.get(name) not in (None, "") else default)
            for name, default in defaults.items()
        }
        super().__init__(values)
        self.fields["area"].widget.choices = areas.choices(membership)
        self.fields["period"].widget.choices = periods.choices(self.released)

    @property
    def nothing_released(self) -> bool:
        return not self.released

    def clean_area(self) -> AdminUnit:
        try:
            return areas.parse(self.cleaned_data["area"], self.membership)
        except areas.InvalidArea as exc:
            raise ValidationError(exc.args[0], code="area") from None

    def clean_period(self) -> periods.Period:
        if not self.released and not self.cleaned_data["period"]:
            raise ValidationError(_("No figures have been published yet."), code="not_released")
        try:
            period = periods.parse(self.cleaned_data["period"])
        except periods.InvalidPeriod as exc:
            raise ValidationError(exc.args[0], code="period") from None
        if period not in self.released:
            # Keep the choice in the list, marked, so the refused page shows what was asked for.
            label = _("%(period)s (not published yet)") % {"period": period.label}
            self.fields["period"].widget.choices = periods.choices(self.released) + [
                (str(_("Not published yet")), [(period.code, str(label))])
            ]
            if period.is_due():
                raise ValidationError(
                    _("The figures of this period are due: they will be published at the next scheduled count "
                      "of the statistics."),
                    code="not_released",
                )
            raise ValidationError(
                _("The figures of this period are not published yet: they will be published after %(date)s.")
                % {"date": formats.date_format(period.published_after(), "d/m/Y")},
                code="not_released",
            )
        return period

    def query(self) -> str:
        """The query string of the chosen report, for the download links."""
        from urllib.parse import urlencode

        return urlencode(
            {"area": areas.key_of(self.cleaned_data["area"]), "period": self.cleaned_data["period"].code}
        )
