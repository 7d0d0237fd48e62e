"""Level-of-care rules: answers in, an explained recommendation out.

Standard library only: no Django, no I/O, no clock. Thresholds come in as a
`Criteria` (built once from the active `CriteriaSet`), answers as a validated
`Answers`; `evaluate()` returns a `Recommendation`. The JSON shapes are the
evaluation contract in DESIGN.md ("The evaluation contract").

How a level is decided (DESIGN.md, "The rules"):

1. Every rule runs on what is known; each one that fires adds a `Reason`.
2. Any inpatient reason gives `inpatient`, even when other answers are missing.
3. Otherwise, if some unanswered question could still change the level, the level
   is `None` and `missing` names exactly those questions. Never guess.
4. Otherwise the level is the most intensive level among the reasons (`iop`), or
   `outpatient` with its own supporting reason.
5. Notes are added whatever the level; they never change it.

The default rules are locatr's own synthesis of the seed texts and the public
instruments (PHQ-9, GAD-7, the C-SSRS screener); they are not LOCUS or ASAM.

Speed (goal: 100,000 evaluations a second on one core, bench/rules_bench.py):
`evaluate()` trusts its `Answers` (validate once, with `answers_from_dict()`),
and memoises what depends on a few values only: scores and C-SSRS triage
(`Facts`), each distinct `Reason`, and the missing-answer analysis. The memos are
bounded, never keyed by a whole set of answers, and `clear_caches()` empties them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum, IntEnum
from functools import lru_cache
from typing import Any, Final, Literal, NoReturn, TypeVar

__all__ = [
    "ANSWER_KEYS",
    "CSSRS_QUESTIONS",
    "DEFAULT_CRITERIA",
    "HARM_TO_OTHERS_CHOICES",
    "INPATIENT_RULES",
    "IOP_RULES",
    "MISSING",
    "Answers",
    "AnswersError",
    "Criteria",
    "Cssrs",
    "CssrsRisk",
    "Facts",
    "Gad7Score",
    "Level",
    "Missing",
    "Note",
    "Phq9Score",
    "Reason",
    "ReasonValues",
    "Recommendation",
    "Rule",
    "Scores",
    "answers_from_dict",
    "answers_to_dict",
    "clear_caches",
    "cssrs_risk",
    "evaluate",
    "gad7_score",
    "phq9_score",
    "recommendation_to_dict",
]


# --------------------------------------------------------------------------- types


class Level(IntEnum):
    """Levels of care, least to most intensive, so `max()` picks the most intensive."""

    OUTPATIENT = 1
    IOP = 2
    INPATIENT = 3

    @property
    def slug(self) -> str:
        """The contract name: "outpatient", "iop" or "inpatient"."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> Level:
        for level in cls:
            if level.slug == slug:
                return level
        expected = ", ".join(repr(level.slug) for level in cls)
        raise ValueError(f"unknown level {slug!r}; expected one of {expected}")


class Missing(Enum):
    """The type of `MISSING`: a question that was not answered.

    Distinct from `None`, which on the two history fields is an answer ("does not
    apply"). Using it as a boolean raises, so `if answers.safe_housing:` cannot
    silently treat "unanswered" as "no".
    """

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> NoReturn:
        raise TypeError("MISSING has no truth value; compare with `is MISSING`")


MISSING: Final = Missing.MISSING

CssrsRisk = Literal["none", "low", "moderate", "high"]

CSSRS_QUESTIONS: Final = (
    "wish_dead",
    "suicidal_thoughts",
    "method",
    "intent",
    "plan",
    "behavior_ever",
    "behavior_past_3_months",
)
# Screener skip logic: a question applies only after "yes" to its parent.
_CSSRS_PARENT: Final[Mapping[str, str]] = {
    "method": "suicidal_thoughts",
    "intent": "suicidal_thoughts",
    "plan": "suicidal_thoughts",
    "behavior_past_3_months": "behavior_ever",
}

HARM_TO_OTHERS_CHOICES: Final = ("none", "thoughts", "intent")

# Answer keys in contract order; `missing` is always listed in this order.
ANSWER_KEYS: Final = (
    "cssrs",
    "harm_to_others",
    "phq9",
    "gad7",
    "impaired_judgement",
    "can_care_for_self",
    "safe_housing",
    "support_at_home",
    "needs_medical_detox",
    "needs_24h_medical_monitoring",
    "work_or_school_commitment",
    "can_attend_3_days_week",
    "discharged_inpatient_days_ago",
    "weeks_weekly_therapy_without_improvement",
)
_BOOL_KEYS: Final = (
    "impaired_judgement",
    "can_care_for_self",
    "safe_housing",
    "support_at_home",
    "needs_medical_detox",
    "needs_24h_medical_monitoring",
    "work_or_school_commitment",
    "can_attend_3_days_week",
)
_HISTORY_KEYS: Final = (
    "discharged_inpatient_days_ago",
    "weeks_weekly_therapy_without_improvement",
)
PHQ9_ITEMS: Final = 9
GAD7_ITEMS: Final = 7
PHQ9_MAX: Final = 27
GAD7_MAX: Final = 21


@dataclass(frozen=True, slots=True)
class Cssrs:
    """C-SSRS screener answers. `None` means unanswered or not applicable."""

    wish_dead: bool | None = None
    suicidal_thoughts: bool | None = None
    method: bool | None = None
    intent: bool | None = None
    plan: bool | None = None
    behavior_ever: bool | None = None
    behavior_past_3_months: bool | None = None


@dataclass(frozen=True, slots=True)
class Answers:
    """One assessment's answers, keyed as in the contract. `MISSING` = unanswered.

    Build it with `answers_from_dict()` to get the contract's validation; the
    rules trust an `Answers` and do not validate it again.
    """

    cssrs: Cssrs | Missing = MISSING
    harm_to_others: str | Missing = MISSING
    phq9: tuple[int, ...] | Missing = MISSING
    gad7: tuple[int, ...] | Missing = MISSING
    impaired_judgement: bool | Missing = MISSING
    can_care_for_self: bool | Missing = MISSING
    safe_housing: bool | Missing = MISSING
    support_at_home: bool | Missing = MISSING
    needs_medical_detox: bool | Missing = MISSING
    needs_24h_medical_monitoring: bool | Missing = MISSING
    work_or_school_commitment: bool | Missing = MISSING
    can_attend_3_days_week: bool | Missing = MISSING
    discharged_inpatient_days_ago: int | Missing | None = MISSING
    weeks_weekly_therapy_without_improvement: int | Missing | None = MISSING


