"""The criteria book (`/criteria/`): every rule in plain language, at one version.

Generated from the declarations in `levelofcare.rules` (`DEFAULT_RULES`, the
outpatient fallback and `DEFAULT_NOTES`), never from a hand-written list, so what
a clinician reads is what the engine runs. `criteria_book` builds the rows; the
view only parses `?version=N` and renders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from intake import catalogue
from levelofcare import rules
from levelofcare.criteria import selectors
from levelofcare.models import CriteriaSet

NOTE_LEVEL_TEXT = "No level: a note that never changes the level"
BAD_VERSION = "The criteria version must be a whole number, for example ?version=2."


@dataclass(frozen=True)
class BookRule:
    """One rule (or note) as the book shows it, with one version's values."""

    code: str
    points_to: str  # the level as text
    level_slug: str  # "inpatient", "iop", "outpatient" or "" for a note
    explanation: str
    thresholds: tuple[tuple[str, int], ...]  # (label, value)
    reads: tuple[str, ...]  # the questions' short labels
    source: str

    @property
    def anchor(self) -> str:
        return f"rule-{self.code}"


@dataclass(frozen=True)
class BookSection:
    slug: str
    title: str
    intro: str
    rules: tuple[BookRule, ...]


@dataclass(frozen=True)
class CriteriaBook:
    shown: CriteriaSet
    active: CriteriaSet | None
    sections: tuple[BookSection, ...]
    versions: tuple[CriteriaSet, ...]  # newest first


def _row(r: rules.RuleLike, criteria: rules.Criteria) -> BookRule:
    points_to = r.level.label
    if isinstance(r, rules.Escalation):
        points_to = f"{r.level.label} (instead of {r.from_level.label})"
    return BookRule(
        code=r.code,
        points_to=points_to,
        level_slug=r.level.slug,
        explanation=r.explain(criteria),
        thresholds=tuple(
            (spec.label, getattr(criteria, spec.name))
            for spec in rules.THRESHOLDS
            if spec.name in r.thresholds
        ),
        reads=_reads(r.reads),
        source=r.source,
    )


def _note_row(n: rules.NoteRule) -> BookRule:
    return BookRule(
        code=n.code,
        points_to=NOTE_LEVEL_TEXT,
        level_slug="",
        explanation=n.text,
        thresholds=(),
        reads=_reads(n.reads),
        source="",
    )


def _reads(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(catalogue.question(key).short_label for key in keys)


def book_sections(
    criteria: rules.Criteria,
    *,
    declared: Sequence[rules.RuleLike] = rules.DEFAULT_RULES,
    fallback: rules.Rule = rules.OUTPATIENT_NO_HIGHER_CRITERIA,
    notes: Sequence[rules.NoteRule] = rules.DEFAULT_NOTES,
) -> tuple[BookSection, ...]:
    """The rules grouped by the level they point to, most intensive first, then
    "otherwise: outpatient" (with the fallback), then the notes."""
    sections = []
    for level in sorted(rules.Level, reverse=True):
        rows = [_row(r, criteria) for r in declared if r.level is level]
        if level is rules.Level.OUTPATIENT:
            rows.append(_row(fallback, criteria))
            title, intro = (
                f"Otherwise: {level.label.lower()}",
                "When no rule above applies and no answer that could change the "
                "level is missing.",
            )
        else:
            title = level.label
            intro = f"Any one of these rules recommends {level.label}."
            if level is rules.Level.INPATIENT:
                intro += " Safety first: it stands even when other answers are missing."
        if rows:
            sections.append(BookSection(level.slug, title, intro, tuple(rows)))
    sections.append(
        BookSection(
            "notes",
            "Notes that never change the level",
            "Added to a recommendation whatever its level.",
            tuple(_note_row(n) for n in notes),
        )
    )
    return tuple(sections)


def criteria_book(*, version: int | None = None) -> CriteriaBook:
    """The book at `version` (the active one when None) with the version history.

    One query: the versions with their authors; raises `CriteriaSet.DoesNotExist`
    for an unknown version.
    """
    versions = tuple(selectors.criteria_versions())
    active = next((v for v in versions if v.is_active), None)
    shown = active if version is None else None
    if version is not None:
        shown = next((v for v in versions if v.version == version), None)
    if shown is None:
        raise CriteriaSet.DoesNotExist(f"no criteria version {version}")
    return CriteriaBook(
        shown=shown,
        active=active,
        sections=book_sections(shown.to_criteria()),
        versions=versions,
    )
