"""Client and assessment forms. The assessment form's output is the answers contract.

The assessment form is built from the question catalogue (`intake.catalogue`):
fields, labels, layout and skip logic. Shape checks (types, ranges, C-SSRS skip
logic) are the same ones that back the JSON contract: `to_answers()` is validated
by `intake.answers.answers_from_dict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html

from intake import catalogue
from intake.answers import MISSING, AnswersError, answers_from_dict
from intake.catalogue import QUESTIONS
from intake.models import Client, reference_validator

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
        fields = [
            "reference",
            "given_name",
            "family_name",
            "date_of_birth",
            "contact",
            "payer",
        ]
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
        reference_validator(reference)
        return reference

    def clean_payer(self) -> str:
        # One space between words: matched against the programs' payer lists.
        return " ".join(str(self.cleaned_data.get("payer", "")).split())

    def clean_date_of_birth(self) -> date:
        dob: date = self.cleaned_data["date_of_birth"]
        if dob > date.today():  # noqa: DTZ011 - a calendar date, not a timestamp
            raise ValidationError("Date of birth cannot be in the future.")
        if dob.year < 1900:
            raise ValidationError("Enter a date of birth after 1900.")
        return dob


@dataclass(frozen=True)
class Flag:
    """A flagged instrument item (PHQ-9 item 9) and its safety banner."""

    instrument: str  # "phq9"
    field: str  # "phq9_9"
    text: str
    positive: bool  # answered above 0, as typed


class AssessmentForm(forms.Form):
    """All sections of the assessment, built from the question catalogue.

    Every question may stay unanswered. Field names: screener parts are
    `cssrs_<part>`, instrument items `phq9_<n>`, count questions a "does it
    apply?" radio (`catalogue.gate_field_name`) and the count under the
    question's own key.
    """

    # Fields still showing an answer carried forward from an earlier assessment
    # (a progress review): see `mark_carried_forward`.
    carried_forward: frozenset[str] = frozenset()

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

    @property
    def labels(self) -> dict[str, str]:
        """How each question's field is named in a list (unanswered questions);
        handed to the page's script with json_script."""
        return dict(QUESTION_LABELS)

    def flags(self) -> list[Flag]:
        """The flagged items of the instruments (PHQ-9 item 9: thoughts of death or
        self-harm), each with its banner and whether it is answered above 0."""
        flags = []
        for key, inst in catalogue.INSTRUMENTS.items():
            if inst.flag_item is None:
                continue
            name = catalogue.field_name(key, inst.flag_item)
            value = self[name].value()
            positive = value is not None and str(value) in _ABOVE_ZERO[key]
            flags.append(Flag(key, name, inst.flag_text, positive))
        return flags

    @property
    def flagged(self) -> frozenset[str]:
        """The instruments whose flagged item is answered above 0 (as typed)."""
        return frozenset(flag.instrument for flag in self.flags() if flag.positive)

    def flag_item_positive(self) -> bool:
        """A flagged item (PHQ-9 item 9: thoughts of death or self-harm) answered
        above 0, as typed (bound or initial): the page shows its safety banner."""
        return bool(self.flagged)

    def mark_carried_forward(self, previous: Mapping[str, Any], when: date) -> None:
        """Mark every question whose answer is still the one carried forward from
        an earlier assessment (`previous`: that assessment's initial data, made
        on `when`): the page asks to check it. The marker is part of the
        question's help text, so it is there without JavaScript too."""
        text = CARRIED_FORWARD.format(date=f"{when.day} {when:%b %Y}")
        marked = set()
        for name, value in previous.items():
            if name not in QUESTION_LABELS or str(self[name].value()) != str(value):
                continue
            field = self.fields[name]
            marker = format_html(
                '<span class="carried-forward" data-carried-forward>{}</span>', text
            )
            field.help_text = (
                format_html("{} {}", marker, field.help_text)
                if field.help_text
                else marker
            )
            self[name].help_text = field.help_text  # the bound field keeps a copy
            marked.add(name)
        self.carried_forward = frozenset(marked)

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

    @classmethod
    def initial_for_review(
        cls, answers: dict[str, Any], partial_items: dict[str, Any]
    ) -> dict[str, Any]:
        """Initial data of a progress review from the last submitted assessment:
        its answers carried forward, except the questions the catalogue asks
        afresh on every review (`reask_on_review`: the C-SSRS screener and harm
        to others). The notes are not carried forward."""
        initial = cls.initial_from(answers, partial_items)
        del initial["notes"]
        for q in QUESTIONS:
            if q.reask_on_review:
                for name in _field_names(q):
                    initial.pop(name, None)
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
        """(field name, label) of every question left blank, in form order.

        A question that does not apply (C-SSRS 3-5 and 6b before "yes" to their
        gate; a count before "yes" to "does it apply?") is not blank.
        """
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        blank = []
        for q in QUESTIONS:
            for name in _field_names(q):
                gate = _GATES.get(name)
                if gate is not None and data.get(gate) != "yes":
                    continue
                if data.get(name) in (None, ""):
                    blank.append((name, QUESTION_LABELS[name]))
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
CARRIED_FORWARD: Final = "Carried forward from the assessment of {date}; check it."


