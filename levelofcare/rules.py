"""Level-of-care rules: declared criteria, answers in, an explained recommendation out.

Standard library only (plus the pure question catalogue and answers contract of
`intake`): no Django, no I/O, no clock. Thresholds come in as a `Criteria` (built
once from the active `CriteriaSet`), answers as a validated `Answers`;
`evaluate(answers, criteria, rules=DEFAULT_RULES)` returns a `Recommendation`.
The JSON shapes are the evaluation contract in DESIGN.md.

Each criterion is a declaration (`Rule`): a stable code, the level it points to,
the questions it reads, the threshold fields it uses, a plain-language
explanation and a small check. The criteria book (`/criteria/`) is generated from
the same declarations, so what a clinician reads is what the engine runs.

How a level is decided (DESIGN.md, "The rules"):

1. Every rule runs on what is known; each one that fires adds a `Reason`.
2. An escalation raises an indicated level (IOP without safe housing is inpatient).
3. The level is a function of the levels that fired (`level_of`), declared once.
   Any inpatient reason gives `inpatient`, even when other answers are missing.
4. Otherwise, if some unanswered question could still change the level, the level
   is `None` and `missing` names exactly those questions (`_missing`). Never guess.
5. Otherwise the level stands (`outpatient` with its own supporting reason when
   nothing fired). Notes are added whatever the level; they never change it.

The default rules are locatr's own synthesis of the seed texts and the public
instruments (PHQ-9, GAD-7, the C-SSRS screener); they are not LOCUS or ASAM.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, NoReturn

from intake import catalogue
from intake.answers import (
    MISSING,
    Answers,
    AnswersError,
    Cssrs,
    Missing,
    answers_from_dict,
    answers_to_dict,
)
from intake.catalogue import ANSWER_KEYS, CSSRS_QUESTIONS

__all__ = [
    "ANSWER_KEYS",
    "CSSRS_QUESTIONS",
    "DEFAULT_CRITERIA",
    "DEFAULT_NOTES",
    "DEFAULT_RULES",
    "HARM_TO_OTHERS_CHOICES",
    "MISSING",
    "RULE_LEVELS",
    "THRESHOLDS",
    "Answers",
    "AnswersError",
    "Criteria",
    "Cssrs",
    "CssrsRisk",
    "Escalation",
    "Facts",
    "Gad7Score",
    "Level",
    "Missing",
    "Note",
    "NoteRule",
    "Phq9Score",
    "Reason",
    "ReasonValues",
    "Recommendation",
    "Rule",
    "Scores",
    "Threshold",
    "answers_from_dict",
    "answers_to_dict",
    "clear_caches",
    "cssrs_risk",
    "evaluate",
    "gad7_score",
    "level_of",
    "phq9_score",
    "recommendation_to_dict",
]

HARM_TO_OTHERS_CHOICES: Final = tuple(
    value for value, _ in catalogue.question("harm_to_others").choices
)


# --------------------------------------------------------------------------- levels


class Level(IntEnum):
    """Levels of care, least to most intensive, so `max()` picks the most intensive.

    The one definition of level order, slugs and labels: models, the queue and
    the impact preview derive theirs from it.
    """

    OUTPATIENT = 1
    IOP = 2
    INPATIENT = 3

    @property
    def slug(self) -> str:
        """The contract name: "outpatient", "iop" or "inpatient"."""
        return self.name.lower()

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @classmethod
    def rank(cls, slug: str | None) -> int:
        """A level slug's order, with `None` ("insufficient information") lowest."""
        return 0 if slug is None else int(cls.from_slug(slug))

    @classmethod
    def from_slug(cls, slug: str) -> Level:
        for level in cls:
            if level.slug == slug:
                return level
        expected = ", ".join(repr(level.slug) for level in cls)
        raise ValueError(f"unknown level {slug!r}; expected one of {expected}")


_LEVEL_LABELS: Final = {
    Level.INPATIENT: "Inpatient",
    Level.IOP: "IOP (intensive outpatient)",
    Level.OUTPATIENT: "Outpatient",
}
INSUFFICIENT_LABEL: Final = "Insufficient information"


# ------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Threshold:
    """One admin-editable number: its bounds, default and how to name it.

    The one definition of each bound: `Criteria`, the `CriteriaSet` model (field,
    validators), the admin form and the criteria service all read it. `label`
    names the field (the criteria book, the admin form); `short_label` names it in
    messages and change notes.
    """

    name: str
    label: str
    short_label: str
    default: int
    low: int
    high: int
    unit: str = ""
    why: str = ""
    help_text: str = ""

    def message(self, value: object) -> str:
        """Why `value` is out of bounds, in the admin's words."""
        unit = f" {self.unit}" if self.unit else ""
        why = f" ({self.why})" if self.why else ""
        return (
            f"{self.short_label} must be a whole number from {self.low} to "
            f"{self.high}{unit}{why}; got {value!r}."
        )


