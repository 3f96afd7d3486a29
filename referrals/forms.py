from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AdminUnit, Organisation
from referrals.models import Action, PartnerProfile, Referral, Service
from referrals.snapshot import DEFAULT_SHARED, SHAREABLE


class PartnerChoiceField(forms.ModelChoiceField[Organisation]):
    """A partner as the volunteer knows it: its name and its kind (police, health station…)."""

    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class ReferralForm(forms.Form):
    partner = PartnerChoiceField(
        label=_("Refer to"), queryset=Organisation.objects.none(),
        error_messages={"invalid_choice": _("Choose a partner from the list."),
                        "required": _("Choose the partner to refer to.")},
    )
    services = forms.MultipleChoiceField(
        label=_("Services requested"), choices=Service.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one service."),
                        "invalid_choice": _("Choose services from the list.")},
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Referral.Urgency.choices, widget=forms.RadioSelect,
                                initial=Referral.Urgency.ROUTINE)
    reason = forms.CharField(label=_("Reason for referral"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    shared_fields = forms.MultipleChoiceField(
        label=_("Information to share"), choices=[(s.key, s.label) for s in SHAREABLE],
        widget=forms.CheckboxSelectMultiple, initial=list(DEFAULT_SHARED), required=False,
        help_text=_("Share only what the partner needs to act, and never more than she agreed to."),
    )
    override_reason = forms.CharField(
        label=_("Child at risk: reason for sending without consent"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only a lead, only for a child. The reason is recorded and shown on the case."),
    )

    def __init__(self, *args: Any, partners: Any, allow_override: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, PartnerChoiceField)
        partner.queryset = partners
        if not allow_override:
            del self.fields["override_reason"]


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=Action.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Progress note or feedback"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the note.")})


class DirectorySearchForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), choices=[("", _("Any service")), *Service.choices],
                                required=False)
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE), required=False,
        empty_label=_("Any commune"), error_messages={"invalid_choice": _("Choose a commune from the list.")},
    )

    def results(self) -> Any:
        profiles = PartnerProfile.objects.listed().select_related("organisation", "organisation__area")
        if self.is_valid():
            if self.cleaned_data.get("service"):
                profiles = profiles.offering(self.cleaned_data["service"])
            if self.cleaned_data.get("commune"):
                profiles = profiles.serving(self.cleaned_data["commune"])
        return profiles.prefetch_related("services").distinct()
