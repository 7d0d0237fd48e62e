"""Properties of the rules engine, checked with Hypothesis.

The `missing` oracle is brute force: it fills the unanswered questions with every
value from a small domain (including boundary and "moderate" values), evaluates
each completed set of answers, and lists a question when changing only its
answer changes the level in some completion.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake import catalogue
from levelofcare.rules import (
    ANSWER_KEYS,
    CSSRS_QUESTIONS,
    DEFAULT_CRITERIA,
    DEFAULT_RULES,
    HARM_TO_OTHERS_CHOICES,
    MISSING,
    THRESHOLDS,
    Answers,
    Criteria,
    Cssrs,
    Level,
    Rule,
    answers_from_dict,
    answers_to_dict,
    evaluate,
    recommendation_to_dict,
)
from tests.baseline import BASELINE

BOUNDS = {t.name: t for t in THRESHOLDS}
# Modest runs keep the file fast; the oracle and monotonicity get the most.
SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
THOROUGH = settings(SETTINGS, max_examples=200)
# Screener skip logic: a question applies only after "yes" to its parent.
PARENT = catalogue.CSSRS_PARENT
# The order `missing` must follow: contract keys, screener questions in place.
ORDER = [
    path for q in catalogue.QUESTIONS for path in (q.path, *(p.path for p in q.parts))
]

# Yes/no questions outside the screener. The baseline's answer is the safe one; the
# other answer is a risk, except for the questions that never change the level
# (commitments and support shape the schedule and the notes only).
YES_NO = [q.key for q in catalogue.QUESTIONS if q.kind == catalogue.YES_NO]
SAFE: dict[str, bool] = {key: BASELINE[key] for key in YES_NO}
NEVER_THE_LEVEL = [
    *(q.key for q in catalogue.questions_in("commitments")),
    "support_at_home",
]
RISKS = [key for key in YES_NO if key not in NEVER_THE_LEVEL]
# Risks that an inpatient criterion reads: calm answers never take them.
INPATIENT_RISKS = [
    key
    for key in RISKS
    if any(
        isinstance(r, Rule) and r.level is Level.INPATIENT and key in r.reads
        for r in DEFAULT_RULES
    )
]
IOP_RISKS = [key for key in RISKS if key not in INPATIENT_RISKS]


def items_for(total: int, count: int) -> tuple[int, ...]:
    return tuple(min(3, max(0, total - 3 * i)) for i in range(count))


# ------------------------------------------------------------------ strategies


# Instrument cuts of 0 (every answered total fires) are covered by table tests:
# there an unanswered instrument is listed rather than assumed answered, which
# the oracle below, filling in every unanswered question, cannot express.
@st.composite
def custom_criteria(draw: st.DrawFn) -> Criteria:
    """Any valid cuts; often the IOP cuts sit just above or below the moderate cut."""
    moderate = draw(MODERATE)
    near = st.integers(max(1, moderate - 2), moderate + 2)
    return Criteria(
        phq9_iop_min=min(27, draw(near | CUT)),
        gad7_iop_min=min(21, draw(near | CUT)),
        moderate_min=moderate,
        persistent_weeks_min=draw(WEEKS_MIN),
        stepdown_window_days=draw(WINDOW),
    )


CUT = st.integers(1, 27)
MODERATE = st.integers(1, BOUNDS["moderate_min"].high)
WEEKS_MIN = st.integers(BOUNDS["persistent_weeks_min"].low, 20)
WINDOW = st.integers(0, 60)


criteria_st = st.just(DEFAULT_CRITERIA) | custom_criteria()


# Few, wide draws keep generation fast: one integer per instrument or flag set.
# Risky answers are rarer than safe ones (AND of several draws), so inpatient
# does not swamp the other levels; a draw of 0 is always the safest answer.


def bits(number: int, count: int) -> list[bool]:
    return [bool(number >> i & 1) for i in range(count)]


# Strategies are built once: building them inside a composite is slow.
SEVEN_BITS = st.integers(0, 127)
EIGHT_BITS = st.integers(0, 255)
ALL_KEYS_BITS = st.integers(0, 2 ** len(ANSWER_KEYS) - 1)
CSSRS_BITS = st.integers(0, 2 ** len(CSSRS_QUESTIONS) - 1)
HARM = st.sampled_from(("none",) * 6 + ("thoughts", "intent"))
DAYS = st.none() | st.integers(0, 120)
WEEKS = st.none() | st.integers(0, 30)
BOOLS = st.booleans()


@st.composite
def complete_cssrs(draw: st.DrawFn) -> Cssrs:
    wish, thoughts, method, _, _, ever, _ = bits(draw(SEVEN_BITS), 7)
    _, _, _, intent, plan, _, recent = bits(
        draw(SEVEN_BITS) & draw(SEVEN_BITS) & draw(SEVEN_BITS) & draw(SEVEN_BITS), 7
    )
    return Cssrs(
        wish_dead=wish,
        suicidal_thoughts=thoughts,
        method=method if thoughts else None,
        intent=intent if thoughts else None,
        plan=plan if thoughts else None,
        behavior_ever=ever,
        behavior_past_3_months=recent if ever else None,
    )


def item_st(count: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Items 0-3; half the time skewed low (milder totals are common)."""
    number = st.integers(0, 4**count - 1)
    skewed = st.tuples(number, number).map(lambda pair: pair[0] & pair[1])
    return (number | skewed).map(
        lambda n: tuple(n >> (2 * i) & 3 for i in range(count))
    )


