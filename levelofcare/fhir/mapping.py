"""FHIR codes <-> the question catalogue, both ways. Pure: no Django, no I/O.

Reading a QuestionnaireResponse (a PHQ-9 or a GAD-7 from a patient portal, or
one locatr exported) into answers: `questionnaire_response_read` validates it
with `fhir.resources` (FHIR R4) and maps every answered item through the
catalogue's codes. fhir.resources checks structure and types, never
terminology: the codes are checked here, against the catalogue.

How an item is recognised: FHIR R4 QuestionnaireResponse items carry no codes
(those live in the Questionnaire), so the `linkId` carries it, as in LOINC's own
forms: a LOINC item code ("44250-9", or LHC-Forms' "/44250-9"), or locatr's own
path ("phq9.3", "cssrs.intent": system `urn:locatr:question`). A group whose
linkId is a panel code (44249-1, 69737-5), or a `questionnaire` naming one
("http://loinc.org/q/44249-1"), must hold items of that instrument only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pydantic
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from intake.catalogue import (
    INSTRUMENTS,
    LOCATR_QUESTION_SYSTEM,
    LOINC,
    QUESTIONS,
    Code,
    Instrument,
    codes_of,
    question,
)

# Instruments a client may report themselves (patient-reported outcomes).
PATIENT_REPORTED: Final = ("phq9", "gad7")
# Answers without a LOINC answer code: a count question answered "does not apply".
LOCATR_ANSWER_SYSTEM: Final = "urn:locatr:answer"
NOT_APPLICABLE: Final = Code(
    LOCATR_ANSWER_SYSTEM, "not-applicable", "Does not apply", "locatr"
)


@dataclass(frozen=True)
class Target:
    """What a code names: a question (`path`), or an instrument's `item` (1-based)."""

    path: str
    item: int | None = None

    @property
    def label(self) -> str:
        if self.item is not None:
            return f"{INSTRUMENTS[self.path].name} item {self.item}"
        return question(self.path).short_label


def _targets() -> Iterator[tuple[tuple[str, str], Target]]:
    for top in QUESTIONS:
        for q in (top, *top.parts):
            if q.instrument is not None:
                for n in range(1, len(q.instrument.items) + 1):
                    for code in codes_of(q.path, n):
                        yield (code.system, code.code), Target(q.path, n)
                    own = (LOCATR_QUESTION_SYSTEM, f"{q.path}.{n}")
                    yield own, Target(q.path, n)
            else:
                for code in codes_of(q.path):
                    yield (code.system, code.code), Target(q.path)
                yield (LOCATR_QUESTION_SYSTEM, q.path), Target(q.path)


# (system, code) -> the question or item it names.
BY_CODE: Final[Mapping[tuple[str, str], Target]] = dict(_targets())
# A panel code -> its instrument's key.
PANELS: Final[Mapping[tuple[str, str], str]] = {
    (code.system, code.code): key
    for key, instrument in INSTRUMENTS.items()
    for code in instrument.panel_codes
}


