"""The shape of a report: tables of cells, each number with the people behind it,
and the one small-cell suppression rule.

Pure (standard library only): the selectors fill these from SQL aggregates, the
views, the CSV export and the charts read them.

Small cells: a number that stands for 1 to 4 people (`SMALL_CELL_MIN` = 5) is
shown to aggregate-only readers (criteria admins, coordinators) as "fewer than 5"
and left blank in their CSV. A rate or a median is suppressed when any of the
counts it is made from is small (a rate and its denominator give the numerator
back). Zero is shown: it identifies no one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal

SMALL_CELL_MIN: Final = 5
FEWER_THAN: Final = f"fewer than {SMALL_CELL_MIN}"
SUPPRESSION_NOTE: Final = (
    f"Cells that stand for 1 to {SMALL_CELL_MIN - 1} people are shown as "
    f"“{FEWER_THAN}” (blank in the CSV file), so that no one can be recognised."
)

Kind = Literal["text", "count", "percent", "hours", "suggestion"]


def is_small(people: int | None) -> bool:
    """True for a number that stands for 1 to 4 people."""
    return people is not None and 0 < people < SMALL_CELL_MIN


@dataclass(frozen=True)
class Cell:
    """One table cell. `people`: how many people the number stands for (None for
    labels). A suggestion cell (a direction in words) carries the criteria values
    to try (`params`) and says them in words (`hint`)."""

    value: str | int | float | None
    kind: Kind = "count"
    people: int | None = None
    suppressed: bool = False
    params: tuple[tuple[str, int], ...] = ()
    hint: str = ""

    @property
    def text(self) -> str:
        """The cell as the page shows it."""
        if self.suppressed:
            return FEWER_THAN
        if self.value is None:
            return "–"
        if self.kind == "percent":
            return f"{self.value:.0f}%"
        if self.kind == "hours":
            return f"{self.value:.1f} h"
        return str(self.value)

    @property
    def csv(self) -> str:
        """The cell as the CSV file holds it: blank when suppressed or unknown."""
        if self.suppressed or self.value is None:
            return ""
        if self.kind == "percent":
            return f"{self.value:.1f}"
        if self.kind == "hours":
            return f"{self.value:.2f}"
        return str(self.value)

    @property
    def number(self) -> float | None:
        """The value for a chart (None: no bar)."""
        if self.suppressed or isinstance(self.value, str) or self.value is None:
            return None
        return float(self.value)


def text(value: str) -> Cell:
    return Cell(value, kind="text")


def count(value: int, people: int) -> Cell:
    return Cell(value, kind="count", people=people)


def smallest(*people: int) -> int:
    """The people a derived figure stands for: its smallest non-zero count."""
    return min((p for p in people if p), default=0)


def percent(numerator: int, denominator: int, *people: int) -> Cell:
    """`numerator` of `denominator` in percent (a dash when the denominator is 0)."""
    if not denominator:
        return Cell(None, kind="percent", people=0)
    return Cell(100 * numerator / denominator, kind="percent", people=smallest(*people))


def hours(value: float | None, people: int) -> Cell:
    return Cell(value, kind="hours", people=people)


@dataclass(frozen=True)
class Chart:
    """How to draw a table: one group per row, labelled by the columns in
    `labels`, with one bar or line per column in `series`."""

    series: tuple[int, ...]
    kind: Literal["bar"] = "bar"
    unit: str = ""
    labels: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None

    def suppressed(self) -> Table:
        """This table with every small cell suppressed (aggregate-only readers)."""
        return replace(
            self,
            rows=tuple(
                tuple(
                    replace(cell, suppressed=True, params=(), hint="")
                    if is_small(cell.people)
                    else cell
                    for cell in row
                )
                for row in self.rows
            ),
        )

    @property
    def has_suppressed(self) -> bool:
        return any(cell.suppressed for row in self.rows for cell in row)


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()

    def suppressed(self) -> Report:
        return replace(self, tables=tuple(t.suppressed() for t in self.tables))

    @property
    def has_suppressed(self) -> bool:
        return any(t.has_suppressed for t in self.tables)
