"""The typed keys of a count write and read the strings the snapshot and the releases store, and every
tally source answers the questions a report asks."""

from __future__ import annotations

import pytest

from indicators import aggregates
from indicators.snapshot import ReleaseSource, SnapshotSource
from indicators.tallies import MeasureKey, RowKey, TallyKey, TallySource


def test_a_breakdown_row_is_stored_as_dimension_colon_value():
    assert str(RowKey("gbv", "2")) == "gbv:2"
    assert str(RowKey("pilot", "women")) == "pilot:women"
    assert RowKey.parse("eth:01") == RowKey("eth", "01")


def test_a_plain_row_is_no_breakdown_row():
    assert RowKey.parse("all") is None


@pytest.mark.parametrize(
    ("name", "key"),
    [("all|persons", MeasureKey("all", "persons")), ("kind:shelter|nights", MeasureKey("kind:shelter", "nights")),
     ("persons", MeasureKey(None, "persons"))],
)
def test_a_measure_name_reads_back_as_the_key_it_was_written_from(name, key):
    assert MeasureKey.parse(name) == key
    assert str(key) == name


def test_the_count_at_the_largest_address_keeps_the_row():
    assert str(MeasureKey.parse("all|persons").top()) == "all|top_persons"
    assert str(MeasureKey.parse("sent").top()) == "top_sent"


def test_a_tally_key_is_the_row_and_column_pair_a_report_looks_up():
    tallies = {TallyKey("all", "p62/"): {"persons": 3}}
    assert tallies[("all", "p62/")] == {"persons": 3}


@pytest.mark.parametrize("source", [aggregates, SnapshotSource, ReleaseSource])
def test_every_source_of_a_report_answers_every_question_of_a_tally_source(source):
    asked = {name for name in dir(TallySource) if name.endswith(("_tallies", "_series")) or name.startswith("areas_")}
    assert asked == {
        "survivor_tallies", "survivor_series", "excluded_tallies", "support_tallies", "referral_tallies",
        "livelihood_tallies", "address_tallies", "address_series", "areas_with_addresses",
    }
    assert all(callable(getattr(source, name, None)) for name in asked)
