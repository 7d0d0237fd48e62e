"""Turn stored recommendation JSON into rows for templates (labels, anchors).

Every label comes from the question catalogue (`intake.catalogue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from intake import catalogue
from levelofcare import rules
from levelofcare.recommendations.services import REVIEW_VIEW_NAME


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


# Reason values that are neither a question nor a threshold, by their key in
# `Reason.values` (see the checks in `levelofcare.rules`).
_VALUE_LABELS: Final = {
    "phq9_total": f"{catalogue.PHQ9.name} total",
    "gad7_total": f"{catalogue.GAD7.name} total",
    "cssrs_risk": "C-SSRS risk",
    "threshold": "IOP threshold",
    "weeks": catalogue.question("weeks_weekly_therapy_without_improvement").short_label,
    "days_since_discharge": catalogue.question(
        "discharged_inpatient_days_ago"
    ).short_label,
    "window_days": "Step-down window (days)",
    "persistent_weeks_min": "Threshold (weeks)",
    "iop_reasons": "IOP criteria that fired",
}
_THRESHOLD_LABELS: Final = {t.name: t.short_label for t in rules.THRESHOLDS}


def _question(key: str) -> catalogue.Question | None:
    """The catalogue question a reason value names: top level or a C-SSRS part."""
    for path in (key, f"{catalogue.CSSRS.key}.{key}"):
        try:
            return catalogue.question(path)
        except KeyError:
            continue
    return None


def value_label(key: str) -> str:
    """A reason value's name as staff read it: "phq9_total" -> "PHQ-9 total"."""
    if key in _VALUE_LABELS:
        return _VALUE_LABELS[key]
    if key in _THRESHOLD_LABELS:
        return _THRESHOLD_LABELS[key]
    q = _question(key)
    if q is not None:
        return q.short_label
    return key.replace("_", " ").capitalize()


def value_text(key: str, value: Any) -> str:
    """A reason value as staff read it: yes/no, a choice's label, a list joined."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(key, v) for v in value) or "—"
    q = _question(key)
    if q is not None and q.choices:
        return dict(q.choices).get(str(value), str(value))
    return str(value)


def reason_rows(reasons: list[dict[str, Any]]) -> list[ReasonRow]:
    return [
        ReasonRow(
            code=r["code"],
            text=r["text"],
            values=[(value_label(k), value_text(k, v)) for k, v in r["values"].items()],
        )
        for r in reasons
    ]


def missing_links(missing: list[str]) -> list[MissingLink]:
    """Each missing answer with its label and the form field that answers it."""
    rows = []
    for key in missing:
        try:
            field = catalogue.field_name(key)
        except KeyError:  # a key from an older catalogue: show it, link nowhere new
            field = key
        rows.append(MissingLink(key, catalogue.missing_label(key), field))
    return rows


def _yes_no(value: Any) -> str:
    return "not answered" if value is None else ("yes" if value else "no")


def _answer_rows(q: catalogue.Question, value: Any) -> list[tuple[str, str]]:
    """(question, answer) rows of one catalogue question, as staff read them."""
    if q.kind == catalogue.SCREENER:
        parts = value if isinstance(value, dict) else {}
        return [
            (part.label, _yes_no(parts.get(part.key)))
            for part in q.parts
            if part.gate is None or parts.get(part.gate)
        ]
    if q.kind == catalogue.ITEMS:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        inst = q.instrument
        if value is None:
            return [(inst.name, "not answered")]
        choices = dict(inst.item_choices)
        return [
            (f"{inst.name} {i}. {item.label}", f"{v} ({choices[str(v)].lower()})")
            for i, (item, v) in enumerate(zip(inst.items, value, strict=True), start=1)
        ]
    if q.kind == catalogue.COUNT_OR_NONE:
        return [(q.count_label, _count(value))]
    if q.kind == catalogue.YES_NO:
        return [(q.label, _yes_no(value))]
    return [(q.label, "not answered" if value is None else str(value))]


def _count(value: Any) -> str:
    if value is _ABSENT:
        return "not answered"
    return "does not apply" if value is None else str(value)


_ABSENT: Final = object()


def answer_sections(answers: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The stored answers as (section, [(question, answer)]) in form order."""
    return [
        (
            section.short_title,
            [
                row
                for q in catalogue.questions_in(section.key)
                for row in _answer_rows(
                    q,
                    answers.get(
                        q.key, _ABSENT if q.kind == catalogue.COUNT_OR_NONE else None
                    ),
                )
            ],
        )
        for section in catalogue.SECTIONS
    ]


# Record-view names (`RecordView.view_name`) of the pages that list clients or
# show the assessment form; each page writes one (the list: one per client).
CLIENT_LIST_VIEW_NAME: Final = "client_list"
CLIENT_SEARCH_VIEW_NAME: Final = "client_search"
ASSESSMENT_NEW_VIEW_NAME: Final = "assessment_new"
ASSESSMENT_FROM_VIEW_NAME: Final = "assessment_new_from"
ASSESSMENT_EDIT_VIEW_NAME: Final = "assessment_edit"
PROGRESS_REVIEW_START_VIEW_NAME: Final = "progress_review_start"

# The pages a `RecordView` names (its `view_name`), as the audit log shows them.
RECORD_VIEW_PAGES: Final = {
    "client_detail": "Client record",
    "assessment_result": "Assessment result",
    REVIEW_VIEW_NAME: "Recommendation review",
    CLIENT_LIST_VIEW_NAME: "Client list",
    CLIENT_SEARCH_VIEW_NAME: "Client search results (terms not logged)",
    ASSESSMENT_NEW_VIEW_NAME: "New assessment form",
    ASSESSMENT_FROM_VIEW_NAME: "New assessment from earlier answers",
    ASSESSMENT_EDIT_VIEW_NAME: "Draft assessment",
    PROGRESS_REVIEW_START_VIEW_NAME: "Progress review form",
}
# History rows (`history_type`) and sign-in events (`AuthEvent.kind`) in words.
AUDIT_ACTIONS: Final = {
    "+": "created",
    "~": "changed",
    "-": "deleted",
    "viewed": "viewed",
    "login": "signed in",
    "logout": "signed out",
    "login_failed": "failed sign-in",
    "break_glass": "broke the glass",
}


def page_name(view_name: str) -> str:
    """A record view's page in words: "client_detail" -> "Client record"."""
    return RECORD_VIEW_PAGES.get(view_name, view_name.replace("_", " ").capitalize())


def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action.replace("_", " "))


# An assessment's safety reasons: the reasons of its inpatient criteria (from the
# rules' declarations) and its notes about suicide risk.
_INPATIENT_CODES: Final = frozenset(
    r.code for r in rules.DEFAULT_RULES if r.level is rules.Level.INPATIENT
)
_SAFETY_NOTE_CODES: Final = frozenset({"NOTE_PHQ9_ITEM9", "NOTE_SAFETY_PLAN"})


def safety_rows(
    reasons: list[dict[str, Any]], notes: list[dict[str, Any]]
) -> list[ReasonRow]:
    """The safety reasons of a recommendation: inpatient-level reasons, then the
    safety notes."""
    return reason_rows([r for r in reasons if r["code"] in _INPATIENT_CODES]) + [
        ReasonRow(code=n["code"], text=n["text"], values=[])
        for n in notes
        if n["code"] in _SAFETY_NOTE_CODES
    ]
