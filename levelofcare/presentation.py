"""Turn stored recommendation JSON into rows for templates (labels, anchors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANSWER_LABELS = {
    "cssrs": ("C-SSRS screener (risk of self-harm)", "cssrs_wish_dead"),
    "cssrs.wish_dead": ("C-SSRS question 1: wish to be dead", "cssrs_wish_dead"),
    "cssrs.suicidal_thoughts": (
        "C-SSRS question 2: suicidal thoughts",
        "cssrs_suicidal_thoughts",
    ),
    "cssrs.method": ("C-SSRS question 3: thoughts of a method", "cssrs_method"),
    "cssrs.intent": ("C-SSRS question 4: intent", "cssrs_intent"),
    "cssrs.plan": ("C-SSRS question 5: plan", "cssrs_plan"),
    "cssrs.behavior_ever": (
        "C-SSRS question 6: suicidal behaviour",
        "cssrs_behavior_ever",
    ),
    "cssrs.behavior_past_3_months": (
        "C-SSRS question 6b: behaviour in the past 3 months",
        "cssrs_behavior_past_3_months",
    ),
    "harm_to_others": ("Risk of harming others", "harm_to_others"),
    "phq9": ("PHQ-9 (all 9 items)", "phq9_1"),
    "gad7": ("GAD-7 (all 7 items)", "gad7_1"),
    "impaired_judgement": ("Impaired judgement", "impaired_judgement"),
    "can_care_for_self": ("Can care for self", "can_care_for_self"),
    "safe_housing": ("Safe housing", "safe_housing"),
    "support_at_home": ("Support at home", "support_at_home"),
    "needs_medical_detox": ("Needs medical detox", "needs_medical_detox"),
    "needs_24h_medical_monitoring": (
        "Needs 24-hour medical monitoring",
        "needs_24h_medical_monitoring",
    ),
    "work_or_school_commitment": (
        "Work, school or caregiving commitments",
        "work_or_school_commitment",
    ),
    "can_attend_3_days_week": ("Can attend 3+ days a week", "can_attend_3_days_week"),
    "discharged_inpatient_days_ago": (
        "Days since discharge from inpatient care",
        "discharged_inpatient",
    ),
    "weeks_weekly_therapy_without_improvement": (
        "Weeks of weekly therapy without improvement",
        "in_weekly_therapy",
    ),
}

BAND_LABELS = {
    "minimal": "minimal",
    "mild": "mild",
    "moderate": "moderate",
    "moderately_severe": "moderately severe",
    "severe": "severe",
}


@dataclass(frozen=True)
class MissingLink:
    key: str
    label: str
    field: str

    @property
    def anchor(self) -> str:
        return f"div_id_{self.field}"


@dataclass(frozen=True)
class ReasonRow:
    code: str
    text: str
    values: list[tuple[str, str]]


def _show(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "—"
    return str(value)


def reason_rows(reasons: list[dict[str, Any]]) -> list[ReasonRow]:
    return [
        ReasonRow(
            code=r["code"],
            text=r["text"],
            values=[(k.replace("_", " "), _show(v)) for k, v in r["values"].items()],
        )
        for r in reasons
    ]


def missing_links(missing: list[str]) -> list[MissingLink]:
    rows = []
    for key in missing:
        label, field = ANSWER_LABELS.get(key, (key.replace("_", " "), key))
        rows.append(MissingLink(key=key, label=label, field=field))
    return rows


def answer_sections(answers: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The stored answers as (section, [(question, answer)]) in form order."""
    from intake import forms as f

    def yes_no(value: Any) -> str:
        return "not answered" if value is None else ("yes" if value else "no")

    cssrs = answers.get("cssrs") or {}
    risk = [
        (label, yes_no(cssrs.get(key)))
        for key, label in f.CSSRS_QUESTIONS.items()
        if key not in f.CSSRS_GATED or cssrs.get(f.CSSRS_GATED[key])
    ]
    risk.append(
        ("Risk of harming others", answers.get("harm_to_others", "not answered"))
    )
    freq = dict(f.FREQUENCY)

    def items(name: str, labels: tuple[str, ...]) -> list[tuple[str, str]]:
        values = answers.get(name)
        title = f"{name.upper()[:3]}-{name[3:]}"  # phq9 -> PHQ-9
        if values is None:
            return [(title, "not answered")]
        return [
            (f"{title} {i}. {label}", f"{value} ({freq[str(value)].lower()})")
            for i, (label, value) in enumerate(
                zip(labels, values, strict=True), start=1
            )
        ]

    def bools(keys: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(f.BOOL_QUESTIONS[k], yes_no(answers.get(k))) for k in keys]

    def history(key: str) -> tuple[str, str]:
        label = f.HISTORY[key][2]
        if key not in answers:
            return (label, "not answered")
        return (label, "does not apply" if answers[key] is None else str(answers[key]))

    return [
        ("Risk of self-harm", risk),
        (
            "Symptom severity",
            items("phq9", f.PHQ9_ITEMS)
            + items("gad7", f.GAD7_ITEMS)
            + bools(("impaired_judgement",)),
        ),
        (
            "Ability to live safely at home",
            bools(
                (
                    "can_care_for_self",
                    "safe_housing",
                    "support_at_home",
                    "needs_medical_detox",
                    "needs_24h_medical_monitoring",
                )
            ),
        ),
        ("Commitments", bools(("work_or_school_commitment", "can_attend_3_days_week"))),
        (
            "History",
            [
                history("discharged_inpatient_days_ago"),
                history("weeks_weekly_therapy_without_improvement"),
            ],
        ),
    ]
