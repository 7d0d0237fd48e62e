"""Issue 10, decisions: what each choice needs, corrections, deciding without a
recommendation, and the safety acknowledgement of inpatient criteria."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from intake.models import RecordView
from levelofcare import rules
from levelofcare.errors import DecisionError
from levelofcare.models import Decision
from levelofcare.recommendations import services
from levelofcare.recommendations.forms import DecisionForm
from tests.factories import PHQ9_20, answers, submit_assessment

pytestmark = pytest.mark.django_db

IOP = answers(phq9=PHQ9_20)
# Inpatient (intent to harm others) with PHQ-9 20: the IOP criterion fires as well.
INPATIENT_AND_PHQ9 = answers(harm_to_others="intent", phq9=PHQ9_20)
INSUFFICIENT = answers(cssrs=...)
HARM_INTENT_TEXT = "Intent to harm others."


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _review(rec: Any) -> str:
    return reverse("levelofcare:review", args=[rec.pk])


def _decide(http: HttpClient, rec: Any, **data: str) -> Any:
    """POST a decision as the page would: based on the latest decision shown."""
    latest = rec.decisions.order_by("-decided_at", "-pk").first()
    data.setdefault("basis", str(latest.pk) if latest else "")
    return http.post(_review(rec), data)


def _form(rec: Any, *, correcting: bool = False, **data: str) -> DecisionForm:
    return DecisionForm(data, recommendation=rec, correcting=correcting)


def _reason_text(rec: Any, code: str) -> str:
    return next(r["text"] for r in rec.reasons if r["code"] == code)


# --- accept -----------------------------------------------------------------------


def test_accepting_needs_no_reason_and_records_none(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    form = _form(rec, action="accept")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["level"] == "iop"
    # A reason left selected before switching to "Accept" is not recorded.
    response = _decide(as_clinician, rec, action="accept", reason_code="other")
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.reason_code) == (
        "accept",
        "iop",
        "",
    )


def test_an_accepted_iop_names_its_program(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _decide(as_clinician, rec, action="accept", program="Eastside IOP")
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.program) == (
        "accept",
        "iop",
        "Eastside IOP",
    )
    page = as_clinician.get(_review(rec)).content.decode()
    assert "Referred to: Eastside IOP" in page
    timeline = as_clinician.get(rec.client.get_absolute_url()).content.decode()
    assert "referred to Eastside IOP" in timeline


# --- override ---------------------------------------------------------------------


def test_override_needs_a_reason_code_and_a_rationale(
    clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    form = _form(rec, action="override", level="outpatient")
    assert not form.is_valid()
    assert set(form.errors) == {"reason_code", "rationale"}
    for missing in ({"reason_code": ""}, {"rationale": "  "}):
        kwargs = {"reason_code": "client_preference", "rationale": "Works nights."}
        with pytest.raises(DecisionError, match="coded reason and a written rationale"):
            services.decision_record(
                recommendation=rec,
                user=clinician,
                level="outpatient",
                **{**kwargs, **missing},
            )
    assert not Decision.objects.exists()
    form = _form(
        rec,
        action="override",
        level="outpatient",
        reason_code="client_preference",
        rationale="Works nights.",
    )
    assert form.is_valid(), form.errors


# --- corrections ------------------------------------------------------------------


@pytest.mark.parametrize(
    "choice",
    [
        {"action": "accept"},
        {"action": "override", "level": "outpatient", "reason_code": "other"},
    ],
    ids=["accept", "override"],
)
def test_a_correction_needs_a_rationale_whichever_choice(
    as_clinician: HttpClient, clinician: Any, coordinator: Any, choice: dict[str, str]
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    first = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="inpatient",
        reason_code="clinical_judgement",
        rationale="Wrong button.",
    )
    form = _form(rec, correcting=True, **choice)
    assert not form.is_valid()
    assert form.errors["rationale"] == [
        "Explain why the earlier decision is corrected."
    ]
    with pytest.raises(DecisionError, match="correction needs a written rationale"):
        services.decision_record(
            recommendation=rec,
            user=clinician,
            level=choice.get("level", "iop"),
            reason_code=choice.get("reason_code", ""),
            corrects=first,
        )
    # The rationale field is on the page whichever choice is made, so the
    # correction goes through the first time it is filled in.
    page = as_clinician.get(_review(rec)).content.decode()
    assert 'name="rationale"' in page
    assert "Required, whichever you choose" in page
    response = _decide(
        as_clinician, rec, **choice, rationale="Entered the wrong level."
    )
    assert response.status_code == 302
    correction = Decision.objects.get(corrects=first)
    assert correction.rationale == "Entered the wrong level."


def test_correcting_an_override_to_accept_works_the_first_time(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT_AND_PHQ9)
    assert rec.level == "inpatient"
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="iop",
        reason_code="not_available",
        rationale="No bed today.",
        safety_acknowledged="on",
    )
    assert response.status_code == 302
    response = _decide(
        as_clinician, rec, action="accept", rationale="A bed became available."
    )
    assert response.status_code == 302
    first, correction = Decision.objects.order_by("decided_at", "pk")
    assert (correction.kind, correction.level, correction.corrects) == (
        "accept",
        "inpatient",
        first,
    )
    assert (correction.reason_code, correction.safety_acknowledged) == ("", False)


# --- no recommended level ---------------------------------------------------------


def test_insufficient_information_is_decided_without_a_recommendation(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INSUFFICIENT)
    assert rec.level is None
    form = _form(rec, action="override", level="iop")
    assert not form.is_valid()
    assert set(form.errors) == {"rationale"}  # the reason code is optional
    response = _decide(as_clinician, rec, action="override", level="iop")
    assert response.status_code == 400
    assert "there is no recommended level" in response.content.decode()
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="iop",
        rationale="Interviewed in person: daily structure needed.",
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.kind == Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION
    assert decision.kind != Decision.Kind.OVERRIDE
    assert (decision.level, decision.reason_code) == ("iop", "")
    label = "Decided without a recommendation"
    assert decision.get_kind_display() == label
    page = as_clinician.get(_review(rec)).content.decode()
    assert f"<strong>{label}</strong>" in page
    timeline = as_clinician.get(rec.client.get_absolute_url()).content.decode()
    assert f"Decision:</strong> {label.lower()}" in timeline
    assert "overridden" not in timeline


def test_deciding_without_a_recommendation_needs_a_rationale_in_the_service(
    clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INSUFFICIENT)
    with pytest.raises(DecisionError, match="needs a written rationale"):
        services.decision_record(
            recommendation=rec, user=clinician, level="iop", reason_code="other"
        )
    decision = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="outpatient",
        reason_code="clinical_judgement",
        rationale="Seen in clinic.",
    )
    assert (decision.kind, decision.reason_code) == (
        "decided_without_recommendation",
        "clinical_judgement",
    )


# --- the safety acknowledgement ---------------------------------------------------


def test_every_declared_rule_has_its_level_by_code() -> None:
    assert {code: level.slug for code, level in rules.RULE_LEVELS.items()} == {
        **{r.code: r.level.slug for r in rules.DEFAULT_RULES},
        "OUTPATIENT_NO_HIGHER_CRITERIA": "outpatient",
    }


def test_safety_acknowledgement_lists_only_the_inpatient_criteria(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT_AND_PHQ9)
    codes = [r["code"] for r in rec.reasons]
    assert codes == ["RISK_HARM_OTHERS_INTENT", "PHQ9_IOP"]
    assert [r["code"] for r in rec.inpatient_reasons] == ["RISK_HARM_OTHERS_INTENT"]
    phq9_text = _reason_text(rec, "PHQ9_IOP")
    response = as_clinician.get(_review(rec))
    box = response.content.decode().split('data-testid="safety-criteria"')[1]
    box = box.split("</ul>")[0]
    assert HARM_INTENT_TEXT in box
    assert phq9_text not in box
    assert [r.code for r in response.context["safety_reasons"]] == [
        "RISK_HARM_OTHERS_INTENT"
    ]


def test_the_acknowledgement_is_shown_in_the_history_and_the_timeline(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT_AND_PHQ9)
    phq9_text = _reason_text(rec, "PHQ9_IOP")
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="iop",
        reason_code="not_available",
        rationale="No bed; daily IOP with a safety plan.",
        safety_acknowledged="on",
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.safety_acknowledged is True
    assert [r["code"] for r in decision.acknowledged_criteria] == [
        "RISK_HARM_OTHERS_INTENT"
    ]
    shown = f"Safety criteria acknowledged: {HARM_INTENT_TEXT}"
    for url in (_review(rec), rec.client.get_absolute_url()):
        html = as_clinician.get(url).content.decode()
        assert shown in html, url
        assert f"acknowledged: {HARM_INTENT_TEXT} {phq9_text}" not in html


def test_only_a_decision_below_inpatient_records_an_acknowledgement(
    clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    decision = services.decision_record(
        recommendation=rec, user=clinician, level="iop", safety_acknowledged=True
    )
    assert decision.safety_acknowledged is False
    assert decision.acknowledged_criteria == []


# --- the page ---------------------------------------------------------------------


def test_review_page_folds_the_answers_and_links_to_the_decision(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    html = as_clinician.get(_review(rec)).content.decode()
    assert 'href="#decision"' in html
    assert 'id="decision"' in html
    assert html.index("Go to decision") < html.index('<h2 class="h5">Answers</h2>')
    assert html.count('<details class="answer-section') >= 3
    assert "<details open" not in html
    # Without JavaScript every field shows, each saying when it applies.
    for name in ("level", "reason_code", "rationale", "program"):
        assert f'name="{name}"' in html
    assert "Only when you choose another level." in html


def test_inpatient_review_page_shows_the_acknowledgement_hint_without_javascript(
    as_clinician: HttpClient, coordinator: Any, clinician: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT_AND_PHQ9)
    RecordView.objects.create(user=clinician, client=rec.client, view_name="review")
    html = as_clinician.get(_review(rec)).content.decode()
    assert 'name="safety_acknowledged"' in html
    assert "Only when you choose a level below inpatient." in html


def test_the_audit_log_names_the_kind_of_each_decision(
    client: HttpClient, clinician: Any, criteria_admin: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INSUFFICIENT)
    services.decision_record(
        recommendation=rec, user=clinician, level="iop", rationale="Seen in clinic."
    )
    client.force_login(criteria_admin)
    response = client.get(
        reverse("levelofcare:audit_log"), {"client": rec.client.reference}
    )
    records = {row[3] for row in response.context["page"].object_list}
    assert "decision: decided without a recommendation" in records
    assert "decision: overridden" not in records
