"""Measurement-based care: change in an instrument total from the episode's baseline.

Pure (standard library and the question catalogue only), so the client page, the
progress review page and the reports share one definition:

- **Episode and baseline.** An episode starts with an intake assessment; the
  progress-review assessments after it belong to it. Its baseline is that intake
  assessment's total (the caller picks the assessments; see `episode_baseline`).
- **Response:** a drop of at least 50% from the baseline (`RESPONSE_DROP`), that is
  ``2 * current <= baseline`` with a baseline above 0.
- **Remission:** a total below the instrument's `remission_below` (PHQ-9 < 5,
  GAD-7 < 5; the catalogue gives the source).
- **No change:** a difference smaller than the instrument's minimal clinically
  important change (`minimal_change`: PHQ-9 5 points, GAD-7 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from intake.catalogue import INSTRUMENTS, Instrument

# A drop of at least this fraction of the baseline is a response (percent: 50).
RESPONSE_DROP_PERCENT: Final = 50

Direction = Literal["better", "worse", "no_change"]


def instrument(key: str) -> Instrument:
    """The catalogue's instrument for "phq9" or "gad7" (KeyError otherwise)."""
    return INSTRUMENTS[key]


def is_response(baseline: int, current: int) -> bool:
    """A drop of at least 50% from a baseline above 0 (integer-exact)."""
    return baseline > 0 and current * 100 <= baseline * (100 - RESPONSE_DROP_PERCENT)


def is_remission(key: str, total: int) -> bool:
    """A total below the instrument's remission cut (PHQ-9 < 5, GAD-7 < 5)."""
    below = instrument(key).remission_below
    return below is not None and total < below


@dataclass(frozen=True)
class Change:
    """One instrument's change from the baseline to the current total."""

    key: str  # "phq9" | "gad7"
    baseline: int
    current: int
    response: bool
    remission: bool
    direction: Direction

    @property
    def name(self) -> str:
        return instrument(self.key).name

    @property
    def percent(self) -> int | None:
        """Signed change in percent of the baseline; None for a baseline of 0."""
        if self.baseline == 0:
            return None
        return round((self.current - self.baseline) * 100 / self.baseline)

    @property
    def verdict(self) -> str:
        """Plain words: "response, remission", "response", "remission", "better",
        "worse" or "no change"."""
        flags = [
            w
            for w, on in (("response", self.response), ("remission", self.remission))
            if on
        ]
        if flags:
            return ", ".join(flags)
        return {"better": "better", "worse": "worse", "no_change": "no change"}[
            self.direction
        ]

    def describe(self) -> str:
        """E.g. "PHQ-9 17 → 8 (\u221253%, response)", "GAD-7 12 → 11 (no change)"."""
        percent = self.percent
        if percent is None or (
            self.direction == "no_change" and not (self.response or self.remission)
        ):
            detail = self.verdict
        else:
            sign = "+" if percent > 0 else "−" if percent < 0 else "±"
            detail = f"{sign}{abs(percent)}%, {self.verdict}"
        return f"{self.name} {self.baseline} → {self.current} ({detail})"


def change(key: str, baseline: int, current: int) -> Change:
    """Compare a current total with the baseline of the same instrument."""
    minimal = instrument(key).minimal_change or 1
    delta = current - baseline
    direction: Direction = (
        "no_change" if abs(delta) < minimal else "better" if delta < 0 else "worse"
    )
    return Change(
        key=key,
        baseline=baseline,
        current=current,
        response=is_response(baseline, current),
        remission=is_remission(key, current),
        direction=direction,
    )


@dataclass(frozen=True)
class Scored:
    """One submitted assessment's total, as the caller read it (oldest first)."""

    is_intake: bool  # an intake assessment starts a new episode
    total: int | None  # None: the instrument was not (fully) answered


def episode_baseline(history: Iterable[Scored]) -> int | None:
    """The baseline of the current episode: the total of its first assessment.

    1. The current episode starts at the last intake assessment in `history`
       (oldest first); with none, at the first assessment.
    2. Its baseline is the first total in the episode that was answered.
    """
    episode: list[Scored] = []
    for scored in history:
        if scored.is_intake:
            episode = []
        episode.append(scored)
    return next((s.total for s in episode if s.total is not None), None)
