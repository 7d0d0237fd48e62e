"""Table-driven tests of the pure rules engine (no database, no Django)."""

from __future__ import annotations

import ast
import copy
import json
import pickle
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from intake import catalogue
from levelofcare.rules import (
    ANSWER_KEYS,
    DEFAULT_CRITERIA,
    MISSING,
    Answers,
    Criteria,
    Cssrs,
    Level,
    Recommendation,
    answers_from_dict,
    clear_caches,
    cssrs_risk,
    evaluate,
    gad7_score,
    phq9_score,
    recommendation_to_dict,
)
from tests.baseline import BASELINE

ROOT = Path(__file__).resolve().parents[2]
RULES_PY = ROOT / "levelofcare" / "rules.py"

NO_RISK = Cssrs(wish_dead=False, suicidal_thoughts=False, behavior_ever=False)
# Questions that shape notes and the schedule but never the level.
NEVER_THE_LEVEL = (
    "support_at_home",
    "work_or_school_commitment",
    "can_attend_3_days_week",
)
CUSTOM = Criteria(
    phq9_iop_min=20,
    gad7_iop_min=12,
    moderate_min=8,
    persistent_weeks_min=10,
    stepdown_window_days=14,
)


def items(total: int, count: int, *, last: int | None = None) -> tuple[int, ...]:
    """`count` items 0-3 adding up to `total`; `last` fixes the final item."""
    fixed = [] if last is None else [last]
    rest = total - sum(fixed)
    free = count - len(fixed)
    assert 0 <= rest <= 3 * free
    values = [min(3, max(0, rest - 3 * i)) for i in range(free)]
    return tuple(values + fixed)


def phq9(total: int, item9: int | None = None) -> tuple[int, ...]:
    """PHQ-9 items with this total; item 9 stays 0 unless set or total > 24."""
    return items(total, 9, last=item9)


def gad7(total: int) -> tuple[int, ...]:
    return items(total, 7)


def complete(**changes: object) -> Answers:
    """Every question answered, nothing above outpatient (the test baseline);
    `changes` override."""
    return replace(answers_from_dict(BASELINE), **changes)  # type: ignore[arg-type]


def codes(rec: Recommendation) -> list[str]:
    return [r.code for r in rec.reasons]


def note_codes(rec: Recommendation) -> list[str]:
    return [n.code for n in rec.notes]


# --------------------------------------------------------------------- levels


def test_level_slugs_round_trip_and_max_is_most_intensive() -> None:
    assert [level.slug for level in Level] == ["outpatient", "iop", "inpatient"]
    assert all(Level.from_slug(level.slug) is level for level in Level)
    assert max(Level.IOP, Level.INPATIENT, Level.OUTPATIENT) is Level.INPATIENT


def test_unknown_level_slug_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown level 'IOP'"):
        Level.from_slug("IOP")


def test_missing_is_not_none_and_has_no_truth_value() -> None:
    assert MISSING is not None
    assert repr(MISSING) == "MISSING"
    with pytest.raises(TypeError):
        bool(MISSING)


def test_the_baseline_answers_every_question_and_is_outpatient() -> None:
    assert set(BASELINE) == set(catalogue.ANSWER_KEYS), "answer it in tests/baseline.py"
    rec = evaluate(complete(), DEFAULT_CRITERIA)
    assert (rec.level, codes(rec), rec.missing, rec.notes) == (
        Level.OUTPATIENT,
        ["OUTPATIENT_NO_HIGHER_CRITERIA"],
        (),
        (),
    )


def test_answers_default_to_unanswered() -> None:
    answers = Answers()
    assert all(getattr(answers, key) is MISSING for key in ANSWER_KEYS)


@pytest.mark.parametrize(
    "changes",
    [
        {"phq9_iop_min": -1},
        {"phq9_iop_min": 28},
        {"gad7_iop_min": 22},
        {"moderate_min": 28},
        {"persistent_weeks_min": -1},
        {"stepdown_window_days": -1},
    ],
)
def test_criteria_out_of_range_are_rejected(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(changes))):
        Criteria(**changes)


def test_criteria_must_be_integers() -> None:
    with pytest.raises(TypeError):
        Criteria(phq9_iop_min=True)
    with pytest.raises(TypeError):
        Criteria(stepdown_window_days=30.0)  # type: ignore[arg-type]


