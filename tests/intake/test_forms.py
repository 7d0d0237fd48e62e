"""The assessment form produces exactly the answers contract, with the same checks."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms

from intake.catalogue import CSSRS_PARENT, QUESTIONS, field_name, gate_field_name
from intake.forms import AssessmentForm, ClientForm
from tests.factories import OUTPATIENT_ANSWERS, answers, form_data

# C-SSRS questions 3-5 (gated by question 2) and 6b (gated by question 6).
AFTER_QUESTION_2 = [q for q, g in CSSRS_PARENT.items() if g == "suicidal_thoughts"]
AFTER_QUESTION_6 = [q for q, g in CSSRS_PARENT.items() if g == "behavior_ever"]
IN_WEEKLY_THERAPY = gate_field_name("weeks_weekly_therapy_without_improvement")


def _form(data: dict[str, str]) -> AssessmentForm:
    form = AssessmentForm(data)
    form.is_valid()
    return form


def test_complete_form_round_trips_to_the_contract() -> None:
    form = _form(form_data(OUTPATIENT_ANSWERS))
    assert form.is_valid(), form.errors
    assert form.to_answers() == OUTPATIENT_ANSWERS
    assert form.unanswered() == []


def test_empty_form_is_valid_and_every_question_is_unanswered() -> None:
    form = _form({})
    assert form.is_valid()
    assert form.to_answers() == {}
    names = [name for name, _ in form.unanswered()]
    assert field_name("cssrs.wish_dead") in names and field_name("phq9", 9) in names
    # Questions 3-5 only apply after "yes" to question 2.
    assert not {field_name(f"cssrs.{q}") for q in AFTER_QUESTION_2} & set(names)


@pytest.mark.parametrize("gated", AFTER_QUESTION_2)
def test_cssrs_questions_3_to_5_need_yes_to_question_2(gated: str) -> None:
    name = field_name(f"cssrs.{gated}")
    form = _form(form_data(answers(), **{name: "yes"}))
    assert not form.is_valid()
    assert "question 2" in form.errors[name][0]


@pytest.mark.parametrize("gated", AFTER_QUESTION_6)
def test_cssrs_6b_needs_yes_to_question_6(gated: str) -> None:
    name = field_name(f"cssrs.{gated}")
    form = _form(form_data(answers(), **{name: "yes"}))
    assert "question 6" in form.errors[name][0]


def test_cssrs_questions_3_to_5_count_after_yes_to_question_2() -> None:
    cssrs = {
        "wish_dead": True,
        "suicidal_thoughts": True,
        "method": True,
        "intent": False,
        "plan": False,
        "behavior_ever": False,
    }
    form = _form(form_data(answers(cssrs=cssrs)))
    assert form.is_valid(), form.errors
    assert form.to_answers()["cssrs"] == cssrs


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (field_name("phq9", 3), "4", "Select a valid choice"),
        (field_name("gad7", 1), "-1", "Select a valid choice"),
        ("harm_to_others", "maybe", "Select a valid choice"),
        ("safe_housing", "perhaps", "Select a valid choice"),
        ("discharged_inpatient_days_ago", "-3", "greater than or equal to 0"),
        ("discharged_inpatient_days_ago", "ten", "Enter a whole number"),
    ],
)
def test_bad_values_get_a_message_next_to_the_field(
    field: str, value: str, message: str
) -> None:
    data = form_data(answers(discharged_inpatient_days_ago=5), **{field: value})
    form = _form(data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_days_since_discharge_need_yes_first() -> None:
    data = form_data(answers(), discharged_inpatient_days_ago="12")
    form = _form(data)
    assert "first" in form.errors["discharged_inpatient_days_ago"][0]


def test_history_no_means_does_not_apply_and_yes_without_days_is_unanswered() -> None:
    form = _form(
        form_data(
            answers(),
            **{IN_WEEKLY_THERAPY: "yes"},
            weeks_weekly_therapy_without_improvement="",
        )
    )
    assert form.is_valid(), form.errors
    result = form.to_answers()
    assert result["discharged_inpatient_days_ago"] is None
    assert "weeks_weekly_therapy_without_improvement" not in result
    assert form.to_partial_items() == {IN_WEEKLY_THERAPY: "yes"}


def test_partly_answered_instrument_is_kept_but_not_an_answer() -> None:
    data = form_data(answers(phq9=...))
    data.update({field_name("phq9", 1): "2", field_name("phq9", 2): "3"})
    form = _form(data)
    assert form.is_valid()
    assert "phq9" not in form.to_answers()
    assert form.to_partial_items()["phq9"] == [
        2,
        3,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    initial = AssessmentForm.initial_from(form.to_answers(), form.to_partial_items())
    assert initial[field_name("phq9", 1)] == "2"
    assert initial[field_name("phq9", 2)] == "3"
    assert field_name("phq9", 3) not in initial


def test_initial_from_stored_answers_reproduces_the_form() -> None:
    initial = AssessmentForm.initial_from(OUTPATIENT_ANSWERS, {}, "note")
    form = _form({k: str(v) for k, v in initial.items()})
    assert form.is_valid(), form.errors
    assert form.to_answers() == OUTPATIENT_ANSWERS


def test_unanswered_names_each_question_as_in_a_list_in_form_order() -> None:
    data = form_data(answers(harm_to_others=..., phq9=...))
    data[gate_field_name("discharged_inpatient_days_ago")] = "yes"  # days left empty
    form = _form(data)
    unanswered = form.unanswered()
    assert [name for name, _ in unanswered] == [
        "harm_to_others",
        *(field_name("phq9", i) for i in range(1, 10)),
        "discharged_inpatient_days_ago",
    ]
    labels = dict(unanswered)
    assert labels["harm_to_others"] == "Risk of harming others"
    assert labels[field_name("phq9", 2)] == (
        "PHQ-9 item 2: Feeling down, depressed, or hopeless"
    )
    assert labels["discharged_inpatient_days_ago"] == "Days since discharge"


def test_unanswered_ignores_fields_that_are_not_questions() -> None:
    form = AssessmentForm(form_data(answers()))
    form.fields["one_time_token"] = forms.CharField(required=False)
    assert form.is_valid()
    assert form.unanswered() == []


# --- a progress review: safety is asked afresh, the rest carried forward ----------

REASKED = {q.key for q in QUESTIONS if q.reask_on_review}


def test_the_catalogue_asks_the_screener_and_harm_to_others_afresh() -> None:
    assert {"cssrs", "harm_to_others"} == REASKED


def test_review_initial_data_leaves_out_the_questions_asked_afresh() -> None:
    earlier = answers(
        harm_to_others="intent",
        cssrs={
            "wish_dead": True,
            "suicidal_thoughts": True,
            "method": False,
            "intent": False,
            "plan": False,
            "behavior_ever": False,
        },
    )
    initial = AssessmentForm.initial_for_review(earlier, {})
    assert not any(name.startswith("cssrs_") for name in initial)
    assert "harm_to_others" not in initial
    assert "notes" not in initial
    assert initial[field_name("phq9", 1)] == "1"
    assert initial["safe_housing"] == "yes"
    assert initial[gate_field_name("discharged_inpatient_days_ago")] == "no"
    # Everything else is exactly what a plain pre-fill gives.
    full = AssessmentForm.initial_from(earlier, {})
    dropped = {k for k in full if k.startswith("cssrs_")} | {"harm_to_others", "notes"}
    assert initial == {k: v for k, v in full.items() if k not in dropped}


def test_carried_forward_answers_are_marked_until_changed() -> None:
    earlier = AssessmentForm.initial_for_review(answers(), {})
    form = AssessmentForm(initial=earlier)
    form.mark_carried_forward(earlier, date(2025, 3, 4))
    assert form.carried_forward == frozenset(earlier)
    marker = "Carried forward from the assessment of 4 Mar 2025; check it."
    assert marker in str(form[field_name("phq9", 1)].help_text)  # as rendered
    assert "harm_to_others" not in form.carried_forward
    assert not form.fields["harm_to_others"].help_text
    # A count's own help text stays after the marker.
    assert "Leave the days empty" in str(
        form.fields["discharged_inpatient_days_ago"].help_text
    )

    # Posted with one answer changed: that one is no longer carried forward.
    data = form_data(answers(safe_housing=False))
    bound = AssessmentForm(data, initial=earlier)
    bound.mark_carried_forward(earlier, date(2025, 3, 4))
    assert "safe_housing" not in bound.carried_forward
    assert field_name("phq9", 1) in bound.carried_forward
    assert not bound.fields["safe_housing"].help_text


@pytest.mark.django_db
def test_client_reference_must_be_unique_with_a_clear_message(
    coordinator: object,
) -> None:
    from tests.factories import ClientFactory

    ClientFactory(reference="ABC-123")
    form = ClientForm(
        {
            "reference": "abc-123",
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "1990-01-01",
        }
    )
    assert not form.is_valid()
    assert form.errors["reference"] == ["A client with this reference already exists."]


@pytest.mark.django_db
def test_client_date_of_birth_cannot_be_in_the_future() -> None:
    form = ClientForm(
        {
            "reference": "X1",
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2999-01-01",
        }
    )
    assert form.errors["date_of_birth"] == ["Date of birth cannot be in the future."]


@pytest.mark.parametrize(
    "answer_dict",
    [
        {},
        answers(),
        answers(cssrs={"wish_dead": True}, phq9=..., gad7=[3] * 7),
        answers(
            discharged_inpatient_days_ago=12,
            weeks_weekly_therapy_without_improvement=None,
        ),
        answers(harm_to_others="thoughts", safe_housing=...),
    ],
)
def test_form_data_round_trips_any_contract_answers(answer_dict: dict) -> None:
    form = _form(AssessmentForm.data_from_answers(answer_dict))
    assert form.is_valid(), form.errors
    assert form.to_answers() == answer_dict