CSSRS = complete_cssrs()
PHQ9 = item_st(9)
GAD7 = item_st(7)


def flag_bits(keys: list[str]) -> st.SearchStrategy[int]:
    return st.integers(0, 2 ** len(keys) - 1)


RISK_BITS = flag_bits(RISKS)
IOP_RISK_BITS = flag_bits(IOP_RISKS)
NEUTRAL_BITS = flag_bits(NEVER_THE_LEVEL)


def yes_no(keys: list[str], flips: int) -> dict[str, bool]:
    """The baseline's answer to each of `keys`, the other answer where `flips` has
    the question's bit set."""
    return {
        key: SAFE[key] is not flip
        for key, flip in zip(keys, bits(flips, len(keys)), strict=True)
    }


@st.composite
def complete_answers(draw: st.DrawFn) -> Answers:
    risks = draw(RISK_BITS) & draw(RISK_BITS) & draw(RISK_BITS) & draw(RISK_BITS)
    return Answers(
        cssrs=draw(CSSRS),
        harm_to_others=draw(HARM),
        phq9=draw(PHQ9),
        gad7=draw(GAD7),
        discharged_inpatient_days_ago=draw(DAYS),
        weeks_weekly_therapy_without_improvement=draw(WEEKS),
        **yes_no(RISKS, risks),
        **yes_no(NEVER_THE_LEVEL, draw(NEUTRAL_BITS)),
    )


@st.composite
def calm_answers(draw: st.DrawFn) -> Answers:
    """Complete answers near the IOP and persistence cuts, with no inpatient risk:
    where unanswered questions and raised answers matter most."""
    wish, thoughts, method, ever, *_ = bits(draw(EIGHT_BITS), 8)
    method = method and draw(BOOLS)
    ever = ever and draw(BOOLS)
    return Answers(
        cssrs=Cssrs(
            wish_dead=wish,
            suicidal_thoughts=thoughts,
            method=method if thoughts else None,
            intent=False if thoughts else None,
            plan=False if thoughts else None,
            behavior_ever=ever,
            behavior_past_3_months=False if ever else None,
        ),
        harm_to_others="none",
        phq9=items_for(draw(PHQ9_TOTAL), 9),
        gad7=items_for(draw(GAD7_TOTAL), 7),
        discharged_inpatient_days_ago=draw(CALM_DAYS),
        weeks_weekly_therapy_without_improvement=draw(WEEKS),
        **yes_no(INPATIENT_RISKS, 0),
        **yes_no(IOP_RISKS, draw(IOP_RISK_BITS) & draw(IOP_RISK_BITS)),
        **yes_no(NEVER_THE_LEVEL, draw(NEUTRAL_BITS)),
    )


