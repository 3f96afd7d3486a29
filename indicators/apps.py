from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from casework.signals import consent_withdrawing, consent_withdrawn
        from indicators import aggregates  # noqa: F401  (importing it registers SQLite's median aggregate)
        from indicators.receivers import count_before_withdrawal, take_out_of_statistics

        consent_withdrawing.connect(count_before_withdrawal, dispatch_uid="indicators.count_before_withdrawal")
        consent_withdrawn.connect(take_out_of_statistics, dispatch_uid="indicators.take_out_of_statistics")