@dataclass(frozen=True, slots=True)
class Criteria:
    """The admin-editable thresholds of one criteria version. All inclusive."""

    phq9_iop_min: int = 15
    gad7_iop_min: int = 15
    moderate_min: int = 10
    persistent_weeks_min: int = 6
    stepdown_window_days: int = 30

    def __post_init__(self) -> None:
        limits = {
            "phq9_iop_min": PHQ9_MAX,
            "gad7_iop_min": GAD7_MAX,
            "moderate_min": PHQ9_MAX,
            "persistent_weeks_min": None,
            "stepdown_window_days": None,
        }
        for name, high in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer; got {value!r}")
            if value < 0 or (high is not None and value > high):
                allowed = f"0 to {high}" if high is not None else ">= 0"
                raise ValueError(f"{name} must be {allowed}; got {value}")


DEFAULT_CRITERIA: Final = Criteria()


@dataclass(frozen=True, slots=True)
class Phq9Score:
    total: int
    band: str
    item9_positive: bool


@dataclass(frozen=True, slots=True)
class Gad7Score:
    total: int
    band: str


class ReasonValues(dict[str, object]):
    """A reason's values: a JSON-ready dict that cannot be changed in place.

    Reasons are shared between evaluations, so their values must not be edited;
    copy them with `dict(values)`.
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
class Scores:
    phq9: Phq9Score | None
    gad7: Gad7Score | None
    cssrs_risk: CssrsRisk | None


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The result of `evaluate()`. `level` is `None` exactly when `missing` is not."""

    level: Level | None
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...]
    notes: tuple[Note, ...]
    scores: Scores


# --------------------------------------------------------------------------- scoring


def _band(total: int, cuts: Sequence[tuple[int, str]]) -> str:
    return next(name for top, name in cuts if total <= top)


# (highest total in the band, band): Kroenke et al. 2001; Spitzer et al. 2006.
_PHQ9_CUTS: Final = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (19, "moderately_severe"),
    (PHQ9_MAX, "severe"),
)
_GAD7_CUTS: Final = (
    (4, "minimal"),
    (9, "mild"),
    (14, "moderate"),
    (GAD7_MAX, "severe"),
)
_PHQ9_BANDS: Final = tuple(_band(t, _PHQ9_CUTS) for t in range(PHQ9_MAX + 1))
_GAD7_BANDS: Final = tuple(_band(t, _GAD7_CUTS) for t in range(GAD7_MAX + 1))
# Every possible score, built once. PHQ-9 index: total * 2 + item9_positive.
_PHQ9_SCORES: Final = tuple(
    Phq9Score(total, _PHQ9_BANDS[total], positive)
    for total in range(PHQ9_MAX + 1)
    for positive in (False, True)
)
_GAD7_SCORES: Final = tuple(
    Gad7Score(total, _GAD7_BANDS[total]) for total in range(GAD7_MAX + 1)
)


