"""Small-cell suppression: a pure function over a set of cells and the sums that tie them together.

The rule, as printed in every report (see :data:`RULE_POINTS` in ``indicators.report``):

1. **Primary suppression.** A count of people below k — zero included — is shown as "<k", never as a
   number: so "<k" never tells a reader that somebody is there. A count of k people or more that comes
   from fewer than two trusted addresses is hidden too ("×"), so that no figure is one trusted
   address's caseload.
2. **Linked figures.** Nights, amounts, numbers of services or referrals, medians and rates that
   describe the people of a hidden count are hidden with it.
3. **Complementary suppression.** Every sum in the report (a total row, a total column, a subtotal) is
   a *relation* "total = part + part + …". A relation that hides anything must hide at least two of
   its cells; no hidden count of 1…k−1 people (nor a single address's count) may be pinned down by
   arithmetic on the relation — using everything a reader knows: the visible cells, that "<k" means
   0…k−1, and that "×" means 0 or at least k; and where the total is shown, "total minus the visible
   parts" must overstate such a hidden part by at least k (the other hidden parts hold k or more
   people). More cells are hidden (smallest non-zero first, parts before totals) until that holds.
4. **Counts of trusted addresses and of partners** are not people and are never suppressed.

The same cell can appear in several tables (the "all survivors" row of every survivor table is one set
of cells), so one call covers a whole report and every output shows the same marks.

``forced`` cells are hidden and ``frozen`` cells are never chosen as complements; a report uses them
to agree with the report of the enclosing area, which shows the same figures.

This protects each relation against arithmetic on that relation (the usual test for published
tables). It does not solve the full linear-programming attack on many relations at once; the address
rule, the fixed periods and areas, and the small tables keep that risk low.
"""

from __future__ import annotations

import enum
import itertools
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

INF = float("inf")
# Beyond this many unknowns of the "0 or ≥ k" kind in one relation, exact inference from that relation
# alone is not possible in practice, and the enumeration would be needlessly long.
MAX_ENUMERATED = 10


class Kind(enum.StrEnum):
    PERSONS = "persons"  # a count of people: primary and complementary suppression
    QUANTITY = "quantity"  # derived from people (nights, VND, services, median): hidden with them
    PUBLIC = "public"  # trusted addresses, partners, models: never suppressed