PHQ9_TOTAL = st.integers(0, 27)
GAD7_TOTAL = st.integers(0, 21)
CALM_DAYS = st.sampled_from([None, None, None, 0, 29, 30, 31, 60, 365])
COMPLETE = complete_answers() | calm_answers()


@st.composite
def partial_answers(draw: st.DrawFn) -> Answers:
    """Valid answers with any questions left unanswered."""
    answers = draw(COMPLETE)
    # Mostly a few unanswered questions, sometimes many.
    gone_bits = draw(ALL_KEYS_BITS)
    if draw(BOOLS):
        gone_bits &= draw(ALL_KEYS_BITS)
    flags = bits(gone_bits, len(ANSWER_KEYS))
    gone = [k for k, b in zip(ANSWER_KEYS, flags, strict=True) if b]
    answers = replace(answers, **dict.fromkeys(gone, MISSING))
    if isinstance(answers.cssrs, Cssrs) and draw(BOOLS):
        values = {q: getattr(answers.cssrs, q) for q in CSSRS_QUESTIONS}
        unanswer = bits(draw(CSSRS_BITS), len(CSSRS_QUESTIONS))
        for q, drop in zip(CSSRS_QUESTIONS, unanswer, strict=True):
            if drop:
                values[q] = None
        for child, parent in PARENT.items():  # "yes" needs "yes" to its parent
            if values[parent] is not True and values[child] is True:
                values[child] = None
        answers = replace(answers, cssrs=Cssrs(**values))
    return answers


PARTIAL = partial_answers()

# ------------------------------------------------------------------- invariants


def level_rank(answers: Answers, criteria: Criteria) -> Level:
    level = evaluate(answers, criteria).level
    assert level is not None, "complete answers always have a level"
    return level


@SETTINGS
@given(PARTIAL, criteria_st)
def test_level_is_none_exactly_when_something_is_missing(
    answers: Answers, criteria: Criteria
) -> None:
    rec = evaluate(answers, criteria)
    assert (rec.level is None) is bool(rec.missing)
    if rec.level is not None:
        assert rec.reasons
        assert max(r.level for r in rec.reasons) is rec.level
        assert rec.missing == ()
    assert list(rec.missing) == sorted(rec.missing, key=ORDER.index)
    assert len(set(rec.missing)) == len(rec.missing)
    for name in rec.missing:
        key, _, question = name.partition(".")
        value = getattr(answers, key)
        if question:
            assert isinstance(value, Cssrs)
            assert getattr(value, question) is None
        else:
            assert value is MISSING or value == Cssrs()


@SETTINGS
@given(PARTIAL, criteria_st)
def test_evaluation_is_deterministic(answers: Answers, criteria: Criteria) -> None:
    first = evaluate(answers, criteria)
    again = evaluate(replace(answers), replace(criteria))
    assert again == first
    assert recommendation_to_dict(again, 7) == recommendation_to_dict(first, 7)


@SETTINGS
@given(PARTIAL, criteria_st)
def test_scores_are_present_exactly_when_answered(
    answers: Answers, criteria: Criteria
) -> None:
    scores = evaluate(answers, criteria).scores
    assert (scores.phq9 is None) is (answers.phq9 is MISSING)
    assert (scores.gad7 is None) is (answers.gad7 is MISSING)
    if answers.cssrs is MISSING:
        assert scores.cssrs_risk is None


@SETTINGS
@given(COMPLETE, criteria_st)
def test_complete_answers_always_get_a_level(
    answers: Answers, criteria: Criteria
) -> None:
    assert all(getattr(answers, key) is not MISSING for key in ANSWER_KEYS)
    rec = evaluate(answers, criteria)
    assert rec.level is not None
    assert rec.missing == ()


MAYBE_BOOL = st.booleans() | st.just(MISSING)