THRESHOLDS: Final = (
    Threshold(
        "phq9_iop_min",
        "PHQ-9 total for IOP",
        "PHQ-9 IOP threshold",
        default=15,
        low=0,
        high=catalogue.PHQ9.max_total,
        why="a PHQ-9 total is 0 to 27",
        help_text="PHQ-9 total (0-27) at or above which IOP is indicated.",
    ),
    Threshold(
        "gad7_iop_min",
        "GAD-7 total for IOP",
        "GAD-7 IOP threshold",
        default=15,
        low=0,
        high=catalogue.GAD7.max_total,
        why="a GAD-7 total is 0 to 21",
        help_text="GAD-7 total (0-21) at or above which IOP is indicated.",
    ),
    Threshold(
        "moderate_min",
        "Moderate cut for persistence",
        "Moderate cut",
        default=10,
        low=0,
        high=min(catalogue.PHQ9.max_total, catalogue.GAD7.max_total),
        why="it is compared with PHQ-9 and GAD-7 totals; a GAD-7 total is 0 to 21",
        help_text="PHQ-9 or GAD-7 total counted as persistent moderate symptoms.",
    ),
    Threshold(
        "persistent_weeks_min",
        "Weeks of weekly therapy without improvement",
        "Weeks of weekly therapy without improvement",
        default=6,
        low=1,
        high=520,
        unit="weeks",
        why="greater than 0",
    ),
    Threshold(
        "stepdown_window_days",
        "Step-down window after inpatient discharge (days, inclusive)",
        "Step-down window",
        default=30,
        low=0,
        high=3650,
        unit="days",
    ),
)
_THRESHOLD: Final = {t.name: t for t in THRESHOLDS}


@dataclass(frozen=True, slots=True)
class Criteria:
    """The admin-editable thresholds of one criteria version. All inclusive."""

    phq9_iop_min: int = _THRESHOLD["phq9_iop_min"].default
    gad7_iop_min: int = _THRESHOLD["gad7_iop_min"].default
    moderate_min: int = _THRESHOLD["moderate_min"].default
    persistent_weeks_min: int = _THRESHOLD["persistent_weeks_min"].default
    stepdown_window_days: int = _THRESHOLD["stepdown_window_days"].default

    def __post_init__(self) -> None:
        for spec in THRESHOLDS:
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{spec.name} must be an integer; got {value!r}")
            if not spec.low <= value <= spec.high:
                raise ValueError(
                    f"{spec.name} must be {spec.low} to {spec.high}; got {value}"
                )


DEFAULT_CRITERIA: Final = Criteria()


# --------------------------------------------------------------------------- scores

CssrsRisk = Literal["none", "low", "moderate", "high"]


@dataclass(frozen=True, slots=True)
class Phq9Score:
    total: int
    band: str
    item9_positive: bool


@dataclass(frozen=True, slots=True)
class Gad7Score:
    total: int
    band: str


@dataclass(frozen=True, slots=True)
class Scores:
    phq9: Phq9Score | None
    gad7: Gad7Score | None
    cssrs_risk: CssrsRisk | None


_PHQ9: Final = catalogue.PHQ9
_GAD7: Final = catalogue.GAD7
# Every possible score, built once. PHQ-9 index: total * 2 + item 9 above 0.
_PHQ9_SCORES: Final = tuple(
    Phq9Score(total, catalogue.band_of(_PHQ9, total).key, positive)
    for total in range(_PHQ9.max_total + 1)
    for positive in (False, True)
)
_GAD7_SCORES: Final = tuple(
    Gad7Score(total, catalogue.band_of(_GAD7, total).key)
    for total in range(_GAD7.max_total + 1)
)


