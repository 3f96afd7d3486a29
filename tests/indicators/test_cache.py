"""Built reports are cached for a while; a withdrawn consent to statistics outdates them at once."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import services as cw
from indicators.models import StatisticsVersion
from tests.conftest import signed_in
from tests.indicators.builders import add_address, counted_case


def case_queries(client, **params) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("indicators:dashboard"), params).status_code == 200
    return sum(1 for q in captured.captured_queries if re.search(r'"casework_case"', q["sql"]))


def test_a_second_look_at_the_same_report_reads_no_case_data(cast, settings):
    settings.INDICATORS_CACHE_SECONDS = 600
    client = signed_in(cast.analyst)
    assert case_queries(client) > 5
    assert case_queries(client) == 0
    assert case_queries(client, period="phase1") > 5  # another period is another report


def test_withdrawing_a_consent_to_statistics_outdates_the_cached_reports_at_once(cast, settings):
    settings.INDICATORS_CACHE_SECONDS = 600
    a2 = add_address(cast, "a2", cast.commune1, "Địa chỉ tin cậy A2")
    cases = [counted_case(by, name=f"Người {n}") for n, by in enumerate([cast.volunteer_a, a2] * 3)]
    client = signed_in(cast.analyst)
    first = client.get(reverse("indicators:dashboard")).context["report"]
    assert first.cells[first.indicator_cells["SV_NEW"]].value == 6
    version = StatisticsVersion.current()

    consent = cases[0].consents.get(scope="statistics")
    cw.consent_withdraw(consent=consent, by=cast.volunteer_a, on=cases[0].opened_on)

    assert StatisticsVersion.current() == version + 1
    second = client.get(reverse("indicators:dashboard")).context["report"]
    assert second.cells[second.indicator_cells["SV_NEW"]].value == 5


def test_withdrawing_another_kind_of_consent_keeps_the_cache(cast):
    case = counted_case(cast.volunteer_a, name="Người Khác")
    consent = cw.consent_give(case=case, by=cast.volunteer_a, scope="share_police", given_by="survivor",
                              given_on=case.opened_on)
    version = StatisticsVersion.current()
    cw.consent_withdraw(consent=consent, by=cast.volunteer_a, on=case.opened_on)
    assert StatisticsVersion.current() == version
