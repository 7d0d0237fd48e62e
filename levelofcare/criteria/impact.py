"""Impact preview: which past assessments would change level under draft criteria.

Read-only. Every submitted assessment that has a recommendation is re-evaluated
with the same `rules.evaluate` under the draft thresholds and compared with the
level stored when it was evaluated (whatever criteria version that used).

One process: the rules are fast enough (DESIGN.md's target, 100k assessments in
5 s, is met in one process), and a web request should not start processes.
Identical answers are evaluated once (a memo keyed by the stored JSON text).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from intake.models import Assessment
from levelofcare import rules
from levelofcare.rules import INSUFFICIENT_LABEL

CHUNK_SIZE: Final = 5000
INVALID: Final = "invalid"  # outcome of answers that no longer validate
MEMO_MAX: Final = 50_000  # caps the memory of the identical-answers memo

_rank = rules.Level.rank


def level_label(level: str | None) -> str:
    """The level's display label ("Insufficient information" for None)."""
    if level is None:
        return INSUFFICIENT_LABEL
    try:
        return rules.Level.from_slug(level).label
    except ValueError:
        return level


@dataclass(frozen=True)
class ImpactSample:
    assessment_id: int
    client_reference: str
    from_level: str | None
    to_level: str | None

    @property
    def from_label(self) -> str:
        return level_label(self.from_level)

    @property
    def to_label(self) -> str:
        return level_label(self.to_level)


@dataclass(frozen=True)
class Transition:
    from_level: str | None
    to_level: str | None
    count: int

    @property
    def from_label(self) -> str:
        return level_label(self.from_level)

    @property
    def to_label(self) -> str:
        return level_label(self.to_level)


@dataclass(frozen=True)
class ImpactPreview:
    """The result: `counts[(from, to)]` only for assessments whose level changes."""

    criteria: rules.Criteria
    examined: int
    counts: dict[tuple[str | None, str | None], int]
    sample: tuple[ImpactSample, ...]
    invalid: int
    seconds: float

    @property
    def changed(self) -> int:
        return sum(self.counts.values())

    @property
    def transitions(self) -> tuple[Transition, ...]:
        """Largest first; ties ordered by level, from then to."""
        rows = [Transition(f, t, n) for (f, t), n in self.counts.items()]
        rows.sort(key=lambda r: (-r.count, _rank(r.from_level), _rank(r.to_level)))
        return tuple(rows)


@dataclass(frozen=True)
class _Chunk:
    ids: list[int]
    texts: list[str]
    stored: list[str | None]


def impact_preview(
    *,
    draft: rules.Criteria,
    sample_size: int = 20,
    chunk_size: int = CHUNK_SIZE,
) -> ImpactPreview:
    """Re-evaluate every submitted assessment under `draft`; count level changes.

    1. Stream (id, answers as JSON text, stored level) in chunks from one query
       (a server-side cursor on PostgreSQL): no per-row queries, bounded memory.
    2. Evaluate each row: decode, validate with `rules.answers_from_dict`,
       `rules.evaluate`. Identical answers texts are evaluated once.
    3. Count (stored level, draft level) for the changed ones; answers that no
       longer validate are counted in `invalid`, never guessed at.
    4. The sample: the first `sample_size` changed assessments by id, with their
       client references (one more query).
    """
    started = time.perf_counter()
    counts: Counter[tuple[str | None, str | None]] = Counter()
    changed: list[tuple[int, str | None, str | None]] = []
    examined = invalid = 0
    memo: dict[str, str | None] = {}
    # One snapshot, and on PostgreSQL a plain (not WITH HOLD) server-side cursor.
    with transaction.atomic():
        for chunk in _chunks(chunk_size):
            outcomes = evaluate_texts(chunk.texts, draft, memo)
            examined += len(chunk.ids)
            for pk, before, after in zip(
                chunk.ids, chunk.stored, outcomes, strict=True
            ):
                if after == INVALID:
                    invalid += 1
                elif after != before:
                    counts[(before, after)] += 1
                    changed.append((pk, before, after))
        changed.sort()
        sample = _with_references(changed[:sample_size])
    return ImpactPreview(
        criteria=draft,
        examined=examined,
        counts=dict(counts),
        sample=sample,
        invalid=invalid,
        seconds=time.perf_counter() - started,
    )


def evaluate_texts(
    texts: Iterable[str],
    draft: rules.Criteria,
    memo: dict[str, str | None] | None = None,
) -> list[str | None]:
    """Level slug (or None, or `INVALID`) of each answers JSON text under `draft`."""
    memo = {} if memo is None else memo
    evaluate, parse, loads = rules.evaluate, rules.answers_from_dict, json.loads
    outcomes: list[str | None] = []
    for text in texts:
        try:
            outcome = memo[text]
        except KeyError:
            try:
                level = evaluate(parse(loads(text)), draft).level
                outcome = None if level is None else level.slug
            except rules.AnswersError:
                outcome = INVALID
            if len(memo) >= MEMO_MAX:
                memo.clear()
            memo[text] = outcome
        outcomes.append(outcome)
    return outcomes


def _chunks(chunk_size: int) -> Iterator[_Chunk]:
    rows = (
        Assessment.objects.filter(
            status=Assessment.Status.SUBMITTED, recommendation__isnull=False
        )
        # The JSON text as stored: the memo is keyed by it, so each distinct
        # text is decoded and evaluated once.
        .annotate(answers_text=Cast("answers", TextField()))
        .values_list("pk", "answers_text", "recommendation__level")
        # No ORDER BY: sorting 100k wide rows costs more than sorting the few
        # changed ids afterwards.
        .order_by()
    )
    chunk = _Chunk([], [], [])
    for pk, text, stored in rows.iterator(chunk_size=chunk_size):
        chunk.ids.append(pk)
        chunk.texts.append(text)
        chunk.stored.append(stored)
        if len(chunk.ids) >= chunk_size:
            yield chunk
            chunk = _Chunk([], [], [])
    if chunk.ids:
        yield chunk


def _with_references(
    changed: list[tuple[int, str | None, str | None]],
) -> tuple[ImpactSample, ...]:
    references = dict(
        Assessment.objects.filter(pk__in=[pk for pk, _, _ in changed]).values_list(
            "pk", "client__reference"
        )
    )
    return tuple(
        ImpactSample(pk, references.get(pk, ""), before, after)
        for pk, before, after in changed
    )
