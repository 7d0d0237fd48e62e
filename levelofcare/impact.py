"""Impact preview: which past assessments would change level under draft criteria.

Read-only. Every submitted assessment that has a recommendation is re-evaluated
with the same `rules.evaluate` under the draft thresholds and compared with the
level stored when it was evaluated (whatever criteria version that used).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass

from django.db.models import TextField
from django.db.models.functions import Cast

from intake.models import Assessment
from levelofcare import rules
from levelofcare.models import LevelChoices

CHUNK_SIZE = 5000
# Caps the memory of the answers cache; it is only an optimisation.
CACHE_MAX = 50_000
INSUFFICIENT = "Insufficient information"
_LABELS: dict[str | None, str] = {
    **{value: str(label) for value, label in LevelChoices.choices},
    None: INSUFFICIENT,
}
_RANK: dict[str | None, int] = {None: 0, "outpatient": 1, "iop": 2, "inpatient": 3}


def level_label(level: str | None) -> str:
    return _LABELS.get(level, str(level))


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


def impact_preview(*, draft: rules.Criteria, sample_size: int = 20) -> ImpactPreview:
    """Re-evaluate every submitted assessment under `draft`; count level changes.

    1. Stream (id, answers as text, client reference, stored level) in chunks with
       one query: no per-row queries, bounded memory (a server-side cursor on
       PostgreSQL).
    2. Identical answers are decoded, validated and evaluated once: the stored
       text is the cache key (PostgreSQL prints jsonb canonically).
    3. Answers that no longer pass validation are counted in `invalid`, not
       guessed at.
    """
    started = time.perf_counter()
    rows = (
        Assessment.objects.filter(
            status=Assessment.Status.SUBMITTED, recommendation__isnull=False
        )
        .order_by("pk")
        .annotate(answers_text=Cast("answers", TextField()))
        .values_list("pk", "answers_text", "client__reference", "recommendation__level")
    )
    evaluate = rules.evaluate
    parse = rules.answers_from_dict
    cache: dict[str, str | rules.AnswersError | None] = {}
    counts: Counter[tuple[str | None, str | None]] = Counter()
    sample: list[ImpactSample] = []
    examined = invalid = 0
    for pk, text, reference, stored in rows.iterator(chunk_size=CHUNK_SIZE):
        examined += 1
        try:
            outcome = cache[text]
        except KeyError:
            try:
                level = evaluate(parse(json.loads(text)), draft).level
                outcome = None if level is None else level.slug
            except rules.AnswersError as exc:
                outcome = exc
            if len(cache) >= CACHE_MAX:
                cache.clear()
            cache[text] = outcome
        if isinstance(outcome, rules.AnswersError):
            invalid += 1
            continue
        if outcome != stored:
            counts[(stored, outcome)] += 1
            if len(sample) < sample_size:
                sample.append(ImpactSample(pk, reference, stored, outcome))
    return ImpactPreview(
        criteria=draft,
        examined=examined,
        counts=dict(counts),
        sample=tuple(sample),
        invalid=invalid,
        seconds=time.perf_counter() - started,
    )