def test_default_criteria_are_version_one_defaults() -> None:
    assert Criteria() == DEFAULT_CRITERIA
    assert (
        DEFAULT_CRITERIA.phq9_iop_min,
        DEFAULT_CRITERIA.gad7_iop_min,
        DEFAULT_CRITERIA.moderate_min,
        DEFAULT_CRITERIA.persistent_weeks_min,
        DEFAULT_CRITERIA.stepdown_window_days,
    ) == (15, 15, 10, 6, 30)


# -------------------------------------------------------------------- scoring


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_at_every_boundary(total: int, band: str) -> None:
    score = phq9_score(phq9(total))
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_at_every_boundary(total: int, band: str) -> None:
    score = gad7_score(gad7(total))
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize(("item9", "positive"), [(0, False), (1, True), (3, True)])
def test_phq9_item9_positive_when_above_zero(item9: int, positive: bool) -> None:
    assert phq9_score(phq9(6, item9=item9)).item9_positive is positive


def test_scoring_accepts_lists() -> None:
    assert phq9_score([1] * 9).total == 9
    assert gad7_score([2] * 7).total == 14


@pytest.mark.parametrize(
    ("scorer", "bad"),
    [
        (phq9_score, [0] * 8),
        (phq9_score, [0] * 8 + [4]),
        (phq9_score, [0] * 8 + [True]),
        (gad7_score, [0] * 9),
        (gad7_score, [0] * 6 + [-1]),
    ],
)
def test_scoring_rejects_invalid_items(scorer: object, bad: list[int]) -> None:
    with pytest.raises(ValueError, match="items"):
        scorer(bad)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("screener", "risk"),
    [
        (Cssrs(), "none"),
        (NO_RISK, "none"),
        (Cssrs(wish_dead=True, suicidal_thoughts=False, behavior_ever=False), "low"),
        (
            Cssrs(suicidal_thoughts=True, method=False, intent=False, plan=False),
            "low",
        ),
        (
            Cssrs(suicidal_thoughts=True, method=True, intent=False, plan=False),
            "moderate",
        ),
        (Cssrs(behavior_ever=True, behavior_past_3_months=False), "moderate"),
        (Cssrs(suicidal_thoughts=True, intent=True), "high"),
        (Cssrs(suicidal_thoughts=True, plan=True), "high"),
        (Cssrs(behavior_ever=True, behavior_past_3_months=True), "high"),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=True,
                intent=True,
                plan=True,
                behavior_ever=True,
                behavior_past_3_months=True,
            ),
            "high",
        ),
        (Cssrs(suicidal_thoughts=True, method=True, plan=True), "high"),
    ],
)
def test_cssrs_triage(screener: Cssrs, risk: str) -> None:
    assert cssrs_risk(screener) == risk


@pytest.mark.parametrize(
    ("screener", "level", "code"),
    [
        (Cssrs(wish_dead=True, suicidal_thoughts=False, behavior_ever=False), 1, None),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=True,
                intent=False,
                plan=False,
                behavior_ever=False,
            ),
            2,
            "RISK_CSSRS_MODERATE",
        ),
        (
            Cssrs(
                wish_dead=False,
                suicidal_thoughts=False,
                behavior_ever=True,
                behavior_past_3_months=False,
            ),
            2,
            "RISK_CSSRS_MODERATE",
        ),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=False,
                intent=True,
                plan=False,
                behavior_ever=False,
            ),
            3,
            "RISK_CSSRS_HIGH",
        ),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=False,
                intent=False,
                plan=True,
                behavior_ever=False,
            ),
            3,
            "RISK_CSSRS_HIGH",
        ),
        (
            Cssrs(
                wish_dead=False,
                suicidal_thoughts=False,
                behavior_ever=True,
                behavior_past_3_months=True,
            ),
            3,
            "RISK_CSSRS_HIGH",
        ),
    ],
)
def test_cssrs_risk_sets_the_level(
    screener: Cssrs, level: int, code: str | None
) -> None:
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert rec.level == Level(level)
    assert rec.scores.cssrs_risk == cssrs_risk(screener)
    if code is not None:
        assert code in codes(rec)


# ----------------------------------------------------- thresholds: -1, =, +1