def _check_items(items: Sequence[object], inst: catalogue.Instrument) -> None:
    if len(items) != len(inst.items):
        raise ValueError(f"{inst.name} needs {len(inst.items)} items; got {len(items)}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValueError(f"{inst.name} items must be integers; got {item!r}")
        if not 0 <= item <= inst.max_item:
            raise ValueError(f"{inst.name} items must be from 0 to 3; got {item!r}")


def phq9_score(items: Sequence[int]) -> Phq9Score:
    """PHQ-9 total (0-27), severity band (catalogue), and whether item 9
    (thoughts of death or self-harm) is above 0. Raises ValueError for anything
    but 9 integers from 0 to 3."""
    _check_items(items, _PHQ9)
    return _PHQ9_SCORES[sum(items) * 2 + (items[8] > 0)]


def gad7_score(items: Sequence[int]) -> Gad7Score:
    """GAD-7 total (0-21) and severity band (catalogue). Raises ValueError for
    anything but 7 integers from 0 to 3."""
    _check_items(items, _GAD7)
    return _GAD7_SCORES[sum(items)]


def _risk_of(parts: Sequence[bool | None]) -> CssrsRisk:
    wish, thoughts, method, intent, plan, ever, recent = parts
    if intent or plan or recent:
        return "high"
    # Not high, so any behaviour here was not in the past 3 months.
    if method or ever:
        return "moderate"
    if wish or thoughts:
        return "low"
    return "none"


def cssrs_risk(c: Cssrs) -> CssrsRisk:
    """C-SSRS screener triage, counting an unanswered question as "no".

    1. high: yes to intent (Q4) or plan (Q5), or suicidal behaviour in the past
       3 months (Q6b);
    2. moderate: yes to method (Q3), or suicidal behaviour ever (Q6) but not in
       the past 3 months;
    3. low: yes to wish to be dead (Q1) or suicidal thoughts (Q2) only;
    4. none otherwise.

    With unanswered questions this is the lowest risk the answers allow;
    `evaluate()` reports a risk in its scores only when the answers settle it.
    """
    return _risk_of(_parts(c))


_parts: Final[Callable[[Cssrs], tuple[bool | None, ...]]] = operator.attrgetter(
    *CSSRS_QUESTIONS
)  # a screener's answers in the catalogue's order


_GATE_INDEX: Final = tuple(
    (CSSRS_QUESTIONS.index(child), CSSRS_QUESTIONS.index(gate))
    for child, gate in catalogue.CSSRS_PARENT.items()
)


def _completions(parts: tuple[bool | None, ...]) -> list[tuple[bool | None, ...]]:
    """Every way to finish a screener: open questions yes or no, skip logic kept."""
    open_ = [i for i, value in enumerate(parts) if value is None]
    done = []
    for choice in itertools.product((False, True), repeat=len(open_)):
        filled = list(parts)
        for i, value in zip(open_, choice, strict=True):
            filled[i] = value
        for child, gate in _GATE_INDEX:
            if filled[gate] is not True:
                filled[child] = None
        done.append(tuple(filled))
    return done


_WHOLE_SCREENER: Final = (catalogue.CSSRS.key,)


@lru_cache(maxsize=4_096)  # at most 3**7 screeners
def _screener_facts(
    parts: tuple[bool | None, ...],
) -> tuple[CssrsRisk | None, CssrsRisk | None, tuple[str, ...]]:
    """(floor, settled, open) of a screener: the lowest risk its answers allow
    (None if nothing is answered), the risk if every way to finish it agrees, and
    its open questions as contract paths.

    A screener with nothing answered is one open question ("cssrs"); otherwise
    each unanswered part whose gate is not answered "no" is ("cssrs.intent").
    """
    if all(value is None for value in parts):
        return None, None, _WHOLE_SCREENER
    risks = {_risk_of(done) for done in _completions(parts)}
    answered = dict(zip(CSSRS_QUESTIONS, parts, strict=True))
    open_ = tuple(
        f"{catalogue.CSSRS.key}.{q}"
        for q, v in answered.items()
        if v is None and answered.get(catalogue.CSSRS_PARENT.get(q, "")) is not False
    )
    return _risk_of(parts), (next(iter(risks)) if len(risks) == 1 else None), open_


class Facts(NamedTuple):
    """What the rules know beyond the raw answers: scores and C-SSRS triage.

    `cssrs_floor` is the lowest C-SSRS risk the answered questions allow (`None`
    when the screener is unanswered): a rule fires only on what is known.
    """

    phq9: Phq9Score | None
    gad7: Gad7Score | None
    cssrs_floor: CssrsRisk | None
    cssrs_settled: CssrsRisk | None
    cssrs_open: tuple[str, ...]  # its unanswered questions that apply

    @property
    def scores(self) -> Scores:
        return Scores(self.phq9, self.gad7, self.cssrs_settled)


def facts_of(answers: Answers) -> Facts:
    """Score the instruments and triage the screener (answers are trusted)."""
    p, g, c = answers.phq9, answers.gad7, answers.cssrs
    floor = settled = None
    open_: tuple[str, ...] = _WHOLE_SCREENER
    if c is not MISSING:
        floor, settled, open_ = _screener_facts(_parts(c))
    return Facts(
        None if p is MISSING else _PHQ9_SCORES[sum(p) * 2 + (p[8] > 0)],
        None if g is MISSING else _GAD7_SCORES[sum(g)],
        floor,
        settled,
        open_,
    )


# -------------------------------------------------------------- reasons and notes


class ReasonValues(dict[str, object]):
    """A reason's values: a JSON-ready dict that cannot be changed in place.

    Copy them with `dict(values)`.
    """

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("reason values are read-only; copy them with dict(values)")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type[ReasonValues], tuple[dict[str, object]]]:
        return (ReasonValues, (dict(self),))


@dataclass(frozen=True, slots=True)
class Reason:
    """A criterion that fired: a stable code, the level it supports, and why.

    `values` holds the numbers behind the text (JSON-ready, read-only).
    """

    code: str
    level: Level
    text: str
    values: dict[str, object] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.values, ReasonValues):
            object.__setattr__(self, "values", ReasonValues(self.values))


@dataclass(frozen=True, slots=True)
class Note:
    """Advice that never changes the level (schedule, safety plan, supports...)."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The result of `evaluate()`. `level` is `None` exactly when `missing` is not."""

    level: Level | None
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...]
    notes: tuple[Note, ...]
    scores: Scores


# ------------------------------------------------------------------ declarations

# A check reads the answers, their facts and the thresholds; when its criterion
# holds it returns (reason text, values), else None.
Fired = tuple[str, dict[str, object]]
Check = Callable[[Answers, Facts, Criteria], Fired | None]


@dataclass(frozen=True)
class Rule:
    """One criterion: `code` points to `level` when `check` holds.

    `reads` are the catalogue questions it reads (contract keys) and `thresholds`
    the `Criteria` fields it compares them with; the missing-answer analysis and
    the criteria book rely on both being complete. `explanation` is the plain-
    language criterion, with `{threshold}` placeholders filled in from a version.
    """

    code: str
    level: Level
    reads: tuple[str, ...]
    thresholds: tuple[str, ...]
    explanation: str
    source: str
    check: Check = field(repr=False, compare=False)

    def __call__(self, a: Answers, f: Facts, c: Criteria) -> Reason | None:
        fired = self.check(a, f, c)
        return None if fired is None else Reason(self.code, self.level, *fired)

    def explain(self, criteria: Criteria) -> str:
        return self.explanation.format(
            **{name: getattr(criteria, name) for name in self.thresholds}
        )


@dataclass(frozen=True)
class Escalation:
    """Raises an indicated level: when a rule of `from_level` fired and `holds`
    (it reads only its own questions), the level is `level` instead."""

    code: str
    from_level: Level
    level: Level
    reads: tuple[str, ...]
    explanation: str
    text: str
    source: str
    holds: Callable[[Answers], bool] = field(repr=False, compare=False)
    thresholds: tuple[str, ...] = ()

    def explain(self, criteria: Criteria) -> str:
        return self.explanation


class Outcome(NamedTuple):
    """What the notes may look at: the levels that fired and the final level."""

    fired_levels: frozenset[Level]
    level: Level | None


