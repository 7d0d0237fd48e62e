"""Impact preview: which past assessments would change level under draft criteria.

Read-only. Every submitted assessment that has a recommendation is re-evaluated
with the same `rules.evaluate` under the draft thresholds and compared with the
level stored when it was evaluated (whatever criteria version that used).

Worker processes import this module by name, so its top level imports only the
standard library and `levelofcare.rules` (no Django); Django is imported inside
the functions that query the database.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain
from typing import Final

from levelofcare import rules

logger = logging.getLogger(__name__)

CHUNK_SIZE: Final = 5000
# More processes than this would starve the web server for little gain.
MAX_WORKERS: Final = 4
# Below this many chunks, starting worker processes costs more than it saves.
PARALLEL_MIN_CHUNKS: Final = 3
INVALID: Final = "invalid"  # outcome of answers that no longer validate
MEMO_MAX: Final = 50_000  # caps the memory of the identical-answers memo

INSUFFICIENT = "Insufficient information"
_RANK: Final[dict[str | None, int]] = {
    None: 0,
    "outpatient": 1,
    "iop": 2,
    "inpatient": 3,
}


def level_label(level: str | None) -> str:
    """The level's display label ("Insufficient information" for None)."""
    if level is None:
        return INSUFFICIENT
    from levelofcare.models import LevelChoices

    try:
        return str(LevelChoices(level).label)
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
        rows.sort(key=lambda r: (-r.count, _RANK[r.from_level], _RANK[r.to_level]))
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
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImpactPreview:
    """Re-evaluate every submitted assessment under `draft`; count level changes.

    1. Stream (id, answers as JSON text, stored level) in chunks from one query
       (a server-side cursor on PostgreSQL): no per-row queries, bounded memory.
    2. Evaluate each chunk: decode, validate with `rules.answers_from_dict`,
       `rules.evaluate`. Identical answers texts are evaluated once. With several
       chunks, chunks go to worker processes (`workers`, default: CPU count up
       to `MAX_WORKERS`); the rules are pure, so this changes no result.
    3. Count (stored level, draft level) for the changed ones; answers that no
       longer validate are counted in `invalid`, never guessed at.
    4. The sample: the first `sample_size` changed assessments by id, with their
       client references (one more query).
    """
    from django.db import transaction

    started = time.perf_counter()
    if workers is None:
        workers = min(MAX_WORKERS, os.cpu_count() or 1)
    counts: Counter[tuple[str | None, str | None]] = Counter()
    changed: list[tuple[int, str | None, str | None]] = []
    examined = invalid = 0
    # One snapshot, and on PostgreSQL a plain (not WITH HOLD) server-side cursor.
    with transaction.atomic():
        for chunk, outcomes in _evaluate_chunks(
            _chunks(chunk_size), draft=draft, workers=workers
        ):
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
    """Level slug (or None, or `INVALID`) of each answers JSON text under `draft`.

    Standard library and `rules` only: this is what worker processes run.
    """
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
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from intake.models import Assessment

    rows = (
        Assessment.objects.filter(
            status=Assessment.Status.SUBMITTED, recommendation__isnull=False
        )
        # The JSON text as stored: decoded (once per distinct text) by the
        # evaluating process, not by the one reading the database.
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


def _evaluate_chunks(
    chunks: Iterator[_Chunk], *, draft: rules.Criteria, workers: int
) -> Iterator[tuple[_Chunk, list[str | None]]]:
    """(chunk, outcomes) in order; in worker processes when there are enough.

    If the worker processes cannot run (a broken pool), the remaining chunks are
    evaluated in this process: slower, same result.
    """
    head = [chunk for _, chunk in zip(range(PARALLEL_MIN_CHUNKS), chunks, strict=False)]
    if workers <= 1 or len(head) < PARALLEL_MIN_CHUNKS:
        memo: dict[str, str | None] = {}
        for chunk in chain(head, chunks):
            yield chunk, evaluate_texts(chunk.texts, draft, memo)
        return
    # "spawn": a fresh interpreter that imports only this module and the rules;
    # forking a web server process (threads, open connections) is not safe.
    context = multiprocessing.get_context("spawn")
    broken = False
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[_Chunk, Future[list[str | None]] | None]] = deque()
        for chunk in chain(head, chunks):
            future = None
            if not broken:
                try:
                    future = pool.submit(evaluate_texts, chunk.texts, draft)
                except BrokenProcessPool:
                    broken = True
            pending.append((chunk, future))
            # Bound the memory of queued chunks.
            while pending and (broken or len(pending) > 2 * workers):
                yield _finish(*pending.popleft(), draft=draft)
        while pending:
            yield _finish(*pending.popleft(), draft=draft)


def _finish(
    chunk: _Chunk,
    future: Future[list[str | None]] | None,
    *,
    draft: rules.Criteria,
) -> tuple[_Chunk, list[str | None]]:
    if future is not None:
        try:
            return chunk, future.result()
        except BrokenProcessPool:
            logger.warning("impact preview: worker processes failed; continuing here")
    return chunk, evaluate_texts(chunk.texts, draft)


def _with_references(
    changed: list[tuple[int, str | None, str | None]],
) -> tuple[ImpactSample, ...]:
    from intake.models import Assessment

    references = dict(
        Assessment.objects.filter(pk__in=[pk for pk, _, _ in changed]).values_list(
            "pk", "client__reference"
        )
    )
    return tuple(
        ImpactSample(pk, references.get(pk, ""), before, after)
        for pk, before, after in changed
    )