def _threshold_cases(
    criteria: Criteria,
) -> list[tuple[str, Criteria, dict[str, object], bool]]:
    p, g, m = criteria.phq9_iop_min, criteria.gad7_iop_min, criteria.moderate_min
    w, d = criteria.persistent_weeks_min, criteria.stepdown_window_days
    below_p = min(p, m) - 1  # a PHQ-9 total below both cuts
    cases: list[tuple[str, Criteria, dict[str, object], bool]] = []
    for delta in (-1, 0, 1):
        fires = delta >= 0
        cases += [
            ("PHQ9_IOP", criteria, {"phq9": phq9(p + delta)}, fires),
            ("GAD7_IOP", criteria, {"gad7": gad7(g + delta)}, fires),
            (
                "PERSISTENT_SYMPTOMS",
                criteria,
                {
                    "phq9": phq9(m + delta),
                    "weeks_weekly_therapy_without_improvement": w,
                },
                fires,
            ),
            (
                "PERSISTENT_SYMPTOMS",
                criteria,
                {
                    "gad7": gad7(m + delta),
                    "weeks_weekly_therapy_without_improvement": w,
                },
                fires,
            ),
            (
                "PERSISTENT_SYMPTOMS",
                criteria,
                {
                    "phq9": phq9(m),
                    "weeks_weekly_therapy_without_improvement": w + delta,
                },
                fires,
            ),
            (
                "STEP_DOWN_AFTER_DISCHARGE",
                criteria,
                {"discharged_inpatient_days_ago": d - delta},
                fires,
            ),
        ]
    assert below_p >= 0
    return cases


THRESHOLD_CASES = _threshold_cases(DEFAULT_CRITERIA) + _threshold_cases(CUSTOM)


@pytest.mark.parametrize(
    ("code", "criteria", "changes", "fires"),
    THRESHOLD_CASES,
    ids=[
        f"{code}-{'default' if c == DEFAULT_CRITERIA else 'custom'}-"
        f"{'fires' if fires else 'quiet'}-{i}"
        for i, (code, c, _, fires) in enumerate(THRESHOLD_CASES)
    ],
)
def test_iop_thresholds_are_inclusive(
    code: str, criteria: Criteria, changes: dict[str, object], fires: bool
) -> None:
    rec = evaluate(complete(**changes), criteria)
    assert (code in codes(rec)) is fires
    if code == "PHQ9_IOP" or code == "GAD7_IOP" or code == "STEP_DOWN_AFTER_DISCHARGE":
        assert rec.level is (Level.IOP if fires else Level.OUTPATIENT)
    elif fires:
        assert rec.level is Level.IOP


def test_threshold_reason_carries_the_numbers() -> None:
    rec = evaluate(complete(phq9=phq9(17)), DEFAULT_CRITERIA)
    (reason,) = rec.reasons
    assert reason.code == "PHQ9_IOP"
    assert reason.level is Level.IOP
    assert reason.values == {"phq9_total": 17, "threshold": 15}
    assert "17" in reason.text
    assert "15" in reason.text


def test_custom_criteria_change_the_outcome() -> None:
    answers = complete(phq9=phq9(17))
    assert evaluate(answers, DEFAULT_CRITERIA).level is Level.IOP
    assert evaluate(answers, CUSTOM).level is Level.OUTPATIENT
    assert evaluate(answers, Criteria(phq9_iop_min=17)).level is Level.IOP


def test_a_cut_of_zero_fires_for_any_answered_total() -> None:
    everyone = Criteria(phq9_iop_min=0)
    rec = evaluate(complete(phq9=phq9(0)), everyone)
    assert (rec.level, codes(rec)) == (Level.IOP, ["PHQ9_IOP"])


def test_a_cut_of_zero_never_assumes_an_unanswered_instrument() -> None:
    answers = complete(phq9=MISSING)
    assert evaluate(answers, DEFAULT_CRITERIA).missing == ("phq9",)
    assert evaluate(answers, Criteria(phq9_iop_min=0)).missing == ("phq9",)
    persistent = complete(
        phq9=MISSING, gad7=MISSING, weeks_weekly_therapy_without_improvement=8
    )
    rec = evaluate(persistent, Criteria(moderate_min=0))
    assert (rec.level, rec.missing) == (None, ("phq9", "gad7"))


def test_persistence_needs_weekly_therapy() -> None:
    rec = evaluate(
        complete(phq9=phq9(12), weeks_weekly_therapy_without_improvement=None),
        DEFAULT_CRITERIA,
    )
    assert rec.level is Level.OUTPATIENT
    assert "PERSISTENT_SYMPTOMS" not in codes(rec)