class Mark(enum.StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # 0 … k−1 people: shown as "<k"
    HIDDEN = "hidden"  # complementary, linked, or fewer than two trusted addresses: shown as "×"

    @property
    def is_hidden(self) -> bool:
        return self is not Mark.SHOWN


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    kind: Kind = Kind.PERSONS
    # How many trusted addresses the counted people came from (person counts only).
    addresses: int | None = None


@dataclass(frozen=True)
class Relation:
    """``total`` = sum of ``parts``.

    Where a person can fall in two parts (two types of incident, two areas), the sum can exceed the
    total; the relation is still treated as exact, as a reader would assume: that can only hide more.
    """

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def suppress(
    cells: Mapping[Hashable, Cell],
    relations: Iterable[Relation] = (),
    *,
    k: int,
    links: Iterable[tuple[Hashable, ...]] = (),
    forced: Iterable[Hashable] = (),
    frozen: Iterable[Hashable] = (),
    min_addresses: int = 2,
) -> dict[Hashable, Mark]:
    """The mark of every cell. Pure: the same input always gives the same marks.

    ``links`` are ``(leader, *followers)``: when the leader (a count of people) is hidden, so are its
    followers (the nights, amounts or medians about those people) — not the other way round.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    marks: dict[Hashable, Mark] = {key: Mark.SHOWN for key in cells}
    sensitive: set[Hashable] = set()
    for key, cell in cells.items():
        if cell.kind is not Kind.PERSONS or cell.value is None:
            continue
        if cell.value < k:
            marks[key] = Mark.SMALL
            if cell.value > 0:
                sensitive.add(key)  # a zero may be worked out: it describes nobody
        elif cell.addresses is not None and cell.addresses < min_addresses:
            marks[key] = Mark.HIDDEN
            sensitive.add(key)

    relations = [r for r in relations if r.total in cells and all(p in cells for p in r.parts)]
    by_cell: dict[Hashable, list[int]] = defaultdict(list)
    for index, relation in enumerate(relations):
        for member in relation.members:
            by_cell[member].append(index)
    followers: dict[Hashable, list[Hashable]] = defaultdict(list)
    for leader, *rest in links:
        followers[leader] += [f for f in rest if f in cells]
    frozen_set = set(frozen) & set(cells)
    # A cell cannot be chosen as a complement if it, or a figure hidden with it, must stay visible.
    blocked = {key for key in cells if _reach(key, followers) & frozen_set}

    queue: list[int] = []
    queued: set[int] = set()

    def enqueue(indices: Iterable[int]) -> None:
        for index in indices:
            if index not in queued:
                queued.add(index)
                queue.append(index)

    def hide(key: Hashable) -> None:
        for member in _reach(key, followers):
            if cells[member].kind is Kind.PUBLIC or (member != key and marks[member].is_hidden):
                continue
            if not marks[member].is_hidden:
                marks[member] = Mark.HIDDEN
            enqueue(by_cell[member])

    # Forced cells, and the followers of every primary cell (a SMALL mark stays as it is).
    for key in [*forced, *(key for key, mark in marks.items() if mark.is_hidden)]:
        if key in cells:
            hide(key)
    enqueue(range(len(relations)))

    while queue:
        index = queue.pop(0)
        queued.discard(index)
        relation = relations[index]
        while not _protected(relation, cells, marks, sensitive, k):
            candidate = _complement(relation, cells, marks, blocked)
            if candidate is None:
                break  # nothing left to hide in this relation; every other cell is hidden or public
            hide(candidate)
    return marks


def _reach(key: Hashable, followers: Mapping[Hashable, list[Hashable]]) -> set[Hashable]:
    """The cell and every figure hidden with it, following links transitively."""
    seen, stack = {key}, [key]
    while stack:
        for follower in followers.get(stack.pop(), ()):
            if follower not in seen:
                seen.add(follower)
                stack.append(follower)
    return seen


def _complement(
    relation: Relation,
    cells: Mapping[Hashable, Cell],
    marks: Mapping[Hashable, Mark],
    blocked: set[Hashable],
) -> Hashable | None:
    """The next cell to hide: a visible, non-zero part (smallest first), else the total, else a zero."""
    order = {key: position for position, key in enumerate(relation.members)}

    def usable(key: Hashable) -> bool:
        return not marks[key].is_hidden and key not in blocked and cells[key].kind is not Kind.PUBLIC

    def rank(key: Hashable) -> tuple:
        value = cells[key].value or 0
        return (value == 0, key == relation.total, value, order[key])

    candidates = [key for key in relation.members if usable(key)]
    return min(candidates, key=rank) if candidates else None


def _protected(
    relation: Relation,
    cells: Mapping[Hashable, Cell],
    marks: Mapping[Hashable, Mark],
    sensitive: set[Hashable],
    k: int,
) -> bool:
    hidden = [key for key in relation.members if marks[key].is_hidden]
    if not hidden:
        return True
    if len(hidden) == 1:
        return False
    exposed = [key for key in hidden if key in sensitive]
    if not exposed:
        return True
    if any(cells[key].kind is not Kind.PERSONS for key in relation.members):
        return True  # mixed relations do not occur; people-only relations get the tests below
    if not marks[relation.total].is_hidden:
        # "Total minus the visible parts" must miss each exposed part by at least k.
        hidden_sum = sum(cells[key].value or 0 for key in hidden)
        if any(hidden_sum - (cells[key].value or 0) < k for key in exposed if key != relation.total):
            return False
    return all(feasible_values(relation, cells, marks, k, key) >= 2 for key in exposed)


def apriori(mark: Mark, k: int) -> list[tuple[float, float]]:
    """What a reader knows about a hidden count of people from its mark alone."""
    if mark is Mark.SMALL:
        return [(0, k - 1)]
    return [(0, 0), (k, INF)]


def feasible_values(
    relation: Relation,
    cells: Mapping[Hashable, Cell],
    marks: Mapping[Hashable, Mark],
    k: int,
    target: Hashable,
) -> float:
    """How many values (capped at 2) the hidden cell ``target`` can take, given only this relation, the
    visible cells and the marks. 1 means a reader can work it out exactly."""
    signs = {relation.total: 1, **{part: -1 for part in relation.parts}}
    # total − Σ parts = 0  →  Σ(unknown sign·x) = −Σ(known sign·value)
    rest = -sum(signs[key] * (cells[key].value or 0) for key in relation.members if not marks[key].is_hidden)
    others = [key for key in relation.members if marks[key].is_hidden and key != target]
    unions = [apriori(marks[key], k) for key in others]
    if sum(len(pieces) > 1 for pieces in unions) > MAX_ENUMERATED:
        return 2
    own = apriori(marks[target], k)
    found: list[tuple[float, float]] = []
    for choice in itertools.product(*unions):
        low = high = 0.0
        for key, (a, b) in zip(others, choice, strict=True):
            low += min(signs[key] * a, signs[key] * b)
            high += max(signs[key] * a, signs[key] * b)
        # signs[target]·x = rest − Σothers  ∈ [rest − high, rest − low]
        lo, hi = rest - high, rest - low
        if signs[target] < 0:
            lo, hi = -hi, -lo
        for a, b in own:
            start, end = max(lo, a), min(hi, b)
            if start <= end:
                found.append((start, end))
    return _count_integers(found)


def _count_integers(intervals: list[tuple[float, float]], cap: int = 2) -> float:
    values: set[float] = set()
    for start, end in intervals:
        if end - start >= cap:
            return cap
        first = int(-(-start // 1)) if start != -INF else start
        value = first
        while value <= end:
            values.add(value)
            if len(values) >= cap:
                return cap
            value += 1
    return len(values)
