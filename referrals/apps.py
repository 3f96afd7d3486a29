from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from casework.models import Consent
        from casework.panels import CasePanel, register_case_panel
        from casework.signals import consent_withdrawn
        from referrals.receivers import revoke_partner_access
        from referrals.views import case_panel_context

        consent_withdrawn.connect(revoke_partner_access, sender=Consent,
                                  dispatch_uid="referrals.revoke_partner_access")
        register_case_panel(CasePanel(template_name="referrals/case_panel.html", context=case_panel_context, order=50))