@SETTINGS
@given(COMPLETE, criteria_st, st.data())
def test_commitments_and_support_never_change_the_level(
    answers: Answers, criteria: Criteria, data: st.DataObject
) -> None:
    changed = replace(
        answers, **{key: data.draw(MAYBE_BOOL) for key in NEVER_THE_LEVEL}
    )
    assert evaluate(changed, criteria).level is level_rank(answers, criteria)


# ------------------------------------------------------------------ monotonicity


def raise_cssrs(c: Cssrs, question: str) -> Cssrs:
    """Answer `question` yes (and its parent); newly applicable questions: no."""
    values = {q: getattr(c, q) for q in CSSRS_QUESTIONS}
    values[question] = True
    if question in PARENT:
        values[PARENT[question]] = True
    for child, parent in PARENT.items():
        if values[parent] is True and values[child] is None:
            values[child] = False
    return Cssrs(**values)


RAISE_KIND = st.sampled_from(["cssrs", "harm", "phq9", "gad7", *RISKS, "days", "weeks"])
QUESTION = st.sampled_from(CSSRS_QUESTIONS)
SMALL = st.integers(0, 8)
ITEM = st.integers(0, 3)
STEP = st.integers(0, 40)


def raised(answers: Answers, data: st.DataObject) -> Answers:
    """The same answers with one risk or severity answer raised (or protection off)."""
    kind = data.draw(RAISE_KIND)
    if kind == "cssrs":
        assert isinstance(answers.cssrs, Cssrs)
        return replace(answers, cssrs=raise_cssrs(answers.cssrs, data.draw(QUESTION)))
    if kind == "harm":
        assert isinstance(answers.harm_to_others, str)
        now = HARM_TO_OTHERS_CHOICES.index(answers.harm_to_others)
        new = max(now, data.draw(SMALL) % 3)
        return replace(answers, harm_to_others=HARM_TO_OTHERS_CHOICES[new])
    if kind in ("phq9", "gad7"):
        values = list(getattr(answers, kind))
        i = data.draw(SMALL) % len(values)
        values[i] = max(values[i], data.draw(ITEM))
        return replace(answers, **{kind: tuple(values)})
    if kind == "days":  # more recent discharge, or a discharge at all
        days = answers.discharged_inpatient_days_ago
        assert days is not MISSING
        new_days = data.draw(STEP) if days is None else max(0, days - data.draw(STEP))
        return replace(answers, discharged_inpatient_days_ago=new_days)
    if kind == "weeks":  # longer without improvement, or in therapy at all
        weeks = answers.weeks_weekly_therapy_without_improvement
        assert weeks is not MISSING
        new_weeks = data.draw(STEP) + (0 if weeks is None else weeks)
        return replace(answers, weeks_weekly_therapy_without_improvement=new_weeks)
    return replace(answers, **{kind: not SAFE[kind]})  # a yes/no risk


@THOROUGH
@given(COMPLETE, criteria_st, st.data())
def test_raising_risk_or_severity_never_lowers_the_level(
    answers: Answers, criteria: Criteria, data: st.DataObject
) -> None:
    higher = raised(answers, data)
    assert answers_from_dict(answers_to_dict(higher)) == higher  # still valid
    assert level_rank(higher, criteria) >= level_rank(answers, criteria)


@SETTINGS
@given(COMPLETE, criteria_st, st.data())
def test_several_raises_never_lower_the_level(
    answers: Answers, criteria: Criteria, data: st.DataObject
) -> None:
    level = level_rank(answers, criteria)
    for _ in range(2 + data.draw(ITEM)):
        answers = raised(answers, data)
        new = level_rank(answers, criteria)
        assert new >= level
        level = new


THRESHOLD = st.sampled_from(
    ["phq9_iop_min", "gad7_iop_min", "moderate_min", "persistent_weeks_min"]
)


