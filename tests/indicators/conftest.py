import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def no_report_cache(settings):  # type: ignore[no-untyped-def]
    """Reports are rebuilt in every test (tests that check the cache turn it back on)."""
    settings.INDICATORS_CACHE_SECONDS = 0
    cache.clear()
    yield
    cache.clear()