def test_never_discharged_is_not_a_step_down() -> None:
    rec = evaluate(complete(discharged_inpatient_days_ago=None), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    rec = evaluate(complete(discharged_inpatient_days_ago=0), DEFAULT_CRITERIA)
    assert codes(rec) == ["STEP_DOWN_AFTER_DISCHARGE"]


# ------------------------------------------------------------ inpatient and IOP


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"harm_to_others": "intent"}, "RISK_HARM_OTHERS_INTENT"),
        ({"impaired_judgement": True}, "IMPAIRED_JUDGEMENT"),
        ({"can_care_for_self": False}, "CANNOT_CARE_FOR_SELF"),
        ({"needs_medical_detox": True}, "MEDICAL_DETOX"),
        ({"needs_24h_medical_monitoring": True}, "MEDICAL_MONITORING_24H"),
        (
            {"cssrs": Cssrs(behavior_ever=True, behavior_past_3_months=True)},
            "RISK_CSSRS_HIGH",
        ),
        (
            {"phq9": phq9(16), "safe_housing": False},
            "IOP_WITHOUT_SAFE_HOUSING",
        ),
    ],
)
def test_each_inpatient_criterion(changes: dict[str, object], code: str) -> None:
    rec = evaluate(complete(**changes), DEFAULT_CRITERIA)
    assert rec.level is Level.INPATIENT
    assert codes(rec)[0] == code
    assert rec.missing == ()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"harm_to_others": "thoughts"}, "RISK_HARM_OTHERS_THOUGHTS"),
        (
            {
                "cssrs": Cssrs(
                    suicidal_thoughts=True,
                    method=True,
                    intent=False,
                    plan=False,
                    behavior_ever=False,
                    wish_dead=True,
                )
            },
            "RISK_CSSRS_MODERATE",
        ),
        ({"phq9": phq9(15)}, "PHQ9_IOP"),
        ({"gad7": gad7(15)}, "GAD7_IOP"),
        (
            {"gad7": gad7(10), "weeks_weekly_therapy_without_improvement": 6},
            "PERSISTENT_SYMPTOMS",
        ),
        ({"discharged_inpatient_days_ago": 30}, "STEP_DOWN_AFTER_DISCHARGE"),
    ],
)
def test_each_iop_criterion(changes: dict[str, object], code: str) -> None:
    rec = evaluate(complete(**changes), DEFAULT_CRITERIA)
    assert rec.level is Level.IOP
    assert codes(rec) == [code]
    assert all(r.level is Level.IOP for r in rec.reasons)