@dataclass(frozen=True)
class NoteRule:
    """Advice added when `applies`; notes never change the level."""

    code: str
    text: str
    reads: tuple[str, ...]
    applies: Callable[[Answers, Facts, Outcome], bool] = field(
        repr=False, compare=False
    )

    @property
    def note(self) -> Note:
        return Note(self.code, self.text)


def rule(
    code: str,
    level: Level,
    *,
    reads: tuple[str, ...],
    thresholds: tuple[str, ...] = (),
    explanation: str,
    source: str,
) -> Callable[[Check], Rule]:
    """Declare a criterion: `@rule("CODE", Level.IOP, reads=..., ...)` on its check."""
    for key in reads:
        catalogue.question(key)  # a typo in `reads` fails at import
    for name in thresholds:
        _THRESHOLD[name]

    def declare(check: Check) -> Rule:
        return Rule(code, level, reads, thresholds, explanation, source, check)

    return declare


def level_of(fired: Iterable[Level], escalations: Iterable[Escalation] = ()) -> Level:
    """The level for the levels that fired: the most intensive one, raised by any
    escalation whose `from_level` fired; outpatient when nothing fired."""
    levels = set(fired)
    raised = [e.level for e in escalations if e.from_level in levels]
    return max((*levels, *raised), default=Level.OUTPATIENT)


INPATIENT: Final = Level.INPATIENT
IOP: Final = Level.IOP
OUTPATIENT: Final = Level.OUTPATIENT
SEED = "locatr's synthesis of the seed criteria (not LOCUS or ASAM)"
CSSRS_SOURCE = "C-SSRS screener triage (Posner et al.), locatr's synthesis"


# --- inpatient ---------------------------------------------------------------------


