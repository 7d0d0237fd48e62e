"""Client and assessment forms. The assessment form's output is the answers contract.

The assessment form is built from the question catalogue (`intake.catalogue`):
fields, labels, layout and skip logic. Shape checks (types, ranges, C-SSRS skip
logic) are the same ones that back the JSON contract: `to_answers()` is validated
by `intake.answers.answers_from_dict`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Final

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape

from intake import catalogue
from intake.answers import MISSING, AnswersError, answers_from_dict
from intake.catalogue import QUESTIONS
from intake.models import Client

YES_NO = list(catalogue.YES_NO_CHOICES)
SUBMISSION_TOKEN: Final = "submission_token"  # noqa: S105 - a field name


def _radio(
    label: str, choices: Iterable[tuple[str, str]], **kwargs: Any
) -> forms.Field:
    return forms.ChoiceField(
        label=label,
        choices=list(choices),
        required=False,
        widget=forms.RadioSelect,
        **kwargs,
    )


def _yes_no(value: object) -> str:
    return "yes" if value else "no"


class ClientForm(forms.ModelForm):  # type: ignore[type-arg]  # no [Client] at run time
    class Meta:
        model = Client
        fields = ["reference", "given_name", "family_name", "date_of_birth", "contact"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
        error_messages = {
            "reference": {"unique": "A client with this reference already exists."}
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reference"].widget.attrs.update(autofocus=True)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_reference(self) -> str:
        reference: str = self.cleaned_data["reference"].strip().upper()
        if not reference:
            raise ValidationError("Enter the clinic reference.")
        return reference

    def clean_date_of_birth(self) -> date:
        dob: date = self.cleaned_data["date_of_birth"]
        if dob > date.today():  # noqa: DTZ011 - a calendar date, not a timestamp
            raise ValidationError("Date of birth cannot be in the future.")
        if dob.year < 1900:
            raise ValidationError("Enter a date of birth after 1900.")
        return dob


class AssessmentForm(forms.Form):
    """All sections of the assessment, built from the question catalogue.

    Every question may stay unanswered. Field names: screener parts are
    `cssrs_<part>`, instrument items `phq9_<n>`, count questions a "does it
    apply?" radio (`catalogue.gate_field_name`) and the count under the
    question's own key.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in QUESTIONS:
            self.fields.update(_fields(q))
        self.fields["notes"] = forms.CharField(
            label="Coordinator notes",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=5000,
        )
        # One per rendered form (the view issues it): a second POST of the same
        # form finds the assessment the first one made.
        self.fields[SUBMISSION_TOKEN] = forms.UUIDField(
            required=False, widget=forms.HiddenInput
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = _layout()

    @property
    def scoring(self) -> dict[str, object]:
        """Instrument items and bands for the page's live totals (json_script)."""
        return catalogue.scoring_for_browser()

    def flag_item_positive(self) -> bool:
        """A flagged item (PHQ-9 item 9: thoughts of death or self-harm) answered
        above 0, as typed (bound or initial): the page shows its safety banner."""
        for key, inst in catalogue.INSTRUMENTS.items():
            if inst.flag_item is not None:
                value = self[catalogue.field_name(key, inst.flag_item)].value()
                if value is not None and str(value) in _ABOVE_ZERO[key]:
                    return True
        return False

    # --- to and from the answers contract ----------------------------------------

    @classmethod
    def initial_from(
        cls, answers: dict[str, Any], partial_items: dict[str, Any], notes: str = ""
    ) -> dict[str, Any]:
        """Form initial data from stored answers (and partly answered instruments)."""
        initial: dict[str, Any] = {"notes": notes}
        for q in QUESTIONS:
            initial.update(_initial(q, answers.get(q.key, MISSING), partial_items))
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for part in catalogue.CSSRS.parts:
            if part.gate is None:
                continue
            gate_question = catalogue.question(f"{part.parent}.{part.gate}")
            if (
                cleaned.get(catalogue.field_name(part.path)) == "yes"
                and cleaned.get(catalogue.field_name(gate_question.path)) != "yes"
            ):
                number = gate_question.label.split(".")[0]
                self.add_error(
                    catalogue.field_name(part.path),
                    f"Only asked after “yes” to question {number}: answer question "
                    f"{number} first or clear this answer.",
                )
        for q in _COUNTS:
            gate = catalogue.gate_field_name(q.key)
            if cleaned.get(gate) != "yes" and cleaned.get(q.key) is not None:
                self.add_error(
                    q.key,
                    f"Answer “Yes” to “{self.fields[gate].label}” first, or "
                    "leave this empty.",
                )
        if not self.errors:
            try:
                answers_from_dict(self.to_answers())
            except AnswersError as exc:  # same checks as the JSON contract
                for path, messages in exc.errors.items():
                    field = self._field_for_path(path)
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def _field_for_path(self, path: str) -> str | None:
        try:
            name = catalogue.field_name(path)
        except KeyError:
            return None
        return name if name in self.fields else None

    def _items(self, q: catalogue.Question) -> list[int | None]:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        values = [
            self.cleaned_data.get(catalogue.field_name(q.key, i))
            for i in range(1, len(q.instrument.items) + 1)
        ]
        return [int(v) if v not in (None, "") else None for v in values]

    def to_answers(self) -> dict[str, Any]:
        """The answers contract: only answered questions appear."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for q in QUESTIONS:
            if q.kind == catalogue.SCREENER:
                parts = {
                    part.key: data[name] == "yes"
                    for part in q.parts
                    if data.get(name := catalogue.field_name(part.path))
                }
                if parts:
                    answers[q.key] = parts
            elif q.kind == catalogue.ITEMS:
                items = self._items(q)
                if all(v is not None for v in items):
                    answers[q.key] = items
            elif q.kind == catalogue.COUNT_OR_NONE:
                gate = data.get(catalogue.gate_field_name(q.key))
                if gate == "no":
                    answers[q.key] = None
                elif gate == "yes" and data.get(q.key) is not None:
                    answers[q.key] = data[q.key]
            elif data.get(q.key):
                value = data[q.key]
                answers[q.key] = value == "yes" if q.kind == catalogue.YES_NO else value
        return answers

    def to_partial_items(self) -> dict[str, Any]:
        """Answers that are not yet contract answers, kept so nothing typed is lost."""
        partial: dict[str, Any] = {}
        for q in QUESTIONS:
            if q.kind == catalogue.ITEMS:
                items = self._items(q)
                if any(v is not None for v in items) and None in items:
                    partial[q.key] = items
        for q in _COUNTS:
            gate = catalogue.gate_field_name(q.key)
            if (
                self.cleaned_data.get(gate) == "yes"
                and self.cleaned_data.get(q.key) is None
            ):
                partial[gate] = "yes"
        return partial

    def unanswered(self) -> list[tuple[str, str]]:
        """(field name, label) of every question left blank, in form order."""
        blank = []
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        gated = {
            catalogue.field_name(part.path): catalogue.field_name(
                f"{part.parent}.{part.gate}"
            )
            for part in catalogue.CSSRS.parts
            if part.gate
        }
        counts = {q.key for q in _COUNTS}
        for name, field in self.fields.items():
            if name in ("notes", SUBMISSION_TOKEN) or name in counts:
                continue
            if name in gated and data.get(gated[name]) != "yes":
                continue
            if not data.get(name):
                blank.append((name, str(field.label)))
        for q in _COUNTS:
            if (
                data.get(catalogue.gate_field_name(q.key)) == "yes"
                and data.get(q.key) is None
            ):
                blank.append((q.key, str(self.fields[q.key].label)))
        return blank

    @classmethod
    def data_from_answers(cls, answers: dict[str, Any], **extra: str) -> dict[str, str]:
        """POST data that encodes contract `answers` (the inverse of `to_answers`)."""
        data = {
            name: str(value)
            for name, value in cls.initial_from(answers, {}).items()
            if name != "notes"
        }
        data.update(extra)
        return data


_ABOVE_ZERO: Final = {
    key: frozenset(value for value, _ in inst.item_choices if value != "0")
    for key, inst in catalogue.INSTRUMENTS.items()
}
_COUNTS: Final = tuple(q for q in QUESTIONS if q.kind == catalogue.COUNT_OR_NONE)


def _initial(
    q: catalogue.Question, value: Any, partial_items: dict[str, Any]
) -> dict[str, Any]:
    """Initial data of the fields of one question, from its stored answer (`MISSING`
    when unanswered) or its partly answered items."""
    if q.kind == catalogue.SCREENER:
        return _screener_initial(q, value)
    if q.kind == catalogue.ITEMS:
        items = value if value is not MISSING else partial_items.get(q.key)
        return {
            catalogue.field_name(q.key, i): str(item)
            for i, item in enumerate(items or [], start=1)
            if item is not None
        }
    if q.kind == catalogue.COUNT_OR_NONE:
        return _count_initial(q, value, partial_items)
    if value is MISSING:
        return {}
    return {q.key: _yes_no(value) if q.kind == catalogue.YES_NO else value}


def _screener_initial(q: catalogue.Question, value: Any) -> dict[str, str]:
    """A "yes"/"no" radio for every answered part of the screener."""
    parts = value if isinstance(value, dict) else {}
    return {
        catalogue.field_name(part.path): _yes_no(parts[part.key])
        for part in q.parts
        if parts.get(part.key) is not None
    }


def _count_initial(
    q: catalogue.Question, value: Any, partial_items: dict[str, Any]
) -> dict[str, Any]:
    """The "does it apply?" radio and the count (`None` answers "no"); unanswered,
    a "yes" kept from a draft whose count is still empty."""
    gate = catalogue.gate_field_name(q.key)
    if value is MISSING:
        return {gate: partial_items[gate]} if partial_items.get(gate) else {}
    if value is None:
        return {gate: "no"}
    return {gate: "yes", q.key: value}


def _fields(q: catalogue.Question) -> dict[str, forms.Field]:
    """The form fields that answer one catalogue question."""
    if q.kind == catalogue.SCREENER:
        return {
            catalogue.field_name(part.path): _radio(part.label, part.choices)
            for part in q.parts
        }
    if q.kind == catalogue.ITEMS:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        return {
            catalogue.field_name(q.key, i): _radio(
                f"{i}. {item.label}", q.instrument.item_choices
            )
            for i, item in enumerate(q.instrument.items, start=1)
        }
    if q.kind == catalogue.COUNT_OR_NONE:
        return {
            catalogue.gate_field_name(q.key): _radio(q.gate_label, YES_NO),
            q.key: forms.IntegerField(
                label=q.count_label,
                required=False,
                min_value=0,
                max_value=q.max_count,
                help_text=q.help_text,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            ),
        }
    return {q.key: _radio(q.label, q.choices)}


def _question_layout(q: catalogue.Question) -> list[Any]:
    """The layout of one question: radios inline; gated parts and counts hidden
    until their gate is answered "yes" (static/js/assessment.js)."""
    if q.kind == catalogue.SCREENER:
        layout: list[Any] = []
        for part in q.parts:
            radios = InlineRadios(catalogue.field_name(part.path))
            if part.gate is None:
                layout.append(radios)
            else:
                gate = catalogue.field_name(f"{part.parent}.{part.gate}")
                layout.append(Div(radios, css_class="cssrs-gated", data_gate=gate))
        return layout
    if q.kind == catalogue.ITEMS:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        head = HTML(
            '{% include "intake/_instrument_head.html" with name="'
            + q.key
            + '" title="'
            + escape(q.instrument.title)
            + '" %}'
        )
        items = [
            InlineRadios(catalogue.field_name(q.key, i))
            for i in range(1, len(q.instrument.items) + 1)
        ]
        return [head, *items, HTML("</div>")]
    if q.kind == catalogue.COUNT_OR_NONE:
        gate = catalogue.gate_field_name(q.key)
        return [
            InlineRadios(gate),
            Div(Field(q.key), css_class="history-count", data_gate=gate),
        ]
    return [InlineRadios(q.key)]


def _layout() -> Layout:
    sections = [
        Fieldset(
            f"{number}. {section.title}",
            HTML(f'<p class="form-text">{escape(section.intro)}</p>'),
            *[
                item
                for q in catalogue.questions_in(section.key)
                for item in _question_layout(q)
            ],
            css_id=f"section-{section.key}",
        )
        for number, section in enumerate(catalogue.SECTIONS, start=1)
    ]
    notes = Fieldset(
        f"{len(sections) + 1}. Notes", Field("notes"), css_id="section-notes"
    )
    return Layout(Field(SUBMISSION_TOKEN), *sections, notes)


class AssessmentVoidForm(forms.Form):
    """Void a submitted assessment entered in error: the reason is required."""

    reason = forms.CharField(
        label="Why was this assessment entered in error?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why this assessment was entered in error."},
    )
