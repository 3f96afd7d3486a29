"""The suppression rule, as a pure function: examples, and properties checked on random tables by an
independent brute-force reader who knows everything the marks say."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.suppression import Cell, Kind, Mark, Relation, suppress

K = 5


def table(rows: list[list[int]], addresses: int = 3) -> tuple[dict, list[Relation]]:
    """Inner cells (r, c), row totals (r, "T"), column totals ("T", c) and the grand total, with
    every row and column sum as a relation."""
    cells: dict = {}
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cells[(r, c)] = Cell(value, addresses=addresses if value else 0)
        cells[(r, "T")] = Cell(sum(values), addresses=addresses)
    for c in range(len(rows[0])):
        cells[("T", c)] = Cell(sum(row[c] for row in rows), addresses=addresses)
    cells[("T", "T")] = Cell(sum(map(sum, rows)), addresses=addresses)
    relations = [Relation((r, "T"), tuple((r, c) for c in range(len(rows[0])))) for r in range(len(rows))]
    relations += [Relation(("T", c), tuple((r, c) for r in range(len(rows)))) for c in range(len(rows[0]))]
    relations.append(Relation(("T", "T"), tuple(("T", c) for c in range(len(rows[0])))))
    relations.append(Relation(("T", "T"), tuple((r, "T") for r in range(len(rows)))))
    return cells, relations


# --- Examples ---------------------------------------------------------------------------------------


def test_a_count_under_k_is_small_and_zero_is_small_too():
    marks = suppress({"a": Cell(3), "z": Cell(0), "big": Cell(12, addresses=2)}, k=K)
    assert marks == {"a": Mark.SMALL, "z": Mark.SMALL, "big": Mark.SHOWN}


def test_a_count_from_a_single_trusted_address_is_hidden_whatever_its_size():
    marks = suppress({"one": Cell(40, addresses=1), "two": Cell(40, addresses=2)}, k=K)
    assert marks == {"one": Mark.HIDDEN, "two": Mark.SHOWN}


def test_counts_of_trusted_addresses_are_never_hidden():
    cells = {"T": Cell(4, Kind.PUBLIC), "a": Cell(1, Kind.PUBLIC), "b": Cell(3, Kind.PUBLIC)}
    assert set(suppress(cells, [Relation("T", ("a", "b"))], k=K).values()) == {Mark.SHOWN}


def test_three_rapes_get_a_complement_so_that_the_total_minus_the_visible_cells_is_not_three():
    cells = {
        "all": Cell(17, addresses=2),
        "rape": Cell(3, addresses=2),
        "physical": Cell(9, addresses=2),
        "psychological": Cell(5, addresses=2),
        "denial": Cell(0),
    }
    marks = suppress(cells, [Relation("all", ("rape", "physical", "psychological", "denial"))], k=K)

    assert marks["rape"] is Mark.SMALL
    assert marks["psychological"] is Mark.HIDDEN  # the smallest non-zero part
    assert marks["all"] is Mark.SHOWN and marks["physical"] is Mark.SHOWN
    visible = sum(cells[key].value for key in cells if key != "all" and marks[key] is Mark.SHOWN)
    assert cells["all"].value - visible == 8


def test_a_relation_never_hides_exactly_one_cell():
    cells = {"T": Cell(30, addresses=3), "a": Cell(10, addresses=1), "b": Cell(20, addresses=3)}
    marks = suppress(cells, [Relation("T", ("a", "b"))], k=K)
    assert marks["a"] is Mark.HIDDEN and marks["b"] is Mark.HIDDEN


def test_followers_are_hidden_with_their_leader_and_not_the_other_way_round():
    cells = {
        "people": Cell(2),
        "nights": Cell(9, Kind.QUANTITY),
        "people2": Cell(8, addresses=2),
        "nights2": Cell(20, Kind.QUANTITY),
        "total": Cell(29, Kind.QUANTITY),
    }
    marks = suppress(
        cells,
        [Relation("total", ("nights", "nights2"))],
        k=K,
        links=[("people", "nights"), ("people2", "nights2")],
    )
    assert marks["nights"] is Mark.HIDDEN
    assert marks["nights2"] is Mark.HIDDEN  # the complement of the nights relation
    assert marks["people2"] is Mark.SHOWN  # a hidden follower does not hide its leader


def test_frozen_cells_are_never_chosen_and_forced_cells_are_hidden():
    cells = {"T": Cell(20, addresses=3), "a": Cell(2), "b": Cell(6, addresses=2), "c": Cell(12, addresses=2)}
    relation = [Relation("T", ("a", "b", "c"))]
    assert suppress(cells, relation, k=K)["b"] is Mark.HIDDEN
    marks = suppress(cells, relation, k=K, frozen={"b"})
    assert marks["b"] is Mark.SHOWN and marks["c"] is Mark.HIDDEN
    assert suppress(cells, relation, k=K, forced={"T"})["T"] is Mark.HIDDEN


def test_four_people_of_four_groups_cannot_be_pinned_because_small_means_zero_to_k_minus_one():
    # Without zeros counted as "<5", a total of 4 over four groups shown "<5" would say one person each.
    parts = {f"group{n}": Cell(1) for n in range(4)} | {"group4": Cell(0), "group5": Cell(0)}
    cells = {"T": Cell(4), **parts}
    marks = suppress(cells, [Relation("T", tuple(parts))], k=K)
    assert set(marks.values()) == {Mark.SMALL}


def test_the_same_input_gives_the_same_marks():
    cells, relations = table([[3, 9, 0], [7, 2, 11], [0, 6, 4]])
    assert suppress(cells, relations, k=K) == suppress(dict(reversed(cells.items())), relations, k=K)


def test_k_below_two_is_refused():
    with pytest.raises(ValueError):
        suppress({"a": Cell(1)}, k=1)


# --- Properties -------------------------------------------------------------------------------------


def reader_values(relation: Relation, cells: dict, marks: dict, k: int, target, cap: int) -> set[int]:
    """Every value ``target`` can take for a reader who sees the visible cells and knows that "<k" is
    0…k−1 and "×" is 0 or k and more — by brute force over the hidden cells' possible values."""

    def domain(key) -> list[int]:
        if marks[key] is Mark.SMALL:
            return list(range(k))
        return [0, *range(k, cap + 1)]

    members = relation.members
    hidden = [m for m in members if marks[m].is_hidden]
    signs = {relation.total: 1, **{p: -1 for p in relation.parts}}
    known = sum(signs[m] * cells[m].value for m in members if not marks[m].is_hidden)
    # Σ sign·x over hidden cells = −known. Reachable sums of the other hidden cells, by dynamic programming.
    reachable = {0}
    for key in hidden:
        if key == target:
            continue
        reachable = {s + signs[key] * v for s in reachable for v in domain(key)}
    return {v for v in domain(target) if -known - signs[target] * v in reachable}