@SETTINGS
@given(COMPLETE, st.data())
def test_lowering_a_threshold_never_lowers_the_level(
    answers: Answers, data: st.DataObject
) -> None:
    name = data.draw(THRESHOLD)
    high = getattr(DEFAULT_CRITERIA, name)
    low = BOUNDS[name].low
    lower = replace(
        DEFAULT_CRITERIA, **{name: low + data.draw(STEP) % (high - low + 1)}
    )
    wider = replace(DEFAULT_CRITERIA, stepdown_window_days=30 + data.draw(STEP))
    base = level_rank(answers, DEFAULT_CRITERIA)
    assert level_rank(answers, lower) >= base
    assert level_rank(answers, wider) >= base


# ---------------------------------------------------------- the missing oracle


WHOLE_SCREENERS = [  # one complete screener per risk, several routes to each
    Cssrs(wish_dead=False, suicidal_thoughts=False, behavior_ever=False),
    Cssrs(wish_dead=True, suicidal_thoughts=False, behavior_ever=False),
    Cssrs(
        wish_dead=True,
        suicidal_thoughts=True,
        method=True,
        intent=False,
        plan=False,
        behavior_ever=False,
    ),
    Cssrs(
        wish_dead=False,
        suicidal_thoughts=False,
        behavior_ever=True,
        behavior_past_3_months=False,
    ),
    Cssrs(
        wish_dead=True,
        suicidal_thoughts=True,
        method=False,
        intent=True,
        plan=False,
        behavior_ever=False,
    ),
    Cssrs(
        wish_dead=False,
        suicidal_thoughts=False,
        behavior_ever=True,
        behavior_past_3_months=True,
    ),
]


def domain(unit: str, criteria: Criteria) -> list[object]:
    """Small but complete sets of answers for one unanswered question."""
    p, g, m = criteria.phq9_iop_min, criteria.gad7_iop_min, criteria.moderate_min
    w, d = criteria.persistent_weeks_min, criteria.stepdown_window_days
    q = catalogue.question(unit)
    if q.kind == catalogue.SCREENER:
        return list(WHOLE_SCREENERS)
    if q.kind == catalogue.YES_NO:  # screener questions too
        return [False, True]
    if q.kind == catalogue.CHOICE:
        return [value for value, _ in q.choices]
    if unit == "phq9":
        totals = {0, m - 1, m, p - 1, p, 27}
        return [items_for(t, 9) for t in sorted(totals) if 0 <= t <= 27]
    if unit == "gad7":
        totals = {0, m - 1, m, g - 1, g, 21}
        return [items_for(t, 7) for t in sorted(totals) if 0 <= t <= 21]
    if unit == "discharged_inpatient_days_ago":
        return [
            None,
            *sorted({x for x in (0, d - 1, d, d + 1, 10 * d + 100) if x >= 0}),
        ]
    if unit == "weeks_weekly_therapy_without_improvement":
        return [None, *sorted({x for x in (0, w - 1, w, w + 1) if x >= 0})]
    raise AssertionError(f"the oracle has no domain for {unit!r}")


def complete_with(
    answers: Answers, units: list[str], choice: tuple[object, ...]
) -> Answers:
    top = {u: v for u, v in zip(units, choice, strict=True) if "." not in u}
    filled = replace(answers, **top)
    inner = {u[6:]: v for u, v in zip(units, choice, strict=True) if "." in u}
    if inner:
        assert isinstance(filled.cssrs, Cssrs)
        values = {q: getattr(filled.cssrs, q) for q in CSSRS_QUESTIONS}
        values.update(inner)
        for child, parent in PARENT.items():  # questions that do not apply
            if child in inner and values[parent] is not True:
                values[child] = None
        filled = replace(filled, cssrs=Cssrs(**values))
    return filled


def oracle(
    answers: Answers, units: list[str], criteria: Criteria
) -> tuple[Level | None, tuple[str, ...]]:
    domains = [domain(u, criteria) for u in units]
    levels = {
        choice: level_rank(complete_with(answers, units, choice), criteria)
        for choice in itertools.product(*domains)
    }
    relevant = []
    for i, unit in enumerate(units):
        seen: dict[tuple[object, ...], set[Level]] = {}
        for choice, level in levels.items():
            seen.setdefault(choice[:i] + choice[i + 1 :], set()).add(level)
        if any(len(group) > 1 for group in seen.values()):
            relevant.append(unit)
    missing = tuple(sorted(relevant, key=ORDER.index))
    if missing:
        return None, missing
    (level,) = set(levels.values())
    return level, ()