def test_outpatient_has_a_supporting_reason_with_the_scores() -> None:
    rec = evaluate(complete(phq9=phq9(7), gad7=gad7(6)), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    (reason,) = rec.reasons
    assert reason.code == "OUTPATIENT_NO_HIGHER_CRITERIA"
    assert reason.level is Level.OUTPATIENT
    assert reason.values == {"phq9_total": 7, "gad7_total": 6, "cssrs_risk": "none"}


def test_every_reason_that_fired_is_kept_most_intensive_first() -> None:
    rec = evaluate(
        complete(
            impaired_judgement=True,
            needs_medical_detox=True,
            phq9=phq9(21),
            harm_to_others="thoughts",
        ),
        DEFAULT_CRITERIA,
    )
    assert rec.level is Level.INPATIENT
    assert codes(rec) == [
        "IMPAIRED_JUDGEMENT",
        "MEDICAL_DETOX",
        "RISK_HARM_OTHERS_THOUGHTS",
        "PHQ9_IOP",
    ]


def test_iop_without_safe_housing_keeps_the_iop_reasons() -> None:
    rec = evaluate(
        complete(safe_housing=False, gad7=gad7(18), discharged_inpatient_days_ago=3),
        DEFAULT_CRITERIA,
    )
    assert rec.level is Level.INPATIENT
    assert codes(rec) == [
        "IOP_WITHOUT_SAFE_HOUSING",
        "GAD7_IOP",
        "STEP_DOWN_AFTER_DISCHARGE",
    ]
    assert rec.reasons[0].values == {
        "safe_housing": False,
        "iop_reasons": ["GAD7_IOP", "STEP_DOWN_AFTER_DISCHARGE"],
    }
    assert "NOTE_NO_SAFE_HOUSING" not in note_codes(rec)


def test_no_safe_housing_without_iop_indication_is_a_note_only() -> None:
    rec = evaluate(complete(safe_housing=False), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    assert note_codes(rec) == ["NOTE_NO_SAFE_HOUSING"]


# ----------------------------------------------------------- missing answers


def without(answers: Answers, *keys: str) -> Answers:
    return replace(answers, **dict.fromkeys(keys, MISSING))


def test_nothing_answered_lists_every_question_that_matters() -> None:
    rec = evaluate(Answers(), DEFAULT_CRITERIA)
    assert rec.level is None
    assert rec.missing == tuple(
        key for key in catalogue.ANSWER_KEYS if key not in NEVER_THE_LEVEL
    )
    known = (
        "cssrs",
        "harm_to_others",
        "phq9",
        "gad7",
        "impaired_judgement",
        "can_care_for_self",
        "safe_housing",
        "needs_medical_detox",
        "needs_24h_medical_monitoring",
        "discharged_inpatient_days_ago",
        "weeks_weekly_therapy_without_improvement",
    )
    assert tuple(key for key in rec.missing if key in known) == known
    assert rec.reasons == ()
    assert rec.scores.phq9 is None
    assert rec.scores.gad7 is None
    assert rec.scores.cssrs_risk is None


def test_whole_cssrs_unanswered_is_listed_as_cssrs() -> None:
    rec = evaluate(without(complete(), "cssrs"), DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("cssrs",))


def test_empty_cssrs_object_counts_as_the_whole_screener_unanswered() -> None:
    rec = evaluate(complete(cssrs=Cssrs()), DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("cssrs",))


def test_cssrs_intent_unanswered_after_suicidal_thoughts_yes() -> None:
    screener = Cssrs(
        wish_dead=True,
        suicidal_thoughts=True,
        method=False,
        plan=False,
        behavior_ever=False,
    )
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("cssrs.intent",))
    assert rec.scores.cssrs_risk is None
    # The risk is not settled (intent could make it high): no "low risk" note.
    assert note_codes(rec) == []


def test_questions_3_to_5_not_listed_after_no_to_question_2() -> None:
    rec = evaluate(complete(cssrs=NO_RISK), DEFAULT_CRITERIA)
    assert rec.missing == ()
    assert rec.level is Level.OUTPATIENT


def test_unanswered_question_2_lists_it_and_the_questions_it_opens() -> None:
    screener = Cssrs(wish_dead=True, behavior_ever=False)
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert rec.missing == (
        "cssrs.suicidal_thoughts",
        "cssrs.method",
        "cssrs.intent",
        "cssrs.plan",
    )


def test_recent_behaviour_unanswered_after_behaviour_ever_yes() -> None:
    screener = Cssrs(wish_dead=False, suicidal_thoughts=False, behavior_ever=True)
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("cssrs.behavior_past_3_months",))
    # Already moderate whatever the answer: the IOP reason is established.
    assert codes(rec) == ["RISK_CSSRS_MODERATE"]


def test_unanswered_wish_dead_alone_does_not_block_the_level() -> None:
    screener = Cssrs(suicidal_thoughts=False, behavior_ever=False)
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    assert rec.missing == ()
    assert rec.scores.cssrs_risk is None  # none or low: not settled


def test_inpatient_fires_despite_missing_answers() -> None:
    rec = evaluate(Answers(needs_medical_detox=True), DEFAULT_CRITERIA)
    assert rec.level is Level.INPATIENT
    assert rec.missing == ()
    assert codes(rec) == ["MEDICAL_DETOX"]


def test_iop_without_safe_housing_fires_despite_missing_answers() -> None:
    rec = evaluate(
        Answers(discharged_inpatient_days_ago=2, safe_housing=False), DEFAULT_CRITERIA
    )
    assert rec.level is Level.INPATIENT
    assert rec.missing == ()


@pytest.mark.parametrize(
    "keys", [*((key,) for key in NEVER_THE_LEVEL), NEVER_THE_LEVEL]
)
def test_commitments_and_support_unanswered_do_not_block(keys: tuple[str]) -> None:
    for answers in (complete(), complete(phq9=phq9(18))):
        rec = evaluate(without(answers, *keys), DEFAULT_CRITERIA)
        assert rec.level is not None
        assert rec.missing == ()


