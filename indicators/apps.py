from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from casework.signals import consent_withdrawing, consent_withdrawn
        from indicators.receivers import count_before_withdrawal, take_out_of_statistics
        from indicators.sqlfunctions import register_sqlite_functions

        # SQLite's median and record key on every connection: statistics are counted only once apps are ready.
        connection_created.connect(register_sqlite_functions, dispatch_uid="indicators.sqlite_median")
        consent_withdrawing.connect(count_before_withdrawal, dispatch_uid="indicators.count_before_withdrawal")
        consent_withdrawn.connect(take_out_of_statistics, dispatch_uid="indicators.take_out_of_statistics")