def open_units(answers: Answers) -> Iterator[str]:
    """The screener questions of complete answers that could be left unanswered."""
    assert isinstance(answers.cssrs, Cssrs)
    for q in CSSRS_QUESTIONS:
        parent = PARENT.get(q)
        if parent is None or getattr(answers.cssrs, parent) is True:
            yield f"cssrs.{q}"


KEY = st.sampled_from(ANSWER_KEYS)
UNITS = st.lists(
    st.sampled_from(ORDER),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def with_unanswered(draw: st.DrawFn) -> tuple[Answers, list[str]]:
    """Complete answers and 1-4 questions to leave unanswered."""
    answers = draw(COMPLETE)
    pool = list(ANSWER_KEYS) + list(open_units(answers))
    units = [u for u in draw(UNITS) if u in pool] or [draw(KEY)]
    if "cssrs" in units:
        units = [u for u in units if not u.startswith("cssrs.")]
    inner = {u[6:] for u in units if u.startswith("cssrs.")}
    if inner:
        assert isinstance(answers.cssrs, Cssrs)
        values = {q: getattr(answers.cssrs, q) for q in CSSRS_QUESTIONS}
        for child, parent in PARENT.items():
            # Unanswering a parent leaves its children open too, except a "no"
            # (which is valid whether or not the child applies).
            if parent in inner and values[child] is not False and child not in inner:
                inner.add(child)
                units.append(f"cssrs.{child}")
        values.update(dict.fromkeys(inner))
        if all(v is None for v in values.values()):
            # Nothing left answered: the whole screener is unanswered.
            units = [u for u in units if not u.startswith("cssrs.")] + ["cssrs"]
            answers = replace(answers, cssrs=MISSING)
        else:
            answers = replace(answers, cssrs=Cssrs(**values))
    top = [u for u in units if "." not in u]
    answers = replace(answers, **dict.fromkeys(top, MISSING))
    return answers, sorted(units, key=ORDER.index)


@THOROUGH
@given(with_unanswered(), criteria_st)
def test_missing_matches_a_brute_force_oracle(
    case: tuple[Answers, list[str]], criteria: Criteria
) -> None:
    answers, units = case
    rec = evaluate(answers, criteria)
    level, missing = oracle(answers, units, criteria)
    assert rec.missing == missing
    assert rec.level == level


def test_oracle_example_weeks_matter_only_with_moderate_symptoms() -> None:
    base = replace(
        answers_from_dict(BASELINE),
        phq9=items_for(12, 9),
        gad7=items_for(3, 7),
        weeks_weekly_therapy_without_improvement=MISSING,
    )
    units = ["weeks_weekly_therapy_without_improvement"]
    assert oracle(base, units, DEFAULT_CRITERIA) == (None, tuple(units))
    assert evaluate(base, DEFAULT_CRITERIA).missing == tuple(units)
    calm = replace(base, phq9=items_for(9, 9))
    assert oracle(calm, units, DEFAULT_CRITERIA) == (Level.OUTPATIENT, ())
    assert evaluate(calm, DEFAULT_CRITERIA).missing == ()


# ------------------------------------------------------------------- round trip


@st.composite
def answers_dicts(draw: st.DrawFn) -> dict[str, object]:
    """Valid contract JSON (without explicit nulls inside the screener)."""
    return answers_to_dict(draw(PARTIAL))


@SETTINGS
@given(answers_dicts())
def test_answers_dict_round_trip(data: dict[str, object]) -> None:
    assert answers_to_dict(answers_from_dict(data)) == data


@SETTINGS
@given(PARTIAL, criteria_st)
def test_answers_and_their_evaluation_survive_the_json_round_trip(
    answers: Answers, criteria: Criteria
) -> None:
    again = answers_from_dict(answers_to_dict(answers))
    assert again == answers
    assert evaluate(again, criteria) == evaluate(answers, criteria)