@dataclass(frozen=True)
class Issue:
    """One problem of an incoming resource (an OperationOutcome issue)."""

    code: str  # FHIR issue-type: "structure", "invalid", "code-invalid", ...
    diagnostics: str
    expression: str = ""

    def as_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": "error",
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class ResourceRefused(ValueError):
    """An incoming resource that cannot be imported: every issue found."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(issue.diagnostics for issue in issues))
        self.issues = issues


@dataclass(frozen=True)
class ReadResponse:
    """The patient-reported answers of a QuestionnaireResponse."""

    instruments: dict[str, list[int]]  # "phq9" -> 9 item scores
    authored: datetime
    source: str
    ignored: list[str] = field(default_factory=list)  # labels not imported


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.as_fhir() for i in issues]}


def questionnaire_response_read(payload: object) -> ReadResponse:
    """The PHQ-9 and GAD-7 answers of a QuestionnaireResponse, or
    `ResourceRefused` with every problem found.

    1. Structure: a JSON object, `resourceType` QuestionnaireResponse, valid
       FHIR R4 (fhir.resources), status `completed` or `amended`, `authored` a
       full date and time with a time zone.
    2. Items: every answered item is recognised through the catalogue's codes
       (unknown and contradictory codes are refused), has one answer, and that
       answer is an item score (a LOINC answer code of the instrument, or an
       integer 0-3).
    3. Instruments: a PHQ-9 or GAD-7 is complete (every item answered once);
       answers to other questions are not imported (named in `ignored`).
    """
    resource = _validated(payload)
    assert isinstance(payload, dict)  # noqa: S101 - _validated checked it
    issues: list[Issue] = []
    if resource.status not in ("completed", "amended"):
        issues.append(
            Issue(
                "business-rule",
                f"status is {resource.status!r}: only a completed "
                "QuestionnaireResponse can be imported.",
                "QuestionnaireResponse.status",
            )
        )
    authored = _authored(payload.get("authored"), issues)
    panel = panel_of(str(payload.get("questionnaire") or ""))
    scores, ignored = _scores(payload.get("item") or [], panel, issues)
    _check_complete(scores, issues)
    if not scores and not issues:
        issues.append(
            Issue(
                "required",
                "No PHQ-9 or GAD-7 answers found: locatr imports those two "
                "instruments only.",
                "QuestionnaireResponse.item",
            )
        )
    if issues or authored is None:
        raise ResourceRefused(issues)
    return ReadResponse(
        instruments={
            key: [answered[n] for n in sorted(answered)]
            for key, answered in scores.items()
        },
        authored=authored,
        source=_source(resource),
        ignored=ignored,
    )


def _scores(
    items: list[Any], questionnaire_panel: str | None, issues: list[Issue]
) -> tuple[dict[str, dict[int, int]], list[str]]:
    """Item scores per instrument ({"phq9": {1: 2, ...}}), and the labels of the
    answered questions that are not imported."""
    scores: dict[str, dict[int, int]] = {}
    ignored: list[str] = []
    for path, item, panel in _answered_items(items, "item", questionnaire_panel):
        target = _target_of(item, path, issues)
        if target is None:
            continue
        if panel is not None and target.item is not None and target.path != panel:
            issues.append(
                Issue(
                    "code-invalid",
                    f"{target.label} sits in a {INSTRUMENTS[panel].name} panel.",
                    f"QuestionnaireResponse.{path}",
                )
            )
            continue
        if target.item is None or target.path not in PATIENT_REPORTED:
            ignored.append(target.label)
            continue
        score = _score(item, INSTRUMENTS[target.path], path, issues)
        answered = scores.setdefault(target.path, {})
        if score is None:
            # Refused (an issue says why), yet answered: not also "incomplete".
            answered.setdefault(target.item, -1)
            continue
        if target.item in answered:
            issues.append(
                Issue("duplicate", f"{target.label} is answered twice.", path)
            )
        answered[target.item] = score
    return scores, ignored


def _check_complete(scores: dict[str, dict[int, int]], issues: list[Issue]) -> None:
    for key, answered in scores.items():
        instrument = INSTRUMENTS[key]
        missing = [
            str(n) for n in range(1, len(instrument.items) + 1) if n not in answered
        ]
        if missing:
            items = "items" if len(missing) > 1 else "item"
            verb = "have" if len(missing) > 1 else "has"
            issues.append(
                Issue(
                    "required",
                    f"{instrument.name} is incomplete: {items} {', '.join(missing)} "
                    f"{verb} no answer. Send every item of the instrument.",
                    "QuestionnaireResponse.item",
                )
            )


def _validated(payload: object) -> QuestionnaireResponse:
    if not isinstance(payload, dict):
        raise ResourceRefused(
            [Issue("structure", "The body must be a JSON object (a FHIR resource).")]
        )
    kind = payload.get("resourceType")
    if kind != "QuestionnaireResponse":
        raise ResourceRefused(
            [
                Issue(
                    "not-supported",
                    f"resourceType is {kind!r}: send a QuestionnaireResponse.",
                    "resourceType",
                )
            ]
        )
    try:
        return QuestionnaireResponse.parse_obj(payload)
    except pydantic.ValidationError as exc:
        raise ResourceRefused(
            [
                Issue(
                    "structure",
                    f"Not a valid FHIR R4 QuestionnaireResponse: {error['msg']}.",
                    ".".join(
                        ["QuestionnaireResponse", *(str(p) for p in error["loc"])]
                    ),
                )
                for error in exc.errors()[:20]
            ]
        ) from None
    except (TypeError, ValueError) as exc:
        raise ResourceRefused(
            [Issue("structure", f"Not a valid FHIR R4 QuestionnaireResponse: {exc}")]
        ) from None


def _authored(value: object, issues: list[Issue]) -> datetime | None:
    problem = (
        "authored (when the client answered) must be a full date and time with a "
        "time zone, e.g. 2026-03-01T09:30:00Z."
    )
    if not isinstance(value, str):
        issues.append(Issue("required", problem, "QuestionnaireResponse.authored"))
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        issues.append(Issue("value", problem, "QuestionnaireResponse.authored"))
        return None
    return when


def _source(resource: QuestionnaireResponse) -> str:
    """Where the answers came from: meta.source, else the source reference."""
    meta_source = resource.meta.source if resource.meta is not None else None
    reference = resource.source
    for value in (
        meta_source,
        reference.display if reference is not None else None,
        reference.reference if reference is not None else None,
    ):
        if value:
            return str(value)[:200]
    return "FHIR QuestionnaireResponse"


def _answered_items(
    items: list[Any], path: str, panel: str | None
) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Every item with answers (groups walked into), with its FHIRPath and the
    instrument of the panel it sits in (a group whose linkId is a panel code)."""
    for n, item in enumerate(items):
        here = f"{path}[{n}]"
        if item.get("answer"):
            yield here, item, panel
        inner = panel_of(str(item.get("linkId") or "")) or panel
        yield from _answered_items(item.get("item") or [], f"{here}.item", inner)