@pytest.mark.parametrize(
    ("changes", "listed"),
    [
        ({"phq9": phq9(12)}, True),  # moderate: persistence could make it IOP
        ({"gad7": gad7(10)}, True),
        ({"phq9": phq9(9), "gad7": gad7(9)}, False),  # both below moderate
        ({"phq9": MISSING}, True),  # PHQ-9 could still be moderate
        ({"phq9": phq9(17)}, False),  # IOP already, whatever the weeks
        ({"phq9": phq9(12), "discharged_inpatient_days_ago": 4}, False),
    ],
)
def test_weeks_unanswered_matters_only_when_symptoms_could_be_moderate(
    changes: dict[str, object], listed: bool
) -> None:
    answers = without(complete(**changes), "weeks_weekly_therapy_without_improvement")
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert ("weeks_weekly_therapy_without_improvement" in rec.missing) is listed
    assert (rec.level is None) is bool(rec.missing)


def test_weeks_unanswered_with_custom_moderate_cut() -> None:
    answers = without(
        complete(phq9=phq9(9)), "weeks_weekly_therapy_without_improvement"
    )
    assert evaluate(answers, DEFAULT_CRITERIA).level is Level.OUTPATIENT
    assert evaluate(answers, CUSTOM).missing == (
        "weeks_weekly_therapy_without_improvement",
    )


def test_weeks_listed_when_an_unanswered_phq9_could_be_moderate_but_below_iop() -> None:
    # With cuts 10 and 11, only a PHQ-9 total of exactly 10 is "moderate, not IOP".
    answers = without(
        complete(gad7=gad7(3)), "phq9", "weeks_weekly_therapy_without_improvement"
    )
    criteria = Criteria(phq9_iop_min=11, moderate_min=10)
    assert evaluate(answers, criteria).missing == (
        "phq9",
        "weeks_weekly_therapy_without_improvement",
    )
    same_cut = Criteria(phq9_iop_min=10, moderate_min=10)
    assert evaluate(answers, same_cut).missing == ("phq9",)


def test_safe_housing_unanswered_is_listed_when_iop_is_indicated() -> None:
    rec = evaluate(without(complete(phq9=phq9(17)), "safe_housing"), DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("safe_housing",))
    assert codes(rec) == ["PHQ9_IOP"]


