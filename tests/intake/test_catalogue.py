"""The question catalogue is the one home of the questions: everything derives from it.

Keys, labels and skip logic here are read from the catalogue, never copied.
"""

from __future__ import annotations

import pytest

from intake import catalogue
from intake.answers import MISSING, Answers, answers_from_dict, answers_to_dict
from intake.forms import AssessmentForm
from levelofcare import presentation, rules

PATHS = [p for q in catalogue.QUESTIONS for p in (q.path, *(x.path for x in q.parts))]
TOP = list(catalogue.QUESTIONS)


def test_keys_are_unique_and_answers_have_one_field_per_question() -> None:
    assert len(set(PATHS)) == len(PATHS)
    assert tuple(q.key for q in TOP) == catalogue.ANSWER_KEYS
    assert all(getattr(Answers(), key) is MISSING for key in catalogue.ANSWER_KEYS)


def test_every_question_belongs_to_a_section_and_has_labels() -> None:
    sections = {s.key for s in catalogue.SECTIONS}
    for path in PATHS:
        q = catalogue.question(path)
        assert q.section in sections, path
        assert q.label.strip() and q.short_label.strip(), path


def test_every_gate_is_an_earlier_yes_no_part_of_the_same_screener() -> None:
    for q in TOP:
        seen: list[str] = []
        for part in q.parts:
            if part.gate is not None:
                assert part.gate in seen, part.path
                assert catalogue.question(f"{q.key}.{part.gate}").kind == "yes_no"
            seen.append(part.key)


@pytest.mark.parametrize("key", list(catalogue.INSTRUMENTS))
def test_instrument_bands_cover_every_total_once(key: str) -> None:
    inst = catalogue.INSTRUMENTS[key]
    tops = [band.top for band in inst.bands]
    assert tops == sorted(tops) and tops[-1] == inst.max_total
    assert {catalogue.band_of(inst, t).key for t in range(inst.max_total + 1)} == {
        band.key for band in inst.bands
    }


@pytest.mark.parametrize("path", PATHS)
def test_every_question_has_a_form_field_with_the_catalogue_label(path: str) -> None:
    form = AssessmentForm()
    q = catalogue.question(path)
    name = catalogue.field_name(path)
    assert name in form.fields
    if q.kind == "items":
        assert q.instrument is not None
        assert q.instrument.items[0].label in str(form.fields[name].label)
    elif q.kind == "count_or_none":
        assert form.fields[name].label == q.gate_label
        assert form.fields[q.key].label == q.count_label
    elif q.kind != "screener":
        assert form.fields[name].label == q.label


@pytest.mark.parametrize("path", PATHS)
def test_every_missing_answer_has_a_label_and_an_anchor_in_the_form(path: str) -> None:
    (link,) = presentation.missing_links([path])
    assert link.label == catalogue.question(path).short_label
    assert link.field in AssessmentForm().fields


def test_answer_sections_follow_the_catalogue_sections() -> None:
    sections = presentation.answer_sections({})
    assert [title for title, _ in sections] == [
        s.short_title for s in catalogue.SECTIONS
    ]
    rows = dict(row for _, rows in sections for row in rows)
    assert rows[catalogue.question("safe_housing").label] == "not answered"


def _gated_parts() -> list[catalogue.Question]:
    return [p for q in TOP for p in q.parts if p.gate]


@pytest.mark.parametrize("part", _gated_parts(), ids=lambda p: p.path)
def test_skip_logic_from_the_catalogue_backs_form_and_contract(
    part: catalogue.Question,
) -> None:
    with pytest.raises(rules.AnswersError) as caught:
        answers_from_dict({part.parent: {part.key: True}})
    assert part.path in caught.value.errors
    form = AssessmentForm({catalogue.field_name(part.path): "yes"})
    assert not form.is_valid()
    assert catalogue.field_name(part.path) in form.errors
    allowed = {part.parent: {part.gate: True, part.key: True}}
    assert answers_to_dict(answers_from_dict(allowed)) == allowed


def test_scoring_for_the_browser_comes_from_the_instruments() -> None:
    scoring = catalogue.scoring_for_browser()
    assert set(scoring) == set(catalogue.INSTRUMENTS)
    phq9 = scoring["phq9"]
    assert isinstance(phq9, dict)
    assert phq9["items"] == len(catalogue.PHQ9.items)
    assert phq9["bands"][-1] == [catalogue.PHQ9.max_total, "severe"]
    assert phq9["flagItem"] == 9


def test_assessment_page_hands_the_scoring_to_the_browser(
    client: object, coordinator: object
) -> None:
    from django.urls import reverse

    from tests.factories import ClientFactory

    person = ClientFactory()
    client.force_login(coordinator)  # type: ignore[attr-defined]
    page = client.get(  # type: ignore[attr-defined]
        reverse("levelofcare:assessment_create", args=[person.pk]), follow=True
    )
    assert 'id="instrument-scoring"' in page.content.decode()
    assert '"flagItem": 9' in page.content.decode()