def panel_of(name: str) -> str | None:
    """The instrument whose panel a linkId or a Questionnaire canonical names
    ("44249-1", "http://loinc.org/q/44249-1|2.78"), or None."""
    code = name.split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return PANELS.get((LOINC, code))


def _target_of(item: dict[str, Any], path: str, issues: list[Issue]) -> Target | None:
    link_id = str(item.get("linkId") or "")
    target = link_target(link_id)
    if target is None:
        issues.append(
            Issue(
                "code-invalid",
                f"Item {link_id!r} is not a question locatr knows: use the LOINC "
                "item codes of the PHQ-9 or GAD-7 as linkIds.",
                f"QuestionnaireResponse.{path}.linkId",
            )
        )
    return target


def link_target(link_id: str) -> Target | None:
    """The question a linkId names: a code the catalogue knows (a LOINC code,
    with or without LHC-Forms' leading "/"), or locatr's own path."""
    stripped = link_id.lstrip("/")
    for system in (LOINC, LOCATR_QUESTION_SYSTEM):
        if (system, stripped) in BY_CODE:
            return BY_CODE[(system, stripped)]
    return None


def _score(
    item: dict[str, Any], instrument: Instrument, path: str, issues: list[Issue]
) -> int | None:
    where = f"QuestionnaireResponse.{path}.answer"
    answers = item["answer"]
    label = f"{instrument.name} item {item.get('linkId')!r}"
    if len(answers) != 1:
        issues.append(Issue("value", f"{label} needs exactly one answer.", where))
        return None
    answer = answers[0]
    top = instrument.max_item
    if "valueInteger" in answer:
        value = answer["valueInteger"]
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= top:
            return value
        issues.append(
            Issue("value", f"{label}: {value!r} is not a score from 0 to {top}.", where)
        )
        return None
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        wanted = (coding.get("system"), coding.get("code"))
        for score, code in enumerate(instrument.answer_codes):
            if wanted == (code.system, code.code):
                return score
        issues.append(
            Issue(
                "code-invalid",
                f"{label}: {coding.get('system')}|{coding.get('code')} is not one of "
                f"its answers ({', '.join(c.code for c in instrument.answer_codes)}).",
                where,
            )
        )
        return None
    issues.append(
        Issue(
            "value",
            f"{label}: answer with valueCoding (a LOINC answer code) or valueInteger "
            f"(0 to {top}).",
            where,
        )
    )
    return None