def test_safe_housing_unanswered_does_not_matter_without_iop() -> None:
    rec = evaluate(without(complete(), "safe_housing"), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    assert rec.missing == ()


def test_safe_housing_unanswered_listed_when_iop_is_still_possible() -> None:
    rec = evaluate(without(complete(), "safe_housing", "gad7"), DEFAULT_CRITERIA)
    assert rec.missing == ("gad7", "safe_housing")


def test_unanswered_iop_question_does_not_block_an_iop_already_indicated() -> None:
    answers = without(complete(gad7=gad7(16)), "phq9", "discharged_inpatient_days_ago")
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert rec.level is Level.IOP
    assert rec.missing == ()


def test_unanswered_inpatient_questions_are_listed_in_contract_order() -> None:
    answers = without(
        complete(),
        "needs_24h_medical_monitoring",
        "impaired_judgement",
        "harm_to_others",
        "can_care_for_self",
    )
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert rec.missing == (
        "harm_to_others",
        "impaired_judgement",
        "can_care_for_self",
        "needs_24h_medical_monitoring",
    )


def test_null_history_answers_are_answers() -> None:
    rec = evaluate(complete(), DEFAULT_CRITERIA)
    assert rec.missing == ()
    rec = evaluate(
        without(complete(), "discharged_inpatient_days_ago"), DEFAULT_CRITERIA
    )
    assert rec.missing == ("discharged_inpatient_days_ago",)


def test_phq9_item9_makes_the_cssrs_required() -> None:
    answers = without(complete(phq9=phq9(5, item9=2)), "cssrs")
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (None, ("cssrs",))
    assert note_codes(rec) == ["NOTE_PHQ9_ITEM9"]


def test_phq9_item9_with_inpatient_needs_nothing_more() -> None:
    answers = without(complete(phq9=phq9(5, item9=1), impaired_judgement=True), "cssrs")
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert (rec.level, rec.missing) == (Level.INPATIENT, ())
    assert note_codes(rec) == ["NOTE_PHQ9_ITEM9"]


# ---------------------------------------------------------------------- notes


def test_commitments_never_override_safety_iop_stays_iop_with_a_note() -> None:
    rec = evaluate(
        complete(
            phq9=phq9(16), work_or_school_commitment=True, can_attend_3_days_week=False
        ),
        DEFAULT_CRITERIA,
    )
    assert rec.level is Level.IOP
    assert note_codes(rec) == ["NOTE_IOP_SCHEDULE"]
    assert "evening or virtual" in rec.notes[0].text


def test_commitments_never_lower_inpatient() -> None:
    rec = evaluate(
        complete(
            impaired_judgement=True,
            work_or_school_commitment=True,
            can_attend_3_days_week=False,
        ),
        DEFAULT_CRITERIA,
    )
    assert rec.level is Level.INPATIENT
    assert note_codes(rec) == []


def test_no_schedule_note_without_iop_or_when_attending() -> None:
    rec = evaluate(complete(can_attend_3_days_week=False), DEFAULT_CRITERIA)
    assert (rec.level, note_codes(rec)) == (Level.OUTPATIENT, [])
    rec = evaluate(complete(phq9=phq9(16)), DEFAULT_CRITERIA)
    assert (rec.level, note_codes(rec)) == (Level.IOP, [])


def test_schedule_note_while_the_level_is_pending() -> None:
    answers = without(complete(phq9=phq9(16), can_attend_3_days_week=False), "cssrs")
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert rec.level is None
    assert note_codes(rec) == ["NOTE_IOP_SCHEDULE"]


@pytest.mark.parametrize(
    ("changes", "notes"),
    [
        (
            {
                "cssrs": Cssrs(
                    wish_dead=True, suicidal_thoughts=False, behavior_ever=False
                )
            },
            ["NOTE_SAFETY_PLAN"],
        ),
        ({"support_at_home": False}, ["NOTE_SUPPORT"]),
        ({"phq9": phq9(4, item9=1)}, ["NOTE_PHQ9_ITEM9"]),
        ({"safe_housing": False}, ["NOTE_NO_SAFE_HOUSING"]),
        (
            {
                "support_at_home": False,
                "safe_housing": False,
                "phq9": phq9(4, item9=1),
            },
            ["NOTE_PHQ9_ITEM9", "NOTE_SUPPORT", "NOTE_NO_SAFE_HOUSING"],
        ),
    ],
)
def test_notes_never_change_the_level_and_safety_notes_come_first(
    changes: dict[str, object], notes: list[str]
) -> None:
    rec = evaluate(complete(**changes), DEFAULT_CRITERIA)
    assert rec.level is Level.OUTPATIENT
    assert note_codes(rec) == notes


@pytest.mark.parametrize(
    ("screener", "noted"),
    [
        # Settled low: yes to question 1 and/or 2 only, all that applies answered.
        (Cssrs(wish_dead=True, suicidal_thoughts=False, behavior_ever=False), True),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=False,
                intent=False,
                plan=False,
                behavior_ever=False,
            ),
            True,
        ),
        # Incomplete: low so far, but an open question could make it moderate or high.
        (Cssrs(wish_dead=True, suicidal_thoughts=False), False),
        (
            Cssrs(
                wish_dead=True,
                suicidal_thoughts=True,
                method=False,
                plan=False,
                behavior_ever=False,
            ),
            False,
        ),
        (Cssrs(wish_dead=True), False),
        # Settled as no risk.
        (Cssrs(wish_dead=False, suicidal_thoughts=False, behavior_ever=False), False),
    ],
)
def test_safety_plan_note_only_when_the_screener_settles_on_low_risk(
    screener: Cssrs, noted: bool
) -> None:
    rec = evaluate(complete(cssrs=screener), DEFAULT_CRITERIA)
    assert ("NOTE_SAFETY_PLAN" in note_codes(rec)) is noted
    assert (rec.scores.cssrs_risk == "low") is noted


def test_notes_are_computed_when_the_level_is_none() -> None:
    answers = Answers(support_at_home=False, phq9=phq9(3, item9=1))
    rec = evaluate(answers, DEFAULT_CRITERIA)
    assert rec.level is None
    assert note_codes(rec) == ["NOTE_PHQ9_ITEM9", "NOTE_SUPPORT"]


# ---------------------------------------------------------- output and purity


