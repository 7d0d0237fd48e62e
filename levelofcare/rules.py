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
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from functools import lru_cache
from typing import Final, Literal, NoReturn

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


# ------------------------------------------------------------------------ the rules

# Enum member lookups are slow in Python 3.11; the hot path uses these names.
_INPATIENT: Final = Level.INPATIENT
_IOP: Final = Level.IOP
_OUTPATIENT: Final = Level.OUTPATIENT


@dataclass(slots=True)
class Facts:
    """What the rules read: the answers plus scores computed once per evaluation.

    `cssrs_floor` is the lowest C-SSRS risk the answered questions allow (`None`
    when the screener is unanswered), so a rule fires only on what is known.
    """

    answers: Answers
    phq9: Phq9Score | None
    gad7: Gad7Score | None
    cssrs_floor: CssrsRisk | None


Rule = Callable[[Facts, Criteria], Reason | None]

# Reasons are immutable and depend on a few numbers, so each distinct one is built
# once and shared between evaluations (see ReasonValues).
_REASONS: dict[tuple[object, ...], Reason] = {}
_REASONS_MAX: Final = 16_384


def _reason(key: tuple[object, ...], build: Callable[[], Reason]) -> Reason:
    reason = _REASONS.get(key)
    if reason is None:
        if len(_REASONS) >= _REASONS_MAX:
            _REASONS.clear()
        reason = _REASONS[key] = build()
    return reason


def cssrs_high_risk(facts: Facts, criteria: Criteria) -> Reason | None:
    """C-SSRS screener: intent, plan, or suicidal behaviour in the past 3 months."""
    c = facts.answers.cssrs
    if facts.cssrs_floor != "high" or not isinstance(c, Cssrs):
        return None
    key = ("RISK_CSSRS_HIGH", c.intent, c.plan, c.behavior_past_3_months)
    return _reason(
        key,
        lambda: Reason(
            "RISK_CSSRS_HIGH",
            _INPATIENT,
            "High suicide risk on the C-SSRS screener (suicidal intent, a plan, or "
            "suicidal behaviour in the past 3 months).",
            {
                "cssrs_risk": "high",
                "intent": c.intent,
                "plan": c.plan,
                "behavior_past_3_months": c.behavior_past_3_months,
            },
        ),
    )


_HARM_OTHERS_INTENT: Final = Reason(
    "RISK_HARM_OTHERS_INTENT",
    _INPATIENT,
    "Intent to harm others.",
    {"harm_to_others": "intent"},
)