@rule(
    "RISK_CSSRS_HIGH",
    INPATIENT,
    reads=("cssrs",),
    explanation="High suicide risk on the C-SSRS screener: yes to intent (question "
    "4) or a plan (question 5), or suicidal behaviour in the past 3 months "
    "(question 6b).",
    source=CSSRS_SOURCE,
)
def cssrs_high_risk(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    if f.cssrs_floor != "high":
        return None
    s = a.cssrs
    return (
        "High suicide risk on the C-SSRS screener (suicidal intent, a plan, or "
        "suicidal behaviour in the past 3 months).",
        {
            "cssrs_risk": "high",
            "intent": s.intent,
            "plan": s.plan,
            "behavior_past_3_months": s.behavior_past_3_months,
        },
    )


@rule(
    "RISK_HARM_OTHERS_INTENT",
    INPATIENT,
    reads=("harm_to_others",),
    explanation="Intent to harm others.",
    source=SEED,
)
def harm_to_others_intent(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    if a.harm_to_others != "intent":
        return None
    return "Intent to harm others.", {"harm_to_others": "intent"}


def _yes(key: str, value: bool, text: str) -> Check:
    """A check that fires when the yes/no question `key` is answered `value`."""

    def check(a: Answers, f: Facts, c: Criteria) -> Fired | None:
        return (text, {key: value}) if getattr(a, key) is value else None

    return check


def _yes_rule(
    code: str, level: Level, key: str, value: bool, text: str, source: str = SEED
) -> Rule:
    """A criterion that is one yes/no answer: the reason text is its explanation."""
    declare = rule(code, level, reads=(key,), explanation=text, source=source)
    return declare(_yes(key, value, text))


impaired_judgement: Final = _yes_rule(
    "IMPAIRED_JUDGEMENT",
    INPATIENT,
    "impaired_judgement",
    True,
    "Serious illness with impaired judgement (e.g. psychosis, mania or severe "
    "disorganisation).",
)
cannot_care_for_self: Final = _yes_rule(
    "CANNOT_CARE_FOR_SELF",
    INPATIENT,
    "can_care_for_self",
    False,
    "Unable to care for self or to live safely at home.",
)
medical_detox: Final = _yes_rule(
    "MEDICAL_DETOX",
    INPATIENT,
    "needs_medical_detox",
    True,
    "Needs medically supervised detox.",
)
medical_monitoring_24h: Final = _yes_rule(
    "MEDICAL_MONITORING_24H",
    INPATIENT,
    "needs_24h_medical_monitoring",
    True,
    "Needs 24-hour medical monitoring.",
)


# --- IOP ---------------------------------------------------------------------------


@rule(
    "RISK_CSSRS_MODERATE",
    IOP,
    reads=("cssrs",),
    explanation="Moderate suicide risk on the C-SSRS screener: yes to thoughts of "
    "a method (question 3), or suicidal behaviour ever (question 6) but not in the "
    "past 3 months.",
    source=CSSRS_SOURCE,
)
def cssrs_moderate_risk(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    if f.cssrs_floor != "moderate":
        return None
    s = a.cssrs
    return (
        "Moderate suicide risk on the C-SSRS screener (thought about a method, "
        "or suicidal behaviour in the past).",
        {
            "cssrs_risk": "moderate",
            "method": s.method,
            "behavior_ever": s.behavior_ever,
            "behavior_past_3_months": s.behavior_past_3_months,
        },
    )


@rule(
    "RISK_HARM_OTHERS_THOUGHTS",
    IOP,
    reads=("harm_to_others",),
    explanation="Thoughts of harming others (without intent).",
    source=SEED,
)
def harm_to_others_thoughts(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    if a.harm_to_others != "thoughts":
        return None
    return "Thoughts of harming others (without intent).", {
        "harm_to_others": "thoughts"
    }


@rule(
    "PHQ9_IOP",
    IOP,
    reads=("phq9",),
    thresholds=("phq9_iop_min",),
    explanation="PHQ-9 total at or above {phq9_iop_min}: moderately severe or "
    "severe depressive symptoms.",
    source="PHQ-9 (Kroenke et al. 2001) severity bands; the seed text",
)
def phq9_iop(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    score, cut = f.phq9, c.phq9_iop_min
    if score is None or score.total < cut:
        return None
    band = score.band.replace("_", " ")
    return (
        f"PHQ-9 total {score.total} ({band}) is at or above the IOP threshold of "
        f"{cut}.",
        {"phq9_total": score.total, "threshold": cut},
    )


@rule(
    "GAD7_IOP",
    IOP,
    reads=("gad7",),
    thresholds=("gad7_iop_min",),
    explanation="GAD-7 total at or above {gad7_iop_min}: severe anxiety symptoms.",
    source="GAD-7 (Spitzer et al. 2006) severity bands; the seed text",
)
def gad7_iop(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    score, cut = f.gad7, c.gad7_iop_min
    if score is None or score.total < cut:
        return None
    return (
        f"GAD-7 total {score.total} ({score.band}) is at or above the IOP threshold "
        f"of {cut}.",
        {"gad7_total": score.total, "threshold": cut},
    )


@rule(
    "PERSISTENT_SYMPTOMS",
    IOP,
    reads=("phq9", "gad7", "weeks_weekly_therapy_without_improvement"),
    thresholds=("moderate_min", "persistent_weeks_min"),
    explanation="PHQ-9 or GAD-7 total at or above {moderate_min} after at least "
    "{persistent_weeks_min} weeks of weekly therapy without improvement.",
    source=SEED,
)
def persistent_symptoms(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    weeks = a.weeks_weekly_therapy_without_improvement
    if weeks is None or weeks is MISSING or weeks < c.persistent_weeks_min:
        return None
    cut = c.moderate_min
    phq9 = None if f.phq9 is None else f.phq9.total
    gad7 = None if f.gad7 is None else f.gad7.total
    totals = " and ".join(
        f"{name} {total}"
        for name, total in (("PHQ-9", phq9), ("GAD-7", gad7))
        if total is not None and total >= cut
    )
    if not totals:
        return None
    return (
        f"Symptoms at or above the moderate cut of {cut} ({totals}) after {weeks} "
        f"weeks of weekly therapy without improvement (threshold "
        f"{c.persistent_weeks_min} weeks).",
        {
            "phq9_total": phq9,
            "gad7_total": gad7,
            "moderate_min": cut,
            "weeks": weeks,
            "persistent_weeks_min": c.persistent_weeks_min,
        },
    )


@rule(
    "STEP_DOWN_AFTER_DISCHARGE",
    IOP,
    reads=("discharged_inpatient_days_ago",),
    thresholds=("stepdown_window_days",),
    explanation="Discharged from inpatient care at most {stepdown_window_days} "
    "days ago (step-down).",
    source=SEED,
)
def step_down_after_discharge(a: Answers, f: Facts, c: Criteria) -> Fired | None:
    days = a.discharged_inpatient_days_ago
    window = c.stepdown_window_days
    if days is None or days is MISSING or days > window:
        return None
    return (
        f"Discharged from inpatient care {days} days ago, within the {window}-day "
        "step-down window.",
        {"days_since_discharge": days, "window_days": window},
    )


IOP_WITHOUT_SAFE_HOUSING: Final = Escalation(
    "IOP_WITHOUT_SAFE_HOUSING",
    from_level=IOP,
    level=INPATIENT,
    reads=("safe_housing",),
    explanation="IOP is indicated but there is no safe housing: IOP needs a safe "
    "home, so the level is inpatient.",
    text="IOP is indicated but there is no safe housing, and IOP needs a safe home.",
    source=SEED,
    holds=lambda a: a.safe_housing is False,
)

# The supporting reason when no criterion fired and nothing is missing.
OUTPATIENT_NO_HIGHER_CRITERIA: Final = Rule(
    "OUTPATIENT_NO_HIGHER_CRITERIA",
    OUTPATIENT,
    reads=(),
    thresholds=(),
    explanation="No inpatient or IOP criterion applies and no answer that could "
    "change that is missing: outpatient care (mild symptoms or maintenance).",
    source=SEED,
    check=lambda a, f, c: (
        "No inpatient or IOP criterion applies: outpatient care (mild symptoms or "
        "maintenance).",
        {
            "phq9_total": None if f.phq9 is None else f.phq9.total,
            "gad7_total": None if f.gad7 is None else f.gad7.total,
            "cssrs_risk": f.cssrs_settled,
        },
    ),
)

RuleLike = Rule | Escalation
# Most intensive first, in the order their reasons are listed.
DEFAULT_RULES: Final[tuple[RuleLike, ...]] = (
    cssrs_high_risk,
    harm_to_others_intent,
    impaired_judgement,
    cannot_care_for_self,
    medical_detox,
    medical_monitoring_24h,
    IOP_WITHOUT_SAFE_HOUSING,
    cssrs_moderate_risk,
    harm_to_others_thoughts,
    phq9_iop,
    gad7_iop,
    persistent_symptoms,
    step_down_after_discharge,
)

# The level each declared criterion points to, by code. Stored reasons keep only
# code, text and values; pages that need a reason's level (the inpatient criteria a
# clinician acknowledges before deciding lower) look it up here. Codes are never
# reused, so this also holds for reasons stored under older criteria versions.
RULE_LEVELS: Final[Mapping[str, Level]] = MappingProxyType(
    {r.code: r.level for r in (*DEFAULT_RULES, OUTPATIENT_NO_HIGHER_CRITERIA)}
)

# Safety first, then in a fixed order. They never change the level.
DEFAULT_NOTES: Final = (
    NoteRule(
        "NOTE_SAFETY_PLAN",
        "Low suicide risk on the C-SSRS screener: a safety plan is recommended.",
        reads=("cssrs",),
        # Settled, not the floor: an incomplete screener never reads as low risk.
        applies=lambda a, f, o: f.cssrs_settled == "low",
    ),
    NoteRule(
        "NOTE_PHQ9_ITEM9",
        "PHQ-9 item 9: thoughts of death or self-harm reported; the C-SSRS screener "
        "is required.",
        reads=("phq9",),
        applies=lambda a, f, o: f.phq9 is not None and f.phq9.item9_positive,
    ),
    NoteRule(
        "NOTE_IOP_SCHEDULE",
        "Cannot attend 3 or more days a week: consider an evening or virtual IOP "
        "schedule.",
        reads=("can_attend_3_days_week",),
        applies=lambda a, f, o: (
            IOP in o.fired_levels
            and o.level is not INPATIENT
            and a.can_attend_3_days_week is False
        ),
    ),
    NoteRule(
        "NOTE_SUPPORT",
        "No support at home: involve family or other supports, or refer to social "
        "work.",
        reads=("support_at_home",),
        applies=lambda a, f, o: a.support_at_home is False,
    ),
    NoteRule(
        "NOTE_NO_SAFE_HOUSING",
        "No safe housing: address housing (e.g. a social work referral).",
        reads=("safe_housing",),
        applies=lambda a, f, o: a.safe_housing is False and IOP not in o.fired_levels,
    ),
)


# ------------------------------------------------------------------------ evaluate


def evaluate(
    answers: Answers,
    criteria: Criteria,
    rules: Sequence[RuleLike] = DEFAULT_RULES,
    notes: Sequence[NoteRule] = DEFAULT_NOTES,
) -> Recommendation:
    """Recommend a level of care for `answers` under `criteria`, with reasons.

    1. Score the instruments; run every rule on what is known.
    2. Escalations raise the level they apply to (their reason is listed with
       the reasons of the level they raise to).
    3. The level: `level_of` the levels that fired. Inpatient stands whatever is
       missing; any other level stands only if no unanswered question could
       change it, else the level is `None` and `missing` lists those questions.
    4. Nothing fired and nothing missing: outpatient, with its own reason.
    5. Add notes; they never change the level.
    """
    book = _DEFAULT_BOOK if rules is DEFAULT_RULES else _book(tuple(rules))
    facts = facts_of(answers)
    fired = []
    for r in book.rules:
        found = r.check(answers, facts, criteria)
        if found is not None:
            fired.append(Reason(r.code, r.level, *found))
    levels = frozenset(r.level for r in fired)
    raised = [
        e for e in book.escalations if e.from_level in levels and e.holds(answers)
    ]
    if raised:
        fired += [
            Reason(
                e.code,
                e.level,
                e.text,
                {
                    **{key: getattr(answers, key) for key in e.reads},
                    "iop_reasons": [r.code for r in fired if r.level is e.from_level],
                },
            )
            for e in raised
        ]
    if raised or not book.ordered:
        fired.sort(key=_most_intensive_first)  # stable: declaration order kept
    level: Level | None = level_of(levels, raised)
    missing: tuple[str, ...] = ()
    if level is not INPATIENT:
        missing = _missing(book, answers, facts, criteria, fired)
        if missing:
            level = None
        elif not fired:
            fired.append(book.fallback(answers, facts, criteria))  # type: ignore[arg-type]
    outcome = Outcome(levels, level)
    return Recommendation(
        level=level,
        reasons=tuple(fired),
        missing=missing,
        notes=tuple(n.note for n in notes if n.applies(answers, facts, outcome)),
        scores=facts.scores,
    )


# ---------------------------------------------------------- missing information
#
# An unanswered question is listed when some way of answering the other
# unanswered questions leaves its own answer deciding the level. The level
# depends on the answers only through which rules fire (`level_of`), and a rule
# depends only on the questions it `reads`. So the questions fall into groups
# that rules read together (PHQ-9, GAD-7 and the weeks of therapy form one), and
# each group contributes a small "signature" (the levels its rules can fire, the
# escalations it can hold). For each group with unanswered questions, every
# representative completion is run through the group's own rules: the values at
# and around each threshold the rules compare with, both ends of each range,
# every choice, and "still unanswered". Combining the groups' signatures then
# decides exactly which unanswered questions matter: no level logic is restated.


Signature = tuple[frozenset[Level], frozenset[str]]
_NOTHING: Final[Signature] = (frozenset(), frozenset())


def _most_intensive_first(reason: Reason) -> int:
    return -reason.level


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (memo keys)
class _Book:
    """A rule list, prepared once: rules, escalations, groups of questions."""

    rules: tuple[Rule, ...]
    escalations: tuple[Escalation, ...]
    fallback: Rule
    groups: tuple[tuple[str, ...], ...]  # question keys, contract order
    ordered: bool  # rules already listed most intensive first
    plain_values: Callable[[Answers], tuple[object, ...]]  # the answers rules
    # read, but the screener (the fast "is anything unanswered?" check)
    group_of: Mapping[str, int]  # rule code -> its group
    group_rules: tuple[tuple[RuleLike, ...], ...]

    def sign(
        self, group: int, a: Answers, c: Criteria, f: Facts | None = None
    ) -> Signature:
        """The levels the group's rules fire and the escalations that hold."""
        f = facts_of(a) if f is None else f
        levels: set[Level] = set()
        holding: set[str] = set()
        for r in self.group_rules[group]:
            if isinstance(r, Escalation):
                if r.holds(a):
                    holding.add(r.code)
            elif r.check(a, f, c) is not None:
                levels.add(r.level)
        return frozenset(levels), frozenset(holding)

    def level(self, sig: Signature) -> Level:
        levels, holding = sig
        return level_of(levels, (e for e in self.escalations if e.code in holding))


@lru_cache(maxsize=8)
def _book(rules: tuple[RuleLike, ...]) -> _Book:
    groups: list[set[str]] = []
    for r in rules:
        touching = [g for g in groups if g & set(r.reads)]
        merged = set(r.reads).union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    order = {key: i for i, key in enumerate(ANSWER_KEYS)}
    keyed = sorted(
        (sorted(g, key=order.__getitem__) for g in groups), key=lambda g: order[g[0]]
    )
    return _Book(
        rules=tuple(r for r in rules if isinstance(r, Rule)),
        escalations=tuple(r for r in rules if isinstance(r, Escalation)),
        ordered=all(
            a.level >= b.level
            for a, b in itertools.pairwise(r for r in rules if isinstance(r, Rule))
        ),
        fallback=OUTPATIENT_NO_HIGHER_CRITERIA,
        groups=tuple(tuple(g) for g in keyed),
        plain_values=_values_of(
            *(key for g in keyed for key in g if key != catalogue.CSSRS.key)
        ),
        group_of={
            r.code: i
            for i, g in enumerate(keyed)
            for r in rules
            if set(r.reads) <= set(g)
        },
        group_rules=tuple(
            tuple(r for r in rules if set(r.reads) <= set(g)) for g in keyed
        ),
    )


def _values_of(*keys: str) -> Callable[[Answers], tuple[object, ...]]:
    """The answers to `keys`, always as a tuple (attrgetter gives one value alone)."""
    get = operator.attrgetter(*keys)
    return get if len(keys) > 1 else lambda a: (get(a),)


def _open_units(answers: Answers, facts: Facts, keys: Iterable[str]) -> list[str]:
    """The unanswered questions among `keys`, as contract paths, in order."""
    units: list[str] = []
    for key in keys:
        if key == catalogue.CSSRS.key:
            units += facts.cssrs_open
        elif getattr(answers, key) is MISSING:
            units.append(key)
    return units


def _missing(
    book: _Book, answers: Answers, facts: Facts, criteria: Criteria, fired: list[Reason]
) -> tuple[str, ...]:
    """The unanswered questions that could change a level that is not inpatient.

    1. Find the groups with open questions (none: nothing is missing).
    2. The answered groups are fixed: their signature is what already fired.
    3. For each open question: is there a signature of the other open groups
       under which switching its answer alone switches the level?
    """
    if not facts.cssrs_open and MISSING not in book.plain_values(answers):
        return ()  # everything the rules read is answered (the common case)
    open_groups = tuple(
        (i, tuple(_canonical(key, getattr(answers, key)) for key in keys), tuple(units))
        for i, keys in enumerate(book.groups)
        if (units := _open_units(answers, facts, keys))
    )
    closed = {i for i, _, _ in open_groups}.__contains__
    known: Signature = (
        frozenset(r.level for r in fired if not closed(book.group_of[r.code])),
        frozenset(
            e.code
            for e in book.escalations
            if not closed(book.group_of[e.code]) and e.holds(answers)
        ),
    )
    return _relevant(book, criteria, known, open_groups)


@lru_cache(maxsize=16_384)
def _relevant(
    book: _Book,
    criteria: Criteria,
    known: Signature,
    open_groups: tuple[tuple[int, tuple[object, ...], tuple[str, ...]], ...],
) -> tuple[str, ...]:
    analyses = [
        _group_analysis(
            book, i, values, units, _thresholds(book, i, criteria), criteria
        )
        for i, values, units in open_groups
    ]
    relevant: list[str] = []
    for g, (_, flips) in enumerate(analyses):
        others = {known}
        for h, (reachable, _) in enumerate(analyses):
            if h != g:
                others = {_join(o, s) for o in others for s in reachable}
        for unit, pairs in flips:
            if any(
                book.level(_join(o, x)) != book.level(_join(o, y))
                for o in others
                for x, y in pairs
            ):
                relevant.append(unit)
    return tuple(sorted(relevant, key=_ORDER.index))


_ORDER: Final = tuple(
    path for q in catalogue.QUESTIONS for path in (q.path, *(p.path for p in q.parts))
)


def _join(a: Signature, b: Signature) -> Signature:
    return a[0] | b[0], a[1] | b[1]


def _thresholds(book: _Book, group: int, criteria: Criteria) -> tuple[int, ...]:
    """The threshold values the group's rules compare with."""
    return tuple(
        sorted(
            {
                getattr(criteria, name)
                for r in book.group_rules[group]
                for name in r.thresholds
            }
        )
    )


@lru_cache(maxsize=16_384)
def _group_analysis(
    book: _Book,
    group: int,
    values: tuple[object, ...],
    units: tuple[str, ...],
    cuts: tuple[int, ...],
    criteria: Criteria,
) -> tuple[
    frozenset[Signature], tuple[tuple[str, frozenset[tuple[Signature, Signature]]], ...]
]:
    """Every signature a group can still reach, and per open question the pairs of
    signatures that changing only its answer can switch between.

    `values` are the group's current answers (the memo key, with the thresholds).
    """
    keys = book.groups[group]
    base = dict(zip(keys, values, strict=True))
    domains = [_domain(unit, cuts) for unit in units]
    sigs: dict[tuple[int, ...], Signature] = {}
    for choice in itertools.product(*(range(len(d)) for d in domains)):
        answers = _complete(
            base, units, [d[i] for d, i in zip(domains, choice, strict=True)]
        )
        sigs[choice] = book.sign(group, answers, criteria)
    flips = []
    for u, unit in enumerate(units):
        seen: dict[tuple[int, ...], set[Signature]] = {}
        for choice, sig in sigs.items():
            seen.setdefault(choice[:u] + choice[u + 1 :], set()).add(sig)
        pairs = frozenset(
            (x, y) for found in seen.values() for x in found for y in found if x != y
        )
        flips.append((unit, pairs))
    return frozenset(sigs.values()), tuple(flips)


def _complete(
    base: Mapping[str, object], units: Sequence[str], chosen: Sequence[object]
) -> Answers:
    """`base` answers with each open question given its chosen value."""
    values = dict(base)
    parts: dict[str, bool | None] = {}
    for unit, value in zip(units, chosen, strict=True):
        key, _, part = unit.partition(".")
        if part:
            parts[part] = value  # type: ignore[assignment]  # a part's domain
        else:
            values[key] = value
    if parts:
        current: Cssrs = values[catalogue.CSSRS.key]  # type: ignore[assignment]
        screener = dict(zip(CSSRS_QUESTIONS, _parts(current), strict=True)) | parts
        for child, gate in catalogue.CSSRS_PARENT.items():
            if screener[gate] is not True:
                screener[child] = None
        values[catalogue.CSSRS.key] = Cssrs(**screener)
    return Answers(**values)


def _domain(unit: str, cuts: Sequence[int]) -> tuple[object, ...]:
    """Representative answers to an open question, "still unanswered" first.

    Rules compare answers with thresholds, so the values at and around each
    threshold and both ends of the range stand for all others.
    """
    q = catalogue.question(unit)
    if q.parent:  # a screener part: unanswered counts as "no" in the triage
        return (None, False, True)
    if q.kind == catalogue.SCREENER:
        every = set(_completions((None,) * len(q.parts)))
        return (MISSING, *(Cssrs(*parts) for parts in sorted(every, key=repr)))
    if q.kind == catalogue.YES_NO:
        return (MISSING, False, True)
    if q.kind == catalogue.CHOICE:
        return (MISSING, *(value for value, _ in q.choices))
    if q.kind == catalogue.COUNT_OR_NONE:
        counts = sorted({0, *(n for t in cuts for n in (t - 1, t, t + 1) if n >= 0)})
        return (MISSING, None, *counts)
    assert q.instrument is not None  # noqa: S101 - the last kind: an instrument
    inst = q.instrument
    totals = {0, inst.max_total}
    totals |= {n for t in cuts for n in (t - 1, t, t + 1) if 0 <= n <= inst.max_total}
    return (MISSING, *(items for t in sorted(totals) for items in _spread(inst, t)))


def _spread(inst: catalogue.Instrument, total: int) -> set[tuple[int, ...]]:
    """Item lists with this total: the flagged item as low and as high as it goes."""
    top = inst.max_item
    low = max(0, total - top * (len(inst.items) - 1))
    return {_items(inst, total, flagged) for flagged in {low, min(top, total)}}


@lru_cache(maxsize=1_024)
def _items(inst: catalogue.Instrument, total: int, flagged: int) -> tuple[int, ...]:
    """One item list with this total and this value of the flagged (else last) item."""
    count, top = len(inst.items), inst.max_item
    flag = (inst.flag_item or count) - 1
    rest = total - flagged
    others = [min(top, max(0, rest - top * i)) for i in range(count - 1)]
    return (*others[:flag], flagged, *others[flag:])


def _canonical(key: str, value: object) -> object:
    """An answered instrument as the one item list with its total and flagged item.

    Rules read an instrument through its score (total, band, flagged item), so
    answers with the same score share one memoised analysis.
    """
    inst = catalogue.INSTRUMENTS.get(key)
    if inst is None or not isinstance(value, tuple):
        return value
    flag = (inst.flag_item or len(inst.items)) - 1
    return _items(inst, sum(value), value[flag])


_DEFAULT_BOOK: Final = _book(DEFAULT_RULES)


def clear_caches() -> None:
    """Forget every memoised analysis (benchmarks, tests)."""
    _screener_facts.cache_clear()
    _group_analysis.cache_clear()
    _relevant.cache_clear()


# ---------------------------------------------------------------------- contract


def recommendation_to_dict(
    rec: Recommendation, criteria_version: int
) -> dict[str, object]:
    """The contract JSON for a recommendation (see DESIGN.md); plain, fresh objects
    that the caller may change."""
    scores = rec.scores
    return {
        "level": None if rec.level is None else rec.level.slug,
        "reasons": [
            {
                "code": r.code,
                "text": r.text,
                "values": {
                    k: list(v) if isinstance(v, list) else v
                    for k, v in r.values.items()
                },
            }
            for r in rec.reasons
        ],
        "notes": [{"code": n.code, "text": n.text} for n in rec.notes],
        "missing": list(rec.missing),
        "scores": {
            "phq9": None
            if scores.phq9 is None
            else {
                "total": scores.phq9.total,
                "band": scores.phq9.band,
                "item9_positive": scores.phq9.item9_positive,
            },
            "gad7": None
            if scores.gad7 is None
            else {"total": scores.gad7.total, "band": scores.gad7.band},
            "cssrs_risk": scores.cssrs_risk,
        },
        "criteria_version": criteria_version,
    }