small_tables = st.integers(min_value=2, max_value=3).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(min_value=0, max_value=9), min_size=n, max_size=n), min_size=2, max_size=3
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=small_tables,
    k=st.sampled_from([3, 5]),
    single=st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2))),
)
def test_on_random_tables_no_hidden_person_count_can_be_worked_out_from_one_sum(rows, k, single):
    cells, relations = table(rows)
    for r, c in single:  # some cells come from a single trusted address
        if (r, c) in cells and cells[(r, c)].value:
            cells[(r, c)] = Cell(cells[(r, c)].value, addresses=1)
    marks = suppress(cells, relations, k=k)

    for key, cell in cells.items():
        if cell.value < k:
            assert marks[key] is Mark.SMALL
        elif cell.addresses < 2:
            assert marks[key] is Mark.HIDDEN
    cap = cells[("T", "T")].value + k
    for relation in relations:
        hidden = [m for m in relation.members if marks[m].is_hidden]
        assert len(hidden) != 1, (relation, marks)
        for key in hidden:
            value = cells[key].value
            sensitive = 0 < value < k or (value >= k and cells[key].addresses < 2)
            if not sensitive:
                continue
            assert len(reader_values(relation, cells, marks, k, key, cap)) >= 2, (relation, key, marks)
            if not marks[relation.total].is_hidden and key != relation.total:
                others = sum(cells[m].value for m in hidden if m != key)
                assert others >= k, (relation, key, marks)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=6))
def test_public_cells_are_untouched_and_followers_share_their_leaders_fate(values):
    cells = {f"p{n}": Cell(v, addresses=2) for n, v in enumerate(values)}
    cells |= {f"q{n}": Cell(v * 3, Kind.QUANTITY) for n, v in enumerate(values)}
    cells |= {f"a{n}": Cell(v, Kind.PUBLIC) for n, v in enumerate(values)}
    cells["T"] = Cell(sum(values), addresses=2)
    marks = suppress(
        cells,
        [Relation("T", tuple(f"p{n}" for n in range(len(values))))],
        k=K,
        links=[(f"p{n}", f"q{n}") for n in range(len(values))],
    )
    for n in range(len(values)):
        assert marks[f"a{n}"] is Mark.SHOWN
        if marks[f"p{n}"].is_hidden:
            assert marks[f"q{n}"].is_hidden


def test_the_brute_force_reader_finds_what_a_single_hidden_cell_gives_away():
    # The checker itself: with only one hidden cell, it must find exactly one value.
    cells = {"T": Cell(10), "a": Cell(3), "b": Cell(7)}
    marks = {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SHOWN}
    assert reader_values(Relation("T", ("a", "b")), cells, marks, 5, "a", 20) == {3}
    marks["b"] = Mark.HIDDEN
    assert reader_values(Relation("T", ("a", "b")), cells, marks, 5, "a", 20) == {0, 1, 2, 3, 4}