def harm_to_others_intent(facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: risk of harming others."""
    if facts.answers.harm_to_others != "intent":
        return None
    return _HARM_OTHERS_INTENT


_IMPAIRED_JUDGEMENT: Final = Reason(
    "IMPAIRED_JUDGEMENT",
    _INPATIENT,
    "Serious illness with impaired judgement (e.g. psychosis, mania or severe "
    "disorganisation).",
    {"impaired_judgement": True},
)


def impaired_judgement(facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: serious illness with impaired judgement (psychosis, mania)."""
    if facts.answers.impaired_judgement is not True:
        return None
    return _IMPAIRED_JUDGEMENT


_CANNOT_CARE_FOR_SELF: Final = Reason(
    "CANNOT_CARE_FOR_SELF",
    _INPATIENT,
    "Unable to care for self or to live safely at home.",
    {"can_care_for_self": False},
)


def cannot_care_for_self(facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: unable to live safely at home or care for self."""
    if facts.answers.can_care_for_self is not False:
        return None
    return _CANNOT_CARE_FOR_SELF


_MEDICAL_DETOX: Final = Reason(
    "MEDICAL_DETOX",
    _INPATIENT,
    "Needs medically supervised detox.",
    {"needs_medical_detox": True},
)


def medical_detox(facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: need for medical detox."""
    if facts.answers.needs_medical_detox is not True:
        return None
    return _MEDICAL_DETOX


_MEDICAL_MONITORING_24H: Final = Reason(
    "MEDICAL_MONITORING_24H",
    _INPATIENT,
    "Needs 24-hour medical monitoring.",
    {"needs_24h_medical_monitoring": True},
)


def medical_monitoring_24h(facts: Facts, criteria: Criteria) -> Reason | None:
    """Seed text: need for 24-hour medical monitoring."""
    if facts.answers.needs_24h_medical_monitoring is not True:
        return None
    return _MEDICAL_MONITORING_24H


def cssrs_moderate_risk(facts: Facts, criteria: Criteria) -> Reason | None:
    """C-SSRS screener: a method, or suicidal behaviour ever but not recently."""
    c = facts.answers.cssrs
    if facts.cssrs_floor != "moderate" or not isinstance(c, Cssrs):
        return None
    key = ("RISK_CSSRS_MODERATE", c.method, c.behavior_ever, c.behavior_past_3_months)
    return _reason(
        key,
        lambda: Reason(
            "RISK_CSSRS_MODERATE",
            _IOP,
            "Moderate suicide risk on the C-SSRS screener (thought about a method, "
            "or suicidal behaviour in the past).",
            {
                "cssrs_risk": "moderate",
                "method": c.method,
                "behavior_ever": c.behavior_ever,
                "behavior_past_3_months": c.behavior_past_3_months,
            },
        ),
    )


_HARM_OTHERS_THOUGHTS: Final = Reason(
    "RISK_HARM_OTHERS_THOUGHTS",
    _IOP,
    "Thoughts of harming others (without intent).",
    {"harm_to_others": "thoughts"},
)


def harm_to_others_thoughts(facts: Facts, criteria: Criteria) -> Reason | None:
    """Thoughts (without intent) of harming others."""
    if facts.answers.harm_to_others != "thoughts":
        return None
    return _HARM_OTHERS_THOUGHTS


def phq9_iop(facts: Facts, criteria: Criteria) -> Reason | None:
    """Moderately severe depressive symptoms: PHQ-9 total at or above the cut."""
    score = facts.phq9
    cut = criteria.phq9_iop_min
    if score is None or score.total < cut:
        return None
    return _reason(
        ("PHQ9_IOP", score.total, cut),
        lambda: Reason(
            "PHQ9_IOP",
            _IOP,
            f"PHQ-9 total {score.total} ({score.band.replace('_', ' ')}) is at or "
            f"above the IOP threshold of {cut}.",
            {"phq9_total": score.total, "threshold": cut},
        ),
    )


def gad7_iop(facts: Facts, criteria: Criteria) -> Reason | None:
    """Severe anxiety symptoms: GAD-7 total at or above the cut."""
    score = facts.gad7
    cut = criteria.gad7_iop_min
    if score is None or score.total < cut:
        return None
    return _reason(
        ("GAD7_IOP", score.total, cut),
        lambda: Reason(
            "GAD7_IOP",
            _IOP,
            f"GAD-7 total {score.total} ({score.band}) is at or above the IOP "
            f"threshold of {cut}.",
            {"gad7_total": score.total, "threshold": cut},
        ),
    )


def persistent_symptoms(facts: Facts, criteria: Criteria) -> Reason | None:
    """Moderate symptoms persisting despite weeks of weekly outpatient therapy."""
    weeks = facts.answers.weeks_weekly_therapy_without_improvement
    min_weeks = criteria.persistent_weeks_min
    if not isinstance(weeks, int) or weeks < min_weeks:
        return None
    cut = criteria.moderate_min
    phq9 = None if facts.phq9 is None else facts.phq9.total
    gad7 = None if facts.gad7 is None else facts.gad7.total
    if not ((phq9 is not None and phq9 >= cut) or (gad7 is not None and gad7 >= cut)):
        return None

    def build() -> Reason:
        totals = " and ".join(
            f"{name} {total}"
            for name, total in (("PHQ-9", phq9), ("GAD-7", gad7))
            if total is not None and total >= cut
        )
        return Reason(
            "PERSISTENT_SYMPTOMS",
            _IOP,
            f"Symptoms at or above the moderate cut of {cut} ({totals}) after "
            f"{weeks} weeks of weekly therapy without improvement (threshold "
            f"{min_weeks} weeks).",
            {
                "phq9_total": phq9,
                "gad7_total": gad7,
                "moderate_min": cut,
                "weeks": weeks,
                "persistent_weeks_min": min_weeks,
            },
        )

    return _reason(("PERSISTENT_SYMPTOMS", phq9, gad7, cut, weeks, min_weeks), build)


def step_down_after_discharge(facts: Facts, criteria: Criteria) -> Reason | None:
    """Step-down after an inpatient stay, within the window (inclusive)."""
    days = facts.answers.discharged_inpatient_days_ago
    window = criteria.stepdown_window_days
    if not isinstance(days, int) or days > window:
        return None
    return _reason(
        ("STEP_DOWN_AFTER_DISCHARGE", days, window),
        lambda: Reason(
            "STEP_DOWN_AFTER_DISCHARGE",
            _IOP,
            f"Discharged from inpatient care {days} days ago, within the "
            f"{window}-day step-down window.",
            {"days_since_discharge": days, "window_days": window},
        ),
    )


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


def iop_without_safe_housing(
    facts: Facts, iop_reasons: Sequence[Reason]
) -> Reason | None:
    """IOP needs a safe home: an IOP indication without safe housing is inpatient."""
    if not iop_reasons or facts.answers.safe_housing is not False:
        return None
    codes = tuple(r.code for r in iop_reasons)
    return _reason(
        ("IOP_WITHOUT_SAFE_HOUSING", codes),
        lambda: Reason(
            "IOP_WITHOUT_SAFE_HOUSING",
            _INPATIENT,
            "IOP is indicated but there is no safe housing, and IOP needs a safe home.",
            {"safe_housing": False, "iop_reasons": list(codes)},
        ),
    )


def outpatient_no_higher_criteria(facts: Facts, cssrs_risk: CssrsRisk | None) -> Reason:
    """The supporting reason for outpatient: no inpatient or IOP criterion applies."""
    phq9 = None if facts.phq9 is None else facts.phq9.total
    gad7 = None if facts.gad7 is None else facts.gad7.total
    return _reason(
        ("OUTPATIENT_NO_HIGHER_CRITERIA", phq9, gad7, cssrs_risk),
        lambda: Reason(
            "OUTPATIENT_NO_HIGHER_CRITERIA",
            _OUTPATIENT,
            "No inpatient or IOP criterion applies: outpatient care (mild symptoms "
            "or maintenance).",
            {"phq9_total": phq9, "gad7_total": gad7, "cssrs_risk": cssrs_risk},
        ),
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


def _notes(facts: Facts, iop_indicated: bool, level: Level | None) -> tuple[Note, ...]:
    """Notes in a fixed order. They never change the level.

    The IOP schedule note is for an IOP indication that is not already inpatient.
    """
    a = facts.answers
    notes: list[Note] = []
    if iop_indicated and level is not _INPATIENT and a.can_attend_3_days_week is False:
        notes.append(NOTE_IOP_SCHEDULE)
    if facts.cssrs_floor == "low":
        notes.append(NOTE_SAFETY_PLAN)
    if a.support_at_home is False:
        notes.append(NOTE_SUPPORT)
    if facts.phq9 is not None and facts.phq9.item9_positive:
        notes.append(NOTE_PHQ9_ITEM9)
    if a.safe_housing is False and not iop_indicated:
        notes.append(NOTE_NO_SAFE_HOUSING)
    return tuple(notes) if notes else ()


# ------------------------------------------------------------- missing information
#
# The level depends on the answers only through five facts, each an OR over the
# answers (see _level_of_state):
#   _A   an inpatient criterion other than housing    _I0  an IOP criterion other
#   _MOD PHQ-9 or GAD-7 at or above moderate_min            than persistence
#   _WK  weeks of therapy at or above the minimum     _NS  no safe housing
# Each answer maps to a set of such bits, so for an unanswered question we can list
# every state the other unanswered questions can reach and check whether changing
# the question's answer changes the level in any of them. That is exactly "some
# completion of the unanswered questions under which this answer matters". The
# result depends on few inputs and is memoised.

_A: Final = 1
_I0: Final = 2
_MOD: Final = 4
_WK: Final = 8
_NS: Final = 16


def _level_of_state(state: int) -> Level:
    iop = bool(state & _I0) or (bool(state & _MOD) and bool(state & _WK))
    if state & _A or (iop and state & _NS):
        return Level.INPATIENT
    return Level.IOP if iop else Level.OUTPATIENT


_LEVEL_OF_STATE: Final = tuple(_level_of_state(s) for s in range(32))
_RISK_STATE: Final[Mapping[str, int]] = {
    "none": 0,
    "low": 0,
    "moderate": _I0,
    "high": _A | _I0,
}

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

_Flips = tuple[tuple[str, frozenset[tuple[int, int]]], ...]


@dataclass(frozen=True, slots=True)
class _CssrsInfo:
    """What a (possibly partial) screener allows, over all ways to finish it."""

    answers: tuple[bool | None, ...]  # the screener's answers, in question order
    floor: CssrsRisk
    settled: CssrsRisk | None  # the risk, if every completion gives the same one
    unanswered: bool  # no question answered at all: the whole screener is missing
    states: frozenset[int]  # the level facts (_A/_I0) it can still produce
    flips: _Flips  # per open question: state pairs that answering it can switch


_CSSRS_INFO: dict[tuple[bool | None, ...], _CssrsInfo] = {}


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
        answers=tuple(known[q] for q in CSSRS_QUESTIONS),
        floor=cssrs_risk(c),
        settled=next(iter(risks)) if len(risks) == 1 else None,
        unanswered=all(v is None for v in known.values()),
        states=frozenset(_RISK_STATE[r] for r in risks),
        flips=tuple((f"cssrs.{q}", frozenset(pairs[q])) for q in open_questions),
    )


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
    phq9_states = frozenset(
        (_I0 if t >= p else 0) | (_MOD if t >= m else 0) for t in range(PHQ9_MAX + 1)
    )
    gad7_states = frozenset(
        (_I0 if t >= g else 0) | (_MOD if t >= m else 0) for t in range(GAD7_MAX + 1)
    )
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
    facts: Facts, info: _CssrsInfo | None, criteria: Criteria, iop_indicated: bool
) -> tuple[str, ...]:
    """Unanswered questions that could change a level that is not inpatient."""
    a = facts.answers
    days = a.discharged_inpatient_days_ago
    weeks = a.weeks_weekly_therapy_without_improvement
    # Fast path: everything that can matter is answered (the common case).
    if not (
        info is None
        or len(info.states) > 1
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
    elif len(info.states) > 1:
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
    _SCORES.clear()
    _CSSRS_INFO.clear()
    _REASONS.clear()
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
# Scores has at most 57 * 23 * 5 distinct values; each is built once.
_SCORES: dict[tuple[int, int, CssrsRisk | None], Scores] = {}


def evaluate(answers: Answers, criteria: Criteria) -> Recommendation:
    """Recommend a level of care for `answers` under `criteria`, with reasons.

    1. Score the instruments once; run every rule on what is known.
    2. Any inpatient reason: `inpatient` (`missing` stays empty).
    3. Else list the unanswered questions that could change the level; if any,
       the level is `None` (the reasons already established are kept).
    4. Else `iop` if an IOP reason fired, or `outpatient` with its own reason.
    5. Add notes; they never change the level.
    """
    c = answers.cssrs
    if c is MISSING:
        info = floor = settled = None
    else:
        info = _cssrs_info(c)
        floor = None if info.unanswered else info.floor
        settled = info.settled
    # Answers are trusted (validated when built), so score without re-checking.
    p = answers.phq9
    if p is MISSING:
        phq9_index, phq9 = -1, None
    else:
        phq9_index = sum(p) * 2 + (p[8] > 0)
        phq9 = _PHQ9_SCORES[phq9_index]
    g = answers.gad7
    if g is MISSING:
        gad7_index, gad7 = -1, None
    else:
        gad7_index = sum(g)
        gad7 = _GAD7_SCORES[gad7_index]
    facts = Facts(answers, phq9, gad7, floor)

    reasons = [r for rule in INPATIENT_RULES if (r := rule(facts, criteria))]
    iop = [r for rule in IOP_RULES if (r := rule(facts, criteria))]
    if iop:
        housing = iop_without_safe_housing(facts, iop)
        if housing is not None:
            reasons.append(housing)

    missing: tuple[str, ...] = ()
    level: Level | None
    if reasons:
        level = _INPATIENT
    else:
        missing = _missing(facts, info, criteria, bool(iop))
        if missing:
            level = None
        elif iop:
            level = _IOP
        else:
            level = _OUTPATIENT
            reasons.append(outpatient_no_higher_criteria(facts, settled))
    if iop:
        reasons += iop

    scores_key = (phq9_index, gad7_index, settled)
    scores = _SCORES.get(scores_key)
    if scores is None:
        scores = _SCORES[scores_key] = Scores(phq9, gad7, settled)
    rec = _new(Recommendation)
    _set_level(rec, level)
    _set_reasons(rec, tuple(reasons))
    _set_missing(rec, missing)
    _set_notes(rec, _notes(facts, bool(iop), level))
    _set_scores(rec, scores)
    return rec


def recommendation_to_dict(
    rec: Recommendation, criteria_version: int
) -> dict[str, object]:
    """The contract JSON for a recommendation (see DESIGN.md)."""
    scores = rec.scores
    return {
        "level": None if rec.level is None else rec.level.slug,
        "reasons": [
            {"code": r.code, "text": r.text, "values": dict(r.values)}
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


def _parse_bool(value: object, path: str, out: _Collector) -> bool | Missing:
    if isinstance(value, bool):
        return value
    out.add(path, f"must be true or false; got {_show(value)}")
    return MISSING


def _parse_items(
    value: object, path: str, count: int, out: _Collector
) -> tuple[int, ...] | Missing:
    expected = f"must be a list of {count} integers from 0 to 3"
    if not isinstance(value, list | tuple):
        out.add(path, f"{expected}; got {_show(value)}")
        return MISSING
    ok = True
    if len(value) != count:
        n = len(value)
        out.add(path, f"{expected}; got {n} item{'' if n == 1 else 's'}")
        ok = False
    items: list[int] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int):
            message = f"item {i + 1} must be an integer; got {_show(item)}"
            out.add(f"{path}[{i}]", message)
            ok = False
        elif not 0 <= item <= 3:
            out.add(f"{path}[{i}]", f"item {i + 1} must be from 0 to 3; got {item}")
            ok = False
        else:
            items.append(item)
    return tuple(items) if ok else MISSING


def _parse_history(value: object, path: str, out: _Collector) -> int | Missing | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    out.add(path, f"must be a whole number >= 0, or null; got {_show(value)}")
    return MISSING


def _parse_cssrs(value: object, out: _Collector) -> Cssrs | Missing:
    if not isinstance(value, dict):
        out.add("cssrs", f"must be an object of C-SSRS answers; got {_show(value)}")
        return MISSING
    answers: dict[str, bool | None] = {}
    ok = True
    for key, answer in value.items():
        path = f"cssrs.{key}"
        if key not in CSSRS_QUESTIONS:
            out.add(path, "unknown field")
            ok = False
        elif answer is None or isinstance(answer, bool):
            answers[key] = answer
        else:
            out.add(path, f"must be true, false or null; got {_show(answer)}")
            ok = False
    for child, parent in _CSSRS_PARENT.items():
        if answers.get(child) is True and answers.get(parent) is not True:
            hint = (
                "questions 3-5 apply only after yes to question 2"
                if parent == "suicidal_thoughts"
                else "question 6b applies only after yes to question 6"
            )
            out.add(
                f"cssrs.{child}", f"must not be true when {parent} is not true ({hint})"
            )
            ok = False
    return Cssrs(**answers) if ok else MISSING


def answers_from_dict(data: object) -> Answers:
    """Validate contract answers JSON (already decoded) and build `Answers`.

    Strict: unknown keys, wrong types (a bool is not an integer and an integer is
    not a bool) and out-of-range values are errors, never dropped or clamped.
    Every error is collected; raises `AnswersError` if there is any.
    """
    if not isinstance(data, dict):
        raise AnswersError(
            {"__all__": [f"answers must be a JSON object; got {_show(data)}"]}
        )
    out = _Collector()
    for key in data:
        if key not in ANSWER_KEYS:
            out.add(str(key), "unknown field")

    cssrs: Cssrs | Missing = MISSING
    if "cssrs" in data:
        cssrs = _parse_cssrs(data["cssrs"], out)

    harm: str | Missing = MISSING
    if "harm_to_others" in data:
        value = data["harm_to_others"]
        if isinstance(value, str) and value in HARM_TO_OTHERS_CHOICES:
            harm = value
        else:
            choices = ", ".join(json.dumps(c) for c in HARM_TO_OTHERS_CHOICES)
            out.add("harm_to_others", f"must be one of {choices}; got {_show(value)}")

    phq9: tuple[int, ...] | Missing = MISSING
    if "phq9" in data:
        phq9 = _parse_items(data["phq9"], "phq9", PHQ9_ITEMS, out)
    gad7: tuple[int, ...] | Missing = MISSING
    if "gad7" in data:
        gad7 = _parse_items(data["gad7"], "gad7", GAD7_ITEMS, out)

    flags: dict[str, bool | Missing] = {
        key: _parse_bool(data[key], key, out) for key in _BOOL_KEYS if key in data
    }
    history: dict[str, int | Missing | None] = {
        key: _parse_history(data[key], key, out) for key in _HISTORY_KEYS if key in data
    }
    if out.errors:
        raise AnswersError(out.errors)

    def flag(key: str) -> bool | Missing:
        return flags.get(key, MISSING)

    def hist(key: str) -> int | Missing | None:
        return history.get(key, MISSING)

    return Answers(
        cssrs=cssrs,
        harm_to_others=harm,
        phq9=phq9,
        gad7=gad7,
        impaired_judgement=flag("impaired_judgement"),
        can_care_for_self=flag("can_care_for_self"),
        safe_housing=flag("safe_housing"),
        support_at_home=flag("support_at_home"),
        needs_medical_detox=flag("needs_medical_detox"),
        needs_24h_medical_monitoring=flag("needs_24h_medical_monitoring"),
        work_or_school_commitment=flag("work_or_school_commitment"),
        can_attend_3_days_week=flag("can_attend_3_days_week"),
        discharged_inpatient_days_ago=hist("discharged_inpatient_days_ago"),
        weeks_weekly_therapy_without_improvement=hist(
            "weeks_weekly_therapy_without_improvement"
        ),
    )


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