def _check_items(items: Sequence[object], count: int, name: str) -> None:
    if len(items) != count:
        raise ValueError(f"{name} needs {count} items; got {len(items)}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 3:
            raise ValueError(f"{name} items must be integers from 0 to 3; got {item!r}")


def phq9_score(items: Sequence[int]) -> Phq9Score:
    """PHQ-9 total (0-27), severity band, and whether item 9 (self-harm) is above 0.

    Bands (Kroenke et al. 2001): minimal 0-4, mild 5-9, moderate 10-14,
    moderately_severe 15-19, severe 20-27. Raises ValueError for anything but
    9 integers from 0 to 3.
    """
    _check_items(items, PHQ9_ITEMS, "PHQ-9")
    return _PHQ9_SCORES[sum(items) * 2 + (items[8] > 0)]


def gad7_score(items: Sequence[int]) -> Gad7Score:
    """GAD-7 total (0-21) and band (Spitzer et al. 2006): minimal 0-4, mild 5-9,
    moderate 10-14, severe 15-21. Raises ValueError for anything but 7 integers
    from 0 to 3."""
    _check_items(items, GAD7_ITEMS, "GAD-7")
    return _GAD7_SCORES[sum(items)]


def _risk_of(
    wish_dead: bool | None,
    suicidal_thoughts: bool | None,
    method: bool | None,
    intent: bool | None,
    plan: bool | None,
    behavior_ever: bool | None,
    behavior_past_3_months: bool | None,
) -> CssrsRisk:
    if intent or plan or behavior_past_3_months:
        return "high"
    # Not high, so any behaviour here was not in the past 3 months.
    if method or behavior_ever:
        return "moderate"
    if wish_dead or suicidal_thoughts:
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
    return _risk_of(
        c.wish_dead,
        c.suicidal_thoughts,
        c.method,
        c.intent,
        c.plan,
        c.behavior_ever,
        c.behavior_past_3_months,
    )


# ------------------------------------------------------- what a screener allows
#
# The level depends on the answers only through five facts, each an OR over the
# answers (see _level_of_state):
#   _A   an inpatient criterion other than housing    _I0  an IOP criterion other
#   _MOD PHQ-9 or GAD-7 at or above moderate_min            than persistence
#   _WK  weeks of therapy at or above the minimum     _NS  no safe housing
# Each answer maps to a set of such bits, so for an unanswered question we can list
# every state the other unanswered questions can reach and check whether changing
# the question's answer changes the level in any of them. That is exactly "some
# completion of the unanswered questions under which this answer matters" (see
# _relevant_missing). The result depends on few inputs and is memoised.

_A: Final = 1
_I0: Final = 2
_MOD: Final = 4
_WK: Final = 8
_NS: Final = 16


_RISK_STATE: Final[Mapping[str, int]] = {
    "none": 0,
    "low": 0,
    "moderate": _I0,
    "high": _A | _I0,
}

_Flips = tuple[tuple[str, frozenset[tuple[int, int]]], ...]


@dataclass(frozen=True, slots=True)
class _CssrsInfo:
    """What a (possibly partial) screener allows, over all ways to finish it."""

    ident: int  # unique per analysis: a cheap key for the Facts memo
    answers: tuple[bool | None, ...]  # the screener's answers, in question order
    floor: CssrsRisk
    settled: CssrsRisk | None  # the risk, if every completion gives the same one
    unanswered: bool  # no question answered at all: the whole screener is missing
    states: frozenset[int]  # the level facts (_A/_I0) it can still produce
    varies: bool  # more than one state: an open question may change the level
    flips: _Flips  # per open question: state pairs that answering it can switch


_CSSRS_INFO: dict[tuple[bool | None, ...], _CssrsInfo] = {}
_CSSRS_IDENTS: Final = itertools.count()


def _cssrs_info(c: Cssrs) -> _CssrsInfo:
    # Keyed by a plain tuple: the dataclass's own __hash__/__eq__ are much slower.
    # At most 3**7 distinct screeners.
    key = (
        c.wish_dead,
        c.suicidal_thoughts,
        c.method,
        c.intent,
        c.plan,
        c.behavior_ever,
        c.behavior_past_3_months,
    )
    info = _CSSRS_INFO.get(key)
    if info is None:
        info = _CSSRS_INFO[key] = _analyse_cssrs(c)
    return info


def _analyse_cssrs(c: Cssrs) -> _CssrsInfo:
    """Enumerate every completion of the open questions of a screener.

    1. A question is open when unanswered and it may apply (its parent, if any,
       is not answered "no").
    2. In a completion, an open child counts only when its parent is "yes".
    3. For each open question, record the pairs of level facts that flipping it
       from "no" to "yes" produces in some completion.
    """
    known = {q: getattr(c, q) for q in CSSRS_QUESTIONS}
    open_questions = [
        q
        for q in CSSRS_QUESTIONS
        if known[q] is None and known.get(_CSSRS_PARENT.get(q, ""), True) is not False
    ]

    def risk(choice: Mapping[str, bool]) -> CssrsRisk:
        values = dict(known)
        values.update(choice)
        for child, parent in _CSSRS_PARENT.items():
            if child in choice and values[parent] is not True:
                values[child] = None
        return _risk_of(**values)

    risks: set[CssrsRisk] = set()
    pairs: dict[str, set[tuple[int, int]]] = {q: set() for q in open_questions}
    for bits in itertools.product((False, True), repeat=len(open_questions)):
        choice = dict(zip(open_questions, bits, strict=True))
        here = risk(choice)
        risks.add(here)
        for q in open_questions:
            if not choice[q]:
                there = risk({**choice, q: True})
                pair = (_RISK_STATE[here], _RISK_STATE[there])
                if pair[0] != pair[1]:
                    pairs[q].add(pair)
    return _CssrsInfo(
        ident=next(_CSSRS_IDENTS),
        answers=tuple(known[q] for q in CSSRS_QUESTIONS),
        floor=cssrs_risk(c),
        settled=next(iter(risks)) if len(risks) == 1 else None,
        unanswered=all(v is None for v in known.values()),
        states=frozenset(_RISK_STATE[r] for r in risks),
        varies=len({_RISK_STATE[r] for r in risks}) > 1,
        flips=tuple((f"cssrs.{q}", frozenset(pairs[q])) for q in open_questions),
    )


# -------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules know beyond the raw answers: scores and C-SSRS triage.

    They depend only on the PHQ-9 total and item 9, the GAD-7 total and the
    screener's answers, so each distinct combination is computed once and shared.
    `cssrs_floor` is the lowest C-SSRS risk the answered questions allow (`None`
    when the screener is unanswered): a rule fires only on what is known.
    """

    phq9: Phq9Score | None
    gad7: Gad7Score | None
    cssrs_floor: CssrsRisk | None
    scores: Scores
    safety_notes: tuple[Note, ...]  # the notes that depend on these facts only
    outpatient: Reason  # the outpatient reason depends on these facts only


_FACTS: dict[tuple[int, int, int], Facts] = {}
_FACTS_MAX: Final = 16_384


def _new_facts(key: tuple[int, int, int], info: _CssrsInfo | None) -> Facts:
    """Build and memoise the Facts for key (PHQ-9 index, GAD-7 total, screener)."""
    phq9_index, gad7_index, _ = key
    phq9 = None if phq9_index < 0 else _PHQ9_SCORES[phq9_index]
    gad7 = None if gad7_index < 0 else _GAD7_SCORES[gad7_index]
    floor = None if info is None or info.unanswered else info.floor
    settled = None if info is None else info.settled
    safety_notes = tuple(
        note
        for note, applies in (
            (NOTE_SAFETY_PLAN, floor == "low"),
            (NOTE_PHQ9_ITEM9, phq9 is not None and phq9.item9_positive),
        )
        if applies
    )
    outpatient = outpatient_no_higher_criteria(
        None if phq9 is None else phq9.total,
        None if gad7 is None else gad7.total,
        settled,
    )
    facts = Facts(
        phq9, gad7, floor, Scores(phq9, gad7, settled), safety_notes, outpatient
    )
    if len(_FACTS) >= _FACTS_MAX:
        _FACTS.clear()
    _FACTS[key] = facts
    return facts


# ------------------------------------------------------------------------ the rules

# Enum member lookups are slow in Python 3.11; the hot path uses these names.
_INPATIENT: Final = Level.INPATIENT
_IOP: Final = Level.IOP
_OUTPATIENT: Final = Level.OUTPATIENT

Rule = Callable[[Answers, Facts, Criteria], Reason | None]
"""A rule: the answers, their facts and the thresholds in; a Reason if it fires."""

# Reasons are immutable and depend on a few values, so each distinct one is built
# once (lru_cache) and shared between evaluations; see ReasonValues.
_reason_cache: Final = lru_cache(maxsize=4_096)


@_reason_cache
def _cssrs_high_reason(
    intent: bool | None, plan: bool | None, recent: bool | None
) -> Reason:
    return Reason(
        "RISK_CSSRS_HIGH",
        _INPATIENT,
        "High suicide risk on the C-SSRS screener (suicidal intent, a plan, or "
        "suicidal behaviour in the past 3 months).",
        {
            "cssrs_risk": "high",
            "intent": intent,
            "plan": plan,
            "behavior_past_3_months": recent,
        },
    )


def cssrs_high_risk(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """C-SSRS screener: intent, plan, or suicidal behaviour in the past 3 months."""
    c = answers.cssrs
    if facts.cssrs_floor != "high" or not isinstance(c, Cssrs):
        return None
    return _cssrs_high_reason(c.intent, c.plan, c.behavior_past_3_months)


_HARM_OTHERS_INTENT: Final = Reason(
    "RISK_HARM_OTHERS_INTENT",
    _INPATIENT,
    "Intent to harm others.",
    {"harm_to_others": "intent"},
)


def harm_to_others_intent(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Seed text: risk of harming others."""
    if answers.harm_to_others != "intent":
        return None
    return _HARM_OTHERS_INTENT


_IMPAIRED_JUDGEMENT: Final = Reason(
    "IMPAIRED_JUDGEMENT",
    _INPATIENT,
    "Serious illness with impaired judgement (e.g. psychosis, mania or severe "
    "disorganisation).",
    {"impaired_judgement": True},
)


def impaired_judgement(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Seed text: serious illness with impaired judgement (psychosis, mania)."""
    if answers.impaired_judgement is not True:
        return None
    return _IMPAIRED_JUDGEMENT


_CANNOT_CARE_FOR_SELF: Final = Reason(
    "CANNOT_CARE_FOR_SELF",
    _INPATIENT,
    "Unable to care for self or to live safely at home.",
    {"can_care_for_self": False},
)


def cannot_care_for_self(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Seed text: unable to live safely at home or care for self."""
    if answers.can_care_for_self is not False:
        return None
    return _CANNOT_CARE_FOR_SELF


_MEDICAL_DETOX: Final = Reason(
    "MEDICAL_DETOX",
    _INPATIENT,
    "Needs medically supervised detox.",
    {"needs_medical_detox": True},
)


def medical_detox(answers: Answers, facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: need for medical detox."""
    if answers.needs_medical_detox is not True:
        return None
    return _MEDICAL_DETOX


_MEDICAL_MONITORING_24H: Final = Reason(
    "MEDICAL_MONITORING_24H",
    _INPATIENT,
    "Needs 24-hour medical monitoring.",
    {"needs_24h_medical_monitoring": True},
)


def medical_monitoring_24h(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Seed text: need for 24-hour medical monitoring."""
    if answers.needs_24h_medical_monitoring is not True:
        return None
    return _MEDICAL_MONITORING_24H


@_reason_cache
def _cssrs_moderate_reason(
    method: bool | None, ever: bool | None, recent: bool | None
) -> Reason:
    return Reason(
        "RISK_CSSRS_MODERATE",
        _IOP,
        "Moderate suicide risk on the C-SSRS screener (thought about a method, "
        "or suicidal behaviour in the past).",
        {
            "cssrs_risk": "moderate",
            "method": method,
            "behavior_ever": ever,
            "behavior_past_3_months": recent,
        },
    )


def cssrs_moderate_risk(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """C-SSRS screener: a method, or suicidal behaviour ever but not recently."""
    c = answers.cssrs
    if facts.cssrs_floor != "moderate" or not isinstance(c, Cssrs):
        return None
    return _cssrs_moderate_reason(c.method, c.behavior_ever, c.behavior_past_3_months)


_HARM_OTHERS_THOUGHTS: Final = Reason(
    "RISK_HARM_OTHERS_THOUGHTS",
    _IOP,
    "Thoughts of harming others (without intent).",
    {"harm_to_others": "thoughts"},
)


def harm_to_others_thoughts(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Thoughts (without intent) of harming others."""
    if answers.harm_to_others != "thoughts":
        return None
    return _HARM_OTHERS_THOUGHTS


@_reason_cache
def _phq9_reason(total: int, cut: int) -> Reason:
    band = _PHQ9_BANDS[total].replace("_", " ")
    return Reason(
        "PHQ9_IOP",
        _IOP,
        f"PHQ-9 total {total} ({band}) is at or above the IOP threshold of {cut}.",
        {"phq9_total": total, "threshold": cut},
    )


def phq9_iop(answers: Answers, facts: Facts, criteria: Criteria) -> Reason | None:
    """Moderately severe depressive symptoms: PHQ-9 total at or above the cut."""
    score = facts.phq9
    if score is None or score.total < criteria.phq9_iop_min:
        return None
    return _phq9_reason(score.total, criteria.phq9_iop_min)


@_reason_cache
def _gad7_reason(total: int, cut: int) -> Reason:
    return Reason(
        "GAD7_IOP",
        _IOP,
        f"GAD-7 total {total} ({_GAD7_BANDS[total]}) is at or above the IOP "
        f"threshold of {cut}.",
        {"gad7_total": total, "threshold": cut},
    )


def gad7_iop(answers: Answers, facts: Facts, criteria: Criteria) -> Reason | None:
    """Severe anxiety symptoms: GAD-7 total at or above the cut."""
    score = facts.gad7
    if score is None or score.total < criteria.gad7_iop_min:
        return None
    return _gad7_reason(score.total, criteria.gad7_iop_min)


@_reason_cache
def _persistent_reason(
    phq9: int | None, gad7: int | None, cut: int, weeks: int, min_weeks: int
) -> Reason:
    totals = " and ".join(
        f"{name} {total}"
        for name, total in (("PHQ-9", phq9), ("GAD-7", gad7))
        if total is not None and total >= cut
    )
    return Reason(
        "PERSISTENT_SYMPTOMS",
        _IOP,
        f"Symptoms at or above the moderate cut of {cut} ({totals}) after {weeks} "
        f"weeks of weekly therapy without improvement (threshold {min_weeks} "
        "weeks).",
        {
            "phq9_total": phq9,
            "gad7_total": gad7,
            "moderate_min": cut,
            "weeks": weeks,
            "persistent_weeks_min": min_weeks,
        },
    )


def persistent_symptoms(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Moderate symptoms persisting despite weeks of weekly outpatient therapy."""
    weeks = answers.weeks_weekly_therapy_without_improvement
    if weeks is None or weeks is MISSING or weeks < criteria.persistent_weeks_min:
        return None
    cut = criteria.moderate_min
    phq9 = None if facts.phq9 is None else facts.phq9.total
    gad7 = None if facts.gad7 is None else facts.gad7.total
    if not ((phq9 is not None and phq9 >= cut) or (gad7 is not None and gad7 >= cut)):
        return None
    return _persistent_reason(phq9, gad7, cut, weeks, criteria.persistent_weeks_min)


@_reason_cache
def _step_down_reason(days: int, window: int) -> Reason:
    return Reason(
        "STEP_DOWN_AFTER_DISCHARGE",
        _IOP,
        f"Discharged from inpatient care {days} days ago, within the {window}-day "
        "step-down window.",
        {"days_since_discharge": days, "window_days": window},
    )


def step_down_after_discharge(
    answers: Answers, facts: Facts, criteria: Criteria
) -> Reason | None:
    """Step-down after an inpatient stay, within the window (inclusive)."""
    days = answers.discharged_inpatient_days_ago
    if days is None or days is MISSING or days > criteria.stepdown_window_days:
        return None
    return _step_down_reason(days, criteria.stepdown_window_days)


INPATIENT_RULES: Final[tuple[Rule, ...]] = (
    cssrs_high_risk,
    harm_to_others_intent,
    impaired_judgement,
    cannot_care_for_self,
    medical_detox,
    medical_monitoring_24h,
)
IOP_RULES: Final[tuple[Rule, ...]] = (
    cssrs_moderate_risk,
    harm_to_others_thoughts,
    phq9_iop,
    gad7_iop,
    persistent_symptoms,
    step_down_after_discharge,
)


@_reason_cache
def _housing_reason(iop_codes: tuple[str, ...]) -> Reason:
    return Reason(
        "IOP_WITHOUT_SAFE_HOUSING",
        _INPATIENT,
        "IOP is indicated but there is no safe housing, and IOP needs a safe home.",
        {"safe_housing": False, "iop_reasons": list(iop_codes)},
    )


def iop_without_safe_housing(
    answers: Answers, iop_reasons: Sequence[Reason]
) -> Reason | None:
    """IOP needs a safe home: an IOP indication without safe housing is inpatient."""
    if not iop_reasons or answers.safe_housing is not False:
        return None
    return _housing_reason(tuple(r.code for r in iop_reasons))


@_reason_cache
def outpatient_no_higher_criteria(
    phq9_total: int | None, gad7_total: int | None, cssrs_risk: CssrsRisk | None
) -> Reason:
    """The supporting reason for outpatient: no inpatient or IOP criterion applies."""
    return Reason(
        "OUTPATIENT_NO_HIGHER_CRITERIA",
        _OUTPATIENT,
        "No inpatient or IOP criterion applies: outpatient care (mild symptoms or "
        "maintenance).",
        {"phq9_total": phq9_total, "gad7_total": gad7_total, "cssrs_risk": cssrs_risk},
    )


_REASON_BUILDERS: Final = (
    _cssrs_high_reason,
    _cssrs_moderate_reason,
    _phq9_reason,
    _gad7_reason,
    _persistent_reason,
    _step_down_reason,
    _housing_reason,
    outpatient_no_higher_criteria,
)


NOTE_IOP_SCHEDULE: Final = Note(
    "NOTE_IOP_SCHEDULE",
    "Cannot attend 3 or more days a week: consider an evening or virtual IOP schedule.",
)
NOTE_SAFETY_PLAN: Final = Note(
    "NOTE_SAFETY_PLAN",
    "Low suicide risk on the C-SSRS screener: a safety plan is recommended.",
)
NOTE_SUPPORT: Final = Note(
    "NOTE_SUPPORT",
    "No support at home: involve family or other supports, or refer to social work.",
)
NOTE_PHQ9_ITEM9: Final = Note(
    "NOTE_PHQ9_ITEM9",
    "PHQ-9 item 9: thoughts of death or self-harm reported; the C-SSRS screener is "
    "required.",
)
NOTE_NO_SAFE_HOUSING: Final = Note(
    "NOTE_NO_SAFE_HOUSING",
    "No safe housing: address housing (e.g. a social work referral).",
)


def _notes(
    answers: Answers, facts: Facts, iop_indicated: bool, level: Level | None
) -> tuple[Note, ...]:
    """Notes, safety first, in a fixed order. They never change the level.

    The IOP schedule note is for an IOP indication that is not already inpatient.
    """
    notes = facts.safety_notes
    if (
        iop_indicated
        and level is not _INPATIENT
        and answers.can_attend_3_days_week is False
    ):
        notes += (NOTE_IOP_SCHEDULE,)
    if answers.support_at_home is False:
        notes += (NOTE_SUPPORT,)
    if answers.safe_housing is False and not iop_indicated:
        notes += (NOTE_NO_SAFE_HOUSING,)
    return notes


# ------------------------------------------------------------- missing information


def _level_of_state(state: int) -> Level:
    iop = bool(state & _I0) or (bool(state & _MOD) and bool(state & _WK))
    if state & _A or (iop and state & _NS):
        return Level.INPATIENT
    return Level.IOP if iop else Level.OUTPATIENT


_LEVEL_OF_STATE: Final = tuple(_level_of_state(s) for s in range(32))


_OPEN_CSSRS: Final = 1 << 0
_OPEN_HARM: Final = 1 << 1
_OPEN_PHQ9: Final = 1 << 2
_OPEN_GAD7: Final = 1 << 3
_OPEN_IMPAIRED: Final = 1 << 4
_OPEN_CARE: Final = 1 << 5
_OPEN_SAFE_HOUSING: Final = 1 << 6
_OPEN_DETOX: Final = 1 << 7
_OPEN_MONITORING: Final = 1 << 8
_OPEN_DAYS: Final = 1 << 9
_OPEN_WEEKS: Final = 1 << 10


def _pairs(states: frozenset[int]) -> frozenset[tuple[int, int]]:
    return frozenset((x, y) for x in states for y in states if x != y)


_WHOLE_CSSRS_STATES: Final = frozenset({0, _I0, _A | _I0})
_HARM_STATES: Final = frozenset({0, _I0, _A | _I0})
_FLAG_A_STATES: Final = frozenset({0, _A})


@lru_cache(maxsize=16_384)
def _relevant_missing(
    p: int,
    g: int,
    m: int,
    known: int,
    open_bits: int,
    partial_cssrs: tuple[bool | None, ...] | None,
) -> tuple[str, ...]:
    """The unanswered questions that can change the level, in contract order.

    `p`, `g`, `m` are the PHQ-9, GAD-7 and moderate cuts (the other criteria do
    not change which states an answer can reach), `known` holds the level facts
    of the answered questions, `open_bits` the unanswered ones, `partial_cssrs`
    the answers of a screener with some questions unanswered. Plain ints and
    tuples keep the memo lookup cheap.
    """
    # An unanswered instrument also keeps the state 0 ("not scored"): with a cut
    # of 0 every answered total would fire, and we must not assume an answer.
    phq9_states = frozenset(
        (_I0 if t >= p else 0) | (_MOD if t >= m else 0) for t in range(PHQ9_MAX + 1)
    ) | {0}
    gad7_states = frozenset(
        (_I0 if t >= g else 0) | (_MOD if t >= m else 0) for t in range(GAD7_MAX + 1)
    ) | {0}
    # None (does not apply) or days beyond the window give 0; 0..window give _I0.
    days_states = frozenset({0, _I0})
    weeks_states = frozenset({0, _WK})

    unknowns: list[tuple[frozenset[int], _Flips]] = []

    def add(bit: int, name: str, states: frozenset[int]) -> None:
        if open_bits & bit:
            unknowns.append((states, ((name, _pairs(states)),)))

    add(_OPEN_CSSRS, "cssrs", _WHOLE_CSSRS_STATES)
    if partial_cssrs is not None:
        info = _cssrs_info(Cssrs(*partial_cssrs))
        unknowns.append((info.states, info.flips))
    add(_OPEN_HARM, "harm_to_others", _HARM_STATES)
    add(_OPEN_PHQ9, "phq9", phq9_states)
    add(_OPEN_GAD7, "gad7", gad7_states)
    add(_OPEN_IMPAIRED, "impaired_judgement", _FLAG_A_STATES)
    add(_OPEN_CARE, "can_care_for_self", _FLAG_A_STATES)
    add(_OPEN_SAFE_HOUSING, "safe_housing", frozenset({0, _NS}))
    add(_OPEN_DETOX, "needs_medical_detox", _FLAG_A_STATES)
    add(_OPEN_MONITORING, "needs_24h_medical_monitoring", _FLAG_A_STATES)
    add(_OPEN_DAYS, "discharged_inpatient_days_ago", days_states)
    add(_OPEN_WEEKS, "weeks_weekly_therapy_without_improvement", weeks_states)

    relevant: list[str] = []
    for i, (_, flips) in enumerate(unknowns):
        reachable = {known}
        for j, (states, _) in enumerate(unknowns):
            if j != i:
                reachable = {r | s for r in reachable for s in states}
        for name, pairs in flips:
            if any(
                _LEVEL_OF_STATE[r | x] != _LEVEL_OF_STATE[r | y]
                for r in reachable
                for x, y in pairs
            ):
                relevant.append(name)
    return tuple(relevant)


def _missing(
    a: Answers,
    facts: Facts,
    info: _CssrsInfo | None,
    criteria: Criteria,
    iop_indicated: bool,
) -> tuple[str, ...]:
    """Unanswered questions that could change a level that is not inpatient."""
    days = a.discharged_inpatient_days_ago
    weeks = a.weeks_weekly_therapy_without_improvement
    # Fast path: everything that can matter is answered (the common case).
    if not (
        info is None
        or info.varies
        or a.harm_to_others is MISSING
        or a.phq9 is MISSING
        or a.gad7 is MISSING
        or a.impaired_judgement is MISSING
        or a.can_care_for_self is MISSING
        or a.safe_housing is MISSING
        or a.needs_medical_detox is MISSING
        or a.needs_24h_medical_monitoring is MISSING
        or days is MISSING
        or weeks is MISSING
    ):
        return ()
    open_bits = 0
    partial: tuple[bool | None, ...] | None = None
    if info is None or info.unanswered:
        open_bits |= _OPEN_CSSRS
    elif info.varies:
        partial = info.answers
    if a.harm_to_others is MISSING:
        open_bits |= _OPEN_HARM
    if facts.phq9 is None:
        open_bits |= _OPEN_PHQ9
    if facts.gad7 is None:
        open_bits |= _OPEN_GAD7
    if a.impaired_judgement is MISSING:
        open_bits |= _OPEN_IMPAIRED
    if a.can_care_for_self is MISSING:
        open_bits |= _OPEN_CARE
    if a.safe_housing is MISSING:
        open_bits |= _OPEN_SAFE_HOUSING
    if a.needs_medical_detox is MISSING:
        open_bits |= _OPEN_DETOX
    if a.needs_24h_medical_monitoring is MISSING:
        open_bits |= _OPEN_MONITORING
    if days is MISSING:
        open_bits |= _OPEN_DAYS
    if weeks is MISSING:
        open_bits |= _OPEN_WEEKS
    if not open_bits and partial is None:
        return ()

    # Not inpatient, so no _A fact is known; the others come from the answers.
    cut = criteria.moderate_min
    known = _I0 if iop_indicated else 0
    if (facts.phq9 is not None and facts.phq9.total >= cut) or (
        facts.gad7 is not None and facts.gad7.total >= cut
    ):
        known |= _MOD
    if isinstance(weeks, int) and weeks >= criteria.persistent_weeks_min:
        known |= _WK
    if a.safe_housing is False:
        known |= _NS
    return _relevant_missing(
        criteria.phq9_iop_min, criteria.gad7_iop_min, cut, known, open_bits, partial
    )


def clear_caches() -> None:
    """Forget every memoised score, reason and analysis (benchmarks, tests)."""
    _FACTS.clear()
    _CSSRS_INFO.clear()
    for builder in _REASON_BUILDERS:
        builder.cache_clear()
    _relevant_missing.cache_clear()


# ------------------------------------------------------------------------ evaluate

# Frozen dataclasses set each field through object.__setattr__, which is slow;
# evaluate() builds its result through the slot descriptors instead. Same object,
# about twice as fast (bench/rules_bench.py).
_new = object.__new__
_set_level = getattr(Recommendation, "level").__set__  # noqa: B009
_set_reasons = getattr(Recommendation, "reasons").__set__  # noqa: B009
_set_missing = getattr(Recommendation, "missing").__set__  # noqa: B009
_set_notes = getattr(Recommendation, "notes").__set__  # noqa: B009
_set_scores = getattr(Recommendation, "scores").__set__  # noqa: B009


def evaluate(answers: Answers, criteria: Criteria) -> Recommendation:
    """Recommend a level of care for `answers` under `criteria`, with reasons.

    1. Score the instruments (once per distinct result); run every rule on what
       is known.
    2. Any inpatient reason: `inpatient` (`missing` stays empty).
    3. Else list the unanswered questions that could change the level; if any,
       the level is `None` (the reasons already established are kept).
    4. Else `iop` if an IOP reason fired, or `outpatient` with its own reason.
    5. Add notes; they never change the level.
    """
    c = answers.cssrs
    info = None if c is MISSING else _cssrs_info(c)
    # Answers are trusted (validated when built), so score without re-checking.
    p = answers.phq9
    g = answers.gad7
    key = (
        -1 if p is MISSING else sum(p) * 2 + (p[8] > 0),
        -1 if g is MISSING else sum(g),
        -1 if info is None else info.ident,
    )
    facts = _FACTS.get(key) or _new_facts(key, info)

    reasons = []
    for rule in INPATIENT_RULES:
        reason = rule(answers, facts, criteria)
        if reason is not None:
            reasons.append(reason)
    iop = []
    for rule in IOP_RULES:
        reason = rule(answers, facts, criteria)
        if reason is not None:
            iop.append(reason)
    if iop:
        housing = iop_without_safe_housing(answers, iop)
        if housing is not None:
            reasons.append(housing)

    iop_indicated = bool(iop)
    missing: tuple[str, ...] = ()
    level: Level | None
    if reasons:
        level = _INPATIENT
    else:
        missing = _missing(answers, facts, info, criteria, iop_indicated)
        if missing:
            level = None
        elif iop:
            level = _IOP
        else:
            level = _OUTPATIENT
            reasons.append(facts.outpatient)
    if iop:
        reasons += iop

    rec = _new(Recommendation)
    _set_level(rec, level)
    _set_reasons(rec, tuple(reasons))
    _set_missing(rec, missing)
    _set_notes(rec, _notes(answers, facts, iop_indicated, level))
    _set_scores(rec, facts.scores)
    return rec


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


# ------------------------------------------------------------ answers <-> JSON dict


class AnswersError(ValueError):
    """Invalid answers. `errors` maps a field path to human-readable messages.

    Paths: "phq9", "phq9[3]" (0-based item), "cssrs.intent", "harm_to_others", and
    "__all__" for the shape of the whole object.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [
            f"{path}: {message}" if path != "__all__" else message
            for path, messages in self.errors.items()
            for message in messages
        ]
        return "invalid answers: " + "; ".join(parts)

    def __str__(self) -> str:
        return self._summary()


def _show(value: object) -> str:
    """A value as the person who sent JSON would recognise it."""
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Collector:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


_T = TypeVar("_T")


def _builder(cls: type[_T]) -> Callable[[Mapping[str, Any]], _T]:
    """A fast constructor from a mapping for a frozen slots dataclass.

    The generated __init__ of a frozen dataclass sets every field through
    object.__setattr__, which is slow; this sets the slots directly, with each
    field's default when absent. Only for classes without __post_init__ or
    default factories (Answers, Cssrs).
    """
    slots = tuple(
        (f.name, getattr(cls, f.name).__set__, f.default)
        for f in fields(cls)  # type: ignore[arg-type]
    )
    new = object.__new__

    def build(values: Mapping[str, Any]) -> _T:
        obj = new(cls)
        for name, set_slot, default in slots:
            set_slot(obj, values.get(name, default))
        return obj

    return build


_new_answers: Final = _builder(Answers)
_new_cssrs: Final = _builder(Cssrs)


def _parse_bool(value: object, path: str, out: _Collector) -> bool | Missing:
    if value is True or value is False:
        return value
    out.add(path, f"must be true or false; got {_show(value)}")
    return MISSING


_ITEM_VALUES: Final = frozenset({0, 1, 2, 3})
_INT: Final = frozenset({int})


def _parse_items(
    value: object, path: str, count: int, out: _Collector
) -> tuple[int, ...] | Missing:
    # Fast path for the usual valid list; the checks below explain any failure.
    if (
        isinstance(value, list | tuple)
        and len(value) == count
        and set(map(type, value)) <= _INT
        and set(value) <= _ITEM_VALUES
    ):
        return tuple(value)
    expected = f"must be a list of {count} integers from 0 to 3"
    if not isinstance(value, list | tuple):
        out.add(path, f"{expected}; got {_show(value)}")
        return MISSING
    if len(value) != count:
        n = len(value)
        out.add(path, f"{expected}; got {n} item{'' if n == 1 else 's'}")
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int):
            message = f"item {i + 1} must be an integer; got {_show(item)}"
            out.add(f"{path}[{i}]", message)
        elif not 0 <= item <= 3:
            out.add(f"{path}[{i}]", f"item {i + 1} must be from 0 to 3; got {item}")
    return MISSING


def _parse_phq9(value: object, path: str, out: _Collector) -> tuple[int, ...] | Missing:
    return _parse_items(value, path, PHQ9_ITEMS, out)


def _parse_gad7(value: object, path: str, out: _Collector) -> tuple[int, ...] | Missing:
    return _parse_items(value, path, GAD7_ITEMS, out)


def _parse_harm(value: object, path: str, out: _Collector) -> str | Missing:
    if isinstance(value, str) and value in HARM_TO_OTHERS_CHOICES:
        return value
    choices = ", ".join(json.dumps(c) for c in HARM_TO_OTHERS_CHOICES)
    out.add(path, f"must be one of {choices}; got {_show(value)}")
    return MISSING


def _parse_history(value: object, path: str, out: _Collector) -> int | Missing | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    out.add(path, f"must be a whole number >= 0, or null; got {_show(value)}")
    return MISSING


_CSSRS_KEYS: Final = frozenset(CSSRS_QUESTIONS)


def _skips_ok(c: Cssrs) -> bool:
    """Questions 3-5 need yes to question 2; question 6b needs yes to question 6."""
    return (c.suicidal_thoughts is True or not (c.method or c.intent or c.plan)) and (
        c.behavior_ever is True or not c.behavior_past_3_months
    )


def _parse_cssrs(value: object, path: str, out: _Collector) -> Cssrs | Missing:
    if not isinstance(value, dict):
        out.add(path, f"must be an object of C-SSRS answers; got {_show(value)}")
        return MISSING
    # Fast path for the usual valid screener; the checks below explain failures.
    if value.keys() <= _CSSRS_KEYS and all(
        a is None or a is True or a is False for a in value.values()
    ):
        screener = _new_cssrs(value)
        if _skips_ok(screener):
            return screener
    answers: dict[str, bool | None] = {}
    for key, answer in value.items():
        where = f"{path}.{key}"
        if key not in _CSSRS_KEYS:
            out.add(where, "unknown field")
        elif answer is None or isinstance(answer, bool):
            answers[key] = answer
        else:
            out.add(where, f"must be true, false or null; got {_show(answer)}")
    for child, parent in _CSSRS_PARENT.items():
        if answers.get(child) is True and answers.get(parent) is not True:
            hint = (
                "questions 3-5 apply only after yes to question 2"
                if parent == "suicidal_thoughts"
                else "question 6b applies only after yes to question 6"
            )
            out.add(
                f"{path}.{child}",
                f"must not be true when {parent} is not true ({hint})",
            )
    return MISSING


_Parser = Callable[[object, str, _Collector], object]
_PARSERS: Final[Mapping[object, _Parser]] = {
    "cssrs": _parse_cssrs,
    "harm_to_others": _parse_harm,
    "phq9": _parse_phq9,
    "gad7": _parse_gad7,
    **dict.fromkeys(_BOOL_KEYS, _parse_bool),
    **dict.fromkeys(_HISTORY_KEYS, _parse_history),
}


# Fast path for valid answers (the impact preview parses 100,000 of them): exact
# type checks only, and the slots of new objects are set directly. It answers
# None whenever anything is unusual (a subclass, an unknown key, a wrong value),
# and `answers_from_dict` then runs the full validator, which alone explains
# errors. So it may only accept what the full validator accepts, building the
# very same values; tests/levelofcare/test_answers_fast_path.py checks that.
_ABSENT: Final = object()  # not MISSING: a MISSING *value* must fail validation
_ANSWER_KEY_SET: Final = frozenset(ANSWER_KEYS)
_HARM_CHOICE_SET: Final = frozenset(HARM_TO_OTHERS_CHOICES)
_object_new: Final = object.__new__


def _slot_setters(cls: type, names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(cls, name).__set__ for name in names)


(
    _set_wish_dead,
    _set_suicidal_thoughts,
    _set_method,
    _set_intent,
    _set_plan,
    _set_behavior_ever,
    _set_behavior_past_3_months,
) = _slot_setters(Cssrs, CSSRS_QUESTIONS)
(
    _set_cssrs,
    _set_harm_to_others,
    _set_phq9,
    _set_gad7,
    _set_discharged_inpatient_days_ago,
    _set_weeks_weekly_therapy_without_improvement,
) = _slot_setters(Answers, ("cssrs", "harm_to_others", "phq9", "gad7", *_HISTORY_KEYS))
# (answer key, slot setter) of the yes/no questions, in contract order.
_BOOL_SETTERS: Final = tuple(
    zip(_BOOL_KEYS, _slot_setters(Answers, _BOOL_KEYS), strict=True)
)


def _fast_answers(data: object) -> Answers | None:
    """`Answers` if `data` is plainly valid; None when undecided (maybe invalid).

    Written out field by field, without helper calls or loops: it runs once per
    stored assessment in the impact preview, and every call counts there.
    """
    if type(data) is not dict or not data.keys() <= _ANSWER_KEY_SET:
        return None
    absent = _ABSENT
    get = data.get
    answers: Answers = _object_new(Answers)

    value = get("cssrs", absent)
    if value is absent:
        _set_cssrs(answers, MISSING)
    else:
        if type(value) is not dict or not value.keys() <= _CSSRS_KEYS:
            return None
        get_answer = value.get
        wish = get_answer("wish_dead")
        thoughts = get_answer("suicidal_thoughts")
        method = get_answer("method")
        intent = get_answer("intent")
        plan = get_answer("plan")
        ever = get_answer("behavior_ever")
        recent = get_answer("behavior_past_3_months")
        # Each answer is None, True or False (by identity), and the skip logic
        # holds: questions 3-5 need yes to question 2, 6b needs yes to 6.
        yes_2 = thoughts is True
        yes_6 = ever is True
        if not (
            (wish is None or wish is True or wish is False)
            and (thoughts is None or yes_2 or thoughts is False)
            and (method is None or method is False or (yes_2 and method is True))
            and (intent is None or intent is False or (yes_2 and intent is True))
            and (plan is None or plan is False or (yes_2 and plan is True))
            and (ever is None or yes_6 or ever is False)
            and (recent is None or recent is False or (yes_6 and recent is True))
        ):
            return None
        screener: Cssrs = _object_new(Cssrs)
        _set_wish_dead(screener, wish)
        _set_suicidal_thoughts(screener, thoughts)
        _set_method(screener, method)
        _set_intent(screener, intent)
        _set_plan(screener, plan)
        _set_behavior_ever(screener, ever)
        _set_behavior_past_3_months(screener, recent)
        _set_cssrs(answers, screener)

    value = get("harm_to_others", absent)
    if value is absent:
        value = MISSING
    elif type(value) is not str or value not in _HARM_CHOICE_SET:
        return None
    _set_harm_to_others(answers, value)

    # Item types first: True == 1 and 1.0 == 1 would pass the value check alone.
    # (Unpacked and compared one by one: twice as fast as a set of the types.)
    value = get("phq9", absent)
    if value is absent:
        _set_phq9(answers, MISSING)
    elif type(value) is list and len(value) == PHQ9_ITEMS:
        i1, i2, i3, i4, i5, i6, i7, i8, i9 = value
        if not (
            type(i1)
            is type(i2)
            is type(i3)
            is type(i4)
            is type(i5)
            is type(i6)
            is type(i7)
            is type(i8)
            is type(i9)
            is int
            and _ITEM_VALUES.issuperset(value)
        ):
            return None
        _set_phq9(answers, (i1, i2, i3, i4, i5, i6, i7, i8, i9))
    else:
        return None

    value = get("gad7", absent)
    if value is absent:
        _set_gad7(answers, MISSING)
    elif type(value) is list and len(value) == GAD7_ITEMS:
        i1, i2, i3, i4, i5, i6, i7 = value
        if not (
            type(i1)
            is type(i2)
            is type(i3)
            is type(i4)
            is type(i5)
            is type(i6)
            is type(i7)
            is int
            and _ITEM_VALUES.issuperset(value)
        ):
            return None
        _set_gad7(answers, (i1, i2, i3, i4, i5, i6, i7))
    else:
        return None

    for key, set_value in _BOOL_SETTERS:
        value = get(key, absent)
        if value is not True and value is not False:
            if value is not absent:
                return None
            value = MISSING
        set_value(answers, value)

    value = get("discharged_inpatient_days_ago", absent)
    if value is absent:
        value = MISSING
    elif value is not None and (type(value) is not int or value < 0):
        return None
    _set_discharged_inpatient_days_ago(answers, value)

    value = get("weeks_weekly_therapy_without_improvement", absent)
    if value is absent:
        value = MISSING
    elif value is not None and (type(value) is not int or value < 0):
        return None
    _set_weeks_weekly_therapy_without_improvement(answers, value)
    return answers


def answers_from_dict(data: object) -> Answers:
    """Validate contract answers JSON (already decoded) and build `Answers`.

    Strict: unknown keys, wrong types (a bool is not an integer and an integer is
    not a bool) and out-of-range values are errors, never dropped or clamped.
    Every error is collected; raises `AnswersError` if there is any.
    """
    answers = _fast_answers(data)
    if answers is not None:
        return answers
    return _validate_answers(data)


def _validate_answers(data: object) -> Answers:
    """The full validator behind `answers_from_dict`: explains every error."""
    if not isinstance(data, dict):
        raise AnswersError(
            {"__all__": [f"answers must be a JSON object; got {_show(data)}"]}
        )
    out = _Collector()
    values: dict[str, Any] = {}
    for key, value in data.items():
        parse = _PARSERS.get(key)
        if parse is None:
            out.add(str(key), "unknown field")
        else:
            values[key] = parse(value, key, out)
    if out.errors:
        raise AnswersError(out.errors)
    return _new_answers(values)


def answers_to_dict(answers: Answers) -> dict[str, object]:
    """The contract JSON for `answers`: unanswered keys are left out.

    Inside the screener, unanswered (`None`) questions are left out too, so an
    explicit `null` in the input does not survive a round trip.
    """
    out: dict[str, object] = {}
    for key in ANSWER_KEYS:
        value = getattr(answers, key)
        if value is MISSING:
            continue
        if isinstance(value, Cssrs):
            out[key] = {
                q: v for q in CSSRS_QUESTIONS if (v := getattr(value, q)) is not None
            }
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out