def test_recommendation_to_dict_is_the_contract_json() -> None:
    rec = evaluate(
        complete(phq9=phq9(16, item9=1), gad7=gad7(8), can_attend_3_days_week=False),
        DEFAULT_CRITERIA,
    )
    out = recommendation_to_dict(rec, criteria_version=3)
    assert json.loads(json.dumps(out)) == out
    assert out == {
        "level": "iop",
        "reasons": [
            {
                "code": "PHQ9_IOP",
                "text": rec.reasons[0].text,
                "values": {"phq9_total": 16, "threshold": 15},
            }
        ],
        "notes": [
            {"code": "NOTE_PHQ9_ITEM9", "text": rec.notes[0].text},
            {"code": "NOTE_IOP_SCHEDULE", "text": rec.notes[1].text},
        ],
        "missing": [],
        "scores": {
            "phq9": {"total": 16, "band": "moderately_severe", "item9_positive": True},
            "gad7": {"total": 8, "band": "mild"},
            "cssrs_risk": "none",
        },
        "criteria_version": 3,
    }


def test_recommendation_to_dict_with_missing_answers() -> None:
    out = recommendation_to_dict(evaluate(Answers(), DEFAULT_CRITERIA), 1)
    assert out["level"] is None
    assert out["missing"][0] == "cssrs"  # type: ignore[index]
    assert out["scores"] == {"phq9": None, "gad7": None, "cssrs_risk": None}
    assert json.dumps(out)


def test_reason_values_are_read_only_but_json_ready_and_copyable() -> None:
    rec = evaluate(complete(phq9=phq9(18)), DEFAULT_CRITERIA)
    values = rec.reasons[0].values
    with pytest.raises(TypeError):
        values["threshold"] = 1
    with pytest.raises(TypeError):
        values.update(threshold=1)
    assert json.loads(json.dumps(values)) == {"phq9_total": 18, "threshold": 15}
    assert pickle.loads(pickle.dumps(values)) == values  # noqa: S301
    assert copy.deepcopy(values) == values
    # A copy is a plain dict that can be edited.
    copied = dict(values)
    copied["threshold"] = 1
    assert evaluate(complete(phq9=phq9(18)), DEFAULT_CRITERIA).reasons[0].values == {
        "phq9_total": 18,
        "threshold": 15,
    }


def test_recommendation_dict_is_fresh_and_safe_to_change() -> None:
    answers = complete(gad7=gad7(18), safe_housing=False)
    first = recommendation_to_dict(evaluate(answers, DEFAULT_CRITERIA), 1)
    first["reasons"][0]["values"]["iop_reasons"].append("EDITED")  # type: ignore[index]
    again = recommendation_to_dict(evaluate(answers, DEFAULT_CRITERIA), 1)
    assert again["reasons"][0]["values"]["iop_reasons"] == ["GAD7_IOP"]  # type: ignore[index]


def test_results_do_not_depend_on_the_memo_caches() -> None:
    cases = [Answers(), complete(), complete(phq9=phq9(16), safe_housing=MISSING)]
    before = [evaluate(a, CUSTOM) for a in cases]
    clear_caches()
    assert [evaluate(a, CUSTOM) for a in cases] == before


def test_evaluation_is_deterministic_and_does_not_depend_on_history() -> None:
    answers = complete(phq9=phq9(16), safe_housing=False)
    first = evaluate(answers, DEFAULT_CRITERIA)
    evaluate(complete(phq9=phq9(16)), CUSTOM)
    assert evaluate(answers, DEFAULT_CRITERIA) == first
    assert recommendation_to_dict(first, 1) == recommendation_to_dict(
        evaluate(answers, DEFAULT_CRITERIA), 1
    )


def test_rules_import_no_django() -> None:
    code = (
        "import sys, levelofcare.rules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "[]"


PURE_MODULES = {
    "levelofcare.rules": RULES_PY,
    "intake.catalogue": ROOT / "intake" / "catalogue.py",
    "intake.answers": ROOT / "intake" / "answers.py",
}


@pytest.mark.parametrize("module", sorted(PURE_MODULES))
def test_rules_and_catalogue_import_only_the_standard_library(module: str) -> None:
    tree = ast.parse(PURE_MODULES[module].read_text())
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    outside = (
        {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names}
        - set(PURE_MODULES)
        - {"intake"}
    )
    assert not outside, outside
