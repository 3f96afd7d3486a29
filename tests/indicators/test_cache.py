"""Built reports are cached for a while, keyed by the release they are read from; a release never
changes, so a withdrawal of consent leaves them as they are (and never sends a report back to counting)."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import services as cw
from indicators import periods
from indicators.models import Release
from indicators.report import get_report
from tests.conftest import signed_in
from tests.indicators.builders import add_address, counted_case, release


def stored_reads(client, **params) -> int:  # type: ignore[no-untyped-def]
    """Queries of a dashboard request that read released figures or case records."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("indicators:dashboard"), params).status_code == 200
    return sum(1 for q in captured.captured_queries
               if re.search(r'"(indicators_releasedfigures|casework_\w+)"', q["sql"]))


def test_a_second_look_at_the_same_report_reads_no_figures(cast, settings):
    settings.INDICATORS_CACHE_SECONDS = 600
    release()
    client = signed_in(cast.analyst)
    year = periods.current_year().code
    assert stored_reads(client, period=year) > 0
    assert stored_reads(client, period=year) == 0
    assert stored_reads(client, period="phase1") > 0  # another period is another report


def test_the_cache_key_is_the_release_and_a_withdrawal_leaves_the_cached_report_as_it_is(cast, settings):
    settings.INDICATORS_CACHE_SECONDS = 600
    a2 = add_address(cast, "a2", cast.commune1, "Địa chỉ tin cậy A2")
    cases = [counted_case(by, name=f"Người {n}") for n, by in enumerate([cast.volunteer_a, a2] * 3)]
    release()
    year = periods.current_year()
    client = signed_in(cast.analyst)
    first = client.get(reverse("indicators:dashboard"), {"period": year.code}).context["report"]
    assert first.cells[first.indicator_cells["SV_NEW"]].value == 6
    published = Release.objects.get(period=year.code)
    keys = [key for key in _cache_keys(settings) if key.endswith(f":release-{published.pk}")]
    assert keys, "the report is cached under its release"

    consent = cases[0].consents.get(scope="statistics")
    cw.consent_withdraw(consent=consent, by=cast.volunteer_a, on=cases[0].opened_on)

    assert stored_reads(client, period=year.code) == 0  # still the cached report: nothing to outdate
    second = client.get(reverse("indicators:dashboard"), {"period": year.code}).context["report"]
    assert second.cells[second.indicator_cells["SV_NEW"]].value == 6 and second.released_at == first.released_at
    settings.INDICATORS_CACHE_SECONDS = 0
    rebuilt = get_report(cast.province, year)
    assert rebuilt.cells[rebuilt.indicator_cells["SV_NEW"]].value == 6  # rebuilt: the same release


def _cache_keys(settings) -> list[str]:  # type: ignore[no-untyped-def]
    """The keys in the local-memory cache of the tests."""
    from django.core.cache import cache

    assert "locmem" in settings.CACHES["default"]["BACKEND"].lower()
    return [key.split(":", 2)[-1] for key in cache._cache]  # type: ignore[attr-defined]