def _field_names(q: catalogue.Question) -> tuple[str, ...]:
    """The form fields that answer one catalogue question, in form order."""
    if q.kind == catalogue.SCREENER:
        return tuple(catalogue.field_name(part.path) for part in q.parts)
    if q.kind == catalogue.ITEMS:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        return tuple(
            catalogue.field_name(q.key, i)
            for i in range(1, len(q.instrument.items) + 1)
        )
    if q.kind == catalogue.COUNT_OR_NONE:
        return (catalogue.gate_field_name(q.key), q.key)
    return (q.key,)


def _labels(q: catalogue.Question) -> dict[str, str]:
    """How the fields of one question are named in a list of questions."""
    if q.kind == catalogue.SCREENER:
        return {catalogue.field_name(part.path): part.short_label for part in q.parts}
    if q.kind == catalogue.ITEMS:
        assert q.instrument is not None  # noqa: S101 - an ITEMS question
        inst = q.instrument
        return {
            catalogue.field_name(q.key, i): f"{inst.name} item {i}: {item.label}"
            for i, item in enumerate(inst.items, start=1)
        }
    if q.kind == catalogue.COUNT_OR_NONE:
        return {catalogue.gate_field_name(q.key): q.gate_label, q.key: q.count_label}
    return {q.key: q.short_label}


QUESTION_LABELS: Final = {
    name: label for q in QUESTIONS for name, label in _labels(q).items()
}
# A field that applies only after "yes" to another (its gate): C-SSRS 3-5 and 6b,
# the history counts.
_GATES: Final = {
    **{
        catalogue.field_name(part.path): catalogue.field_name(
            f"{part.parent}.{part.gate}"
        )
        for part in catalogue.CSSRS.parts
        if part.gate
    },
    **{q.key: catalogue.gate_field_name(q.key) for q in _COUNTS},
}


def _gate_hint(q: catalogue.Question) -> str:
    """Said next to a gate when someone looks for the question it opens (a
    screener part after "yes" to another, or a count after "does it apply?")."""
    if q.parent:
        choices = catalogue.question(f"{q.parent}.{q.gate}").choices
        target = q.short_label
    else:
        choices, target = catalogue.YES_NO_CHOICES, f"“{q.count_label}”"
    return f"Answer “{dict(choices)['yes']}” here to open {target}."


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
                layout.append(
                    Div(
                        radios,
                        css_class="cssrs-gated",
                        data_gate=gate,
                        data_gate_hint=_gate_hint(part),
                    )
                )
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
        items: list[Any] = []
        for i in range(1, len(q.instrument.items) + 1):
            items.append(InlineRadios(catalogue.field_name(q.key, i)))
            if i == q.instrument.flag_item:
                items.append(_flag_banner(q.key, q.instrument.flag_text))
        return [head, *items, HTML("</div>")]
    if q.kind == catalogue.COUNT_OR_NONE:
        gate = catalogue.gate_field_name(q.key)
        return [
            InlineRadios(gate),
            Div(
                Field(q.key),
                css_class="history-count",
                data_gate=gate,
                data_gate_hint=_gate_hint(q),
            ),
        ]
    return [InlineRadios(q.key)]


def _flag_banner(instrument: str, text: str) -> HTML:
    """The safety banner right after a flagged item (PHQ-9 item 9), where the
    person answering is; shown while the item is above 0 (static/js/assessment.js
    keeps it in step as answers change)."""
    return HTML(
        format_html(
            '<div class="alert alert-danger safety-banner flag-banner" role="alert" '
            'data-flag="{}" id="flag-banner-{}" {{% if "{}" not in form.flagged %}}'
            "hidden{{% endif %}}><strong>Safety:</strong> {}</div>",
            instrument,
            instrument,
            instrument,
            text,
        )
    )


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
