"""Statistical disclosure control: how every figure of a report is protected, one cell at a time.

The method is the **cell-key method** of the UK's 2021 Census outputs and the Australian Bureau of
Statistics' TableBuilder, with a threshold below k and a dominance rule:

* Every person carries a fixed **record key**, a pseudo-random number derived from her person key
  (:class:`indicators.aggregates.RecordKey`). A cell's **cell key** is the sum of its people's record
  keys, counted by the database in the same GROUP BY as the count itself.
* A count of k people or more is shown **perturbed**: a small amount (at most ±:data:`MAX_PERTURBATION`,
  mostly 0) looked up from the cell key. The same people always give the same cell key, so the same
  figure has the same value in every report, download and DHIS2 export, however often it is asked for
  (repeated queries average nothing away), and a sum worked out from other figures carries the noise of
  each of them: one person added or removed never shows as a clean ±1, and subtracting published
  figures (a year minus its quarters, a district minus its other communes) gives a range, not a count.
* A count below k — zero included — is shown as "<k", never as a number (the threshold is on the true
  count, so "<k" is honest and a shown figure always stands for k people or more).
* **Dominance**: a count from which one trusted address's caseload could be read — what is left after
  removing the people of its largest trusted address is fewer than k — is hidden ("×"), so that no
  figure is, or nearly is, one address's caseload.
* Counts of services and of referrals are treated like counts of people (with their own cell key, so
  that two counts of the same people do not carry the same noise). Nights and amounts, medians and
  rates are shown only with the people they describe; nights and amounts are perturbed by up to
  ±:data:`MAGNITUDE_SHARE` of their value and rounded, so that they cannot be differenced back to a
  small group either.
* Counts of trusted addresses, partners and livelihood models are not counts of people: shown exact.

Why this and not suppression: complementary suppression protects each table, but the reports of
nested areas and periods (month ⊂ quarter ⊂ year ⊂ phase) are many tables over the same people, and an
attacker who combines them recovered exact small counts; coordinating suppression across the whole
lattice hides most of a small province. Perturbation needs no coordination — the same cell is the same
value everywhere — and leaves most figures visible. The price is that a total may differ from the sum
of its parts by a few, which the printed rule says.

Differencing over time is answered by publication, not here: only completed periods are published,
once, and a published period's figures do not change (see :mod:`indicators.services`).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

# The largest change the perturbation makes to a count. Printed in the rule, and known to any reader.
MAX_PERTURBATION = 2
# The perturbation table, one row for every count of k or more: the change, and how many of the 256
# values of a cell key give it. Symmetric, so a figure is unbiased (but for the few counts just above k,
# which are never shown below k); mostly no change, and the largest changes rare — a figure that was
# moved by the full ±2 is what an attacker needs at both ends of a subtraction.
PTABLE: tuple[tuple[int, int], ...] = ((-2, 8), (-1, 56), (0, 128), (1, 56), (2, 8))
# Nights and amounts: perturbed by up to this share of their value.
MAGNITUDE_SHARE = 0.1
ROUND_AMOUNT_TO = 1000  # VND

assert sum(weight for _change, weight in PTABLE) == 256
assert max(abs(change) for change, _weight in PTABLE) == MAX_PERTURBATION


class Kind(enum.StrEnum):
    PERSONS = "persons"  # a count of people: threshold, dominance, perturbation
    EVENTS = "events"  # a count of services or referrals: the same rule, its own noise
    MAGNITUDE = "magnitude"  # nights, amounts: shown with their people, perturbed in proportion
    STATISTIC = "statistic"  # medians, rates: shown with the counts they come from
    PUBLIC = "public"  # trusted addresses, partners, models: exact, never hidden


class Mark(enum.StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # fewer than k: shown as "<k"
    HIDDEN = "hidden"  # one trusted address's caseload, or about hidden people: shown as "×"

    @property
    def is_hidden(self) -> bool:
        return self is not Mark.SHOWN


@dataclass(frozen=True)
class Cell:
    """One figure before protection: its true value and what the rule needs to know about it."""

    value: int | float | None
    kind: Kind = Kind.PERSONS
    # The cell key: the sum of the record keys of the people counted (or of the people the events are
    # about). None where the figure is not a count.
    key: int | None = None
    # The count at the largest trusted address among those counted (dominance).
    top: int | None = None
    # Tells apart two figures about the same people (people, services, referrals sent…).
    measure: str = ""


@dataclass(frozen=True)
class Protected:
    mark: Mark
    value: int | float | None  # what may be shown: None unless the mark is SHOWN


def cell_key(key: int, measure: str) -> int:
    """A cell key from 0 to 255: the cell's key, mixed with what is counted, so that two figures about
    the same people carry independent noise."""
    digest = hashlib.blake2b(f"{measure}:{key}".encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % 256


def perturbation(key: int, measure: str = "persons") -> int:
    """The change the perturbation table gives a cell key."""
    position = cell_key(key, measure)
    for change, weight in PTABLE:
        if position < weight:
            return change
        position -= weight
    raise AssertionError("the perturbation table covers every cell key")


def magnitude_factor(key: int, measure: str) -> float:
    """1 ± at most :data:`MAGNITUDE_SHARE`, from the cell key."""
    return 1 + MAGNITUDE_SHARE * (2 * cell_key(key, f"magnitude:{measure}") / 255 - 1)


# Whatever names a figure: a report cell, a test's label.
CellKey = TypeVar("CellKey", bound=Hashable)


def protect_one(cell: Cell, *, k: int) -> Protected:
    """The rule for one figure on its own; :func:`protect` adds the figures hidden with others."""
    if cell.kind is Kind.PUBLIC or cell.value is None:
        return Protected(Mark.SHOWN, cell.value)
    if cell.kind in (Kind.PERSONS, Kind.EVENTS):
        count = int(cell.value)
        if count < k:
            return Protected(Mark.SMALL, None)
        if cell.top is not None and count - cell.top < k:
            return Protected(Mark.HIDDEN, None)
        change = perturbation(cell.key or 0, cell.measure or cell.kind.value)
        return Protected(Mark.SHOWN, max(k, count + change))
    if cell.kind is Kind.MAGNITUDE:
        shown = cell.value * magnitude_factor(cell.key or 0, cell.measure)
        step = ROUND_AMOUNT_TO if cell.measure == "amount" else 1
        return Protected(Mark.SHOWN, int(round(shown / step)) * step)
    return Protected(Mark.SHOWN, cell.value)


def protect(
    cells: Mapping[CellKey, Cell], *, k: int, links: Iterable[tuple[CellKey, ...]] = ()
) -> dict[CellKey, Protected]:
    """Every figure's mark and shown value. Pure: the same cells always give the same result.

    ``links`` are ``(leader, *followers)``: when the leader (a count) is not shown, neither are its
    followers (the services, nights, amounts, medians or rates about those people) — not the other way
    round. No other figure is hidden to protect a hidden one: perturbation does that job.
    """
    if k < 2:
        raise ValueError("k must be at least 2")
    result = {key: protect_one(cell, k=k) for key, cell in cells.items()}
    followers: dict[CellKey, list[CellKey]] = {}
    for leader, *rest in links:
        followers.setdefault(leader, []).extend(f for f in rest if f in cells)
    stack = [key for key, found in result.items() if found.mark.is_hidden and key in followers]
    while stack:
        for follower in followers.get(stack.pop(), ()):
            if cells[follower].kind is Kind.PUBLIC or result[follower].mark.is_hidden:
                continue
            result[follower] = Protected(Mark.HIDDEN, None)
            stack.append(follower)
    return result
