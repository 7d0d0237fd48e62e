"""Client and assessment forms. The assessment form's output is the answers contract.

Shape checks (types, ranges, C-SSRS skip logic) are the same ones that back the
JSON contract: `to_answers()` is validated by `levelofcare.rules.answers_from_dict`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError

from intake.models import Client
from levelofcare import rules

YES_NO = [("yes", "Yes"), ("no", "No")]
FREQUENCY = [
    ("0", "Not at all"),
    ("1", "Several days"),
    ("2", "More than half the days"),
    ("3", "Nearly every day"),
]

# C-SSRS screener (past month; behaviour lifetime / past 3 months).
CSSRS_QUESTIONS = {
    "wish_dead": "1. Have you wished you were dead or wished you could go to sleep "
    "and not wake up?",
    "suicidal_thoughts": "2. Have you actually had any thoughts of killing yourself?",
    "method": "3. Have you been thinking about how you might do this?",
    "intent": "4. Have you had these thoughts and had some intention of acting on "
    "them?",
    "plan": "5. Have you started to work out or worked out the details of how to kill "
    "yourself? Do you intend to carry out this plan?",
    "behavior_ever": "6. Have you ever done anything, started to do anything, or "
    "prepared to do anything to end your life?",
    "behavior_past_3_months": "6b. Was any of this within the past 3 months?",
}
CSSRS_GATED = {
    "method": "suicidal_thoughts",
    "intent": "suicidal_thoughts",
    "plan": "suicidal_thoughts",
    "behavior_past_3_months": "behavior_ever",
}

PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or "
    "your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching "
    "television",
    "Moving or speaking so slowly that other people could have noticed, or the "
    "opposite: being so fidgety or restless that you have been moving around a lot "
    "more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)
GAD7_ITEMS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

BOOL_QUESTIONS = {
    "impaired_judgement": "Impaired judgement: acute psychosis, mania or severe "
    "disorganisation?",
    "can_care_for_self": "Can the person care for themselves (eat, wash, take "
    "medication)?",
    "safe_housing": "Does the person have safe housing?",
    "support_at_home": "Is there support at home (family, partner, friends)?",
    "needs_medical_detox": "Does the person need medical detox?",
    "needs_24h_medical_monitoring": "Does the person need 24-hour medical monitoring?",
    "work_or_school_commitment": "Work, school or caregiving commitments?",
    "can_attend_3_days_week": "Can the person attend treatment 3 or more days a week?",
}
HARM_CHOICES = [
    ("none", "None"),
    ("thoughts", "Thoughts of harming others"),
    ("intent", "Intent to harm others"),
]
HISTORY = {
    "discharged_inpatient_days_ago": (
        "discharged_inpatient",
        "Discharged from inpatient care?",
        "Days since discharge",
        "Leave the days empty if unknown; answer “No” if never discharged.",
    ),
    "weeks_weekly_therapy_without_improvement": (
        "in_weekly_therapy",
        "In weekly therapy now?",
        "Weeks of weekly therapy without improvement",
        "Count the weeks without meaningful improvement.",
    ),
}


def _radio(label: str, choices: list[tuple[str, str]], **kwargs: Any) -> forms.Field:
    return forms.ChoiceField(
        label=label, choices=choices, required=False, widget=forms.RadioSelect, **kwargs
    )


def phq9_name(i: int) -> str:
    return f"phq9_{i}"


def gad7_name(i: int) -> str:
    return f"gad7_{i}"


class ClientForm(forms.ModelForm):
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
    """All sections of the assessment. Every question may stay unanswered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in CSSRS_QUESTIONS.items():
            self.fields[f"cssrs_{key}"] = _radio(label, YES_NO)
        self.fields["harm_to_others"] = _radio("Risk of harming others", HARM_CHOICES)
        for i, label in enumerate(PHQ9_ITEMS, start=1):
            self.fields[phq9_name(i)] = _radio(f"{i}. {label}", FREQUENCY)
        for i, label in enumerate(GAD7_ITEMS, start=1):
            self.fields[gad7_name(i)] = _radio(f"{i}. {label}", FREQUENCY)
        for key, label in BOOL_QUESTIONS.items():
            self.fields[key] = _radio(label, YES_NO)
        for key, (gate, gate_label, count_label, help_text) in HISTORY.items():
            self.fields[gate] = _radio(gate_label, YES_NO)
            self.fields[key] = forms.IntegerField(
                label=count_label,
                required=False,
                min_value=0,
                max_value=5200,
                help_text=help_text,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        self.fields["notes"] = forms.CharField(
            label="Coordinator notes",
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=5000,
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self._layout()

    # --- layout -----------------------------------------------------------------

    @staticmethod
    def _layout() -> Layout:
        def gated(key: str) -> Div:
            return Div(
                InlineRadios(f"cssrs_{key}"),
                css_class="cssrs-gated",
                data_gate=f"cssrs_{CSSRS_GATED[key]}",
            )

        cssrs = [
            InlineRadios(f"cssrs_{k}") if k not in CSSRS_GATED else gated(k)
            for k in CSSRS_QUESTIONS
        ]
        return Layout(
            Fieldset(
                "1. Risk of self-harm",
                HTML(
                    '<p class="form-text">C-SSRS screener: ask about the past month. '
                    "Questions 3–5 are asked only after “yes” to question 2, "
                    "and 6b only after “yes” to question 6.</p>"
                ),
                *cssrs,
                InlineRadios("harm_to_others"),
                css_id="section-risk",
            ),
            Fieldset(
                "2. Symptom severity",
                HTML(
                    '<p class="form-text">Over the last 2 weeks, how often has the '
                    "person been bothered by the following problems?</p>"
                ),
                HTML(
                    '{% include "intake/_instrument_head.html" with name="phq9" '
                    'title="PHQ-9 (depression)" %}'
                ),
                *[InlineRadios(phq9_name(i)) for i in range(1, 10)],
                HTML("</div>"),
                HTML(
                    '{% include "intake/_instrument_head.html" with name="gad7" '
                    'title="GAD-7 (anxiety)" %}'
                ),
                *[InlineRadios(gad7_name(i)) for i in range(1, 8)],
                HTML("</div>"),
                InlineRadios("impaired_judgement"),
                css_id="section-severity",
            ),
            Fieldset(
                "3. Ability to live safely at home",
                HTML(
                    '<p class="form-text">Answer for the person’s situation today.</p>'
                ),
                *[
                    InlineRadios(k)
                    for k in (
                        "can_care_for_self",
                        "safe_housing",
                        "support_at_home",
                        "needs_medical_detox",
                        "needs_24h_medical_monitoring",
                    )
                ],
                css_id="section-home",
            ),
            Fieldset(
                "4. Work / school / caregiving commitments",
                HTML(
                    '<p class="form-text">Commitments never override safety; they '
                    "only shape the schedule.</p>"
                ),
                InlineRadios("work_or_school_commitment"),
                InlineRadios("can_attend_3_days_week"),
                css_id="section-commitments",
            ),
            Fieldset(
                "5. History",
                HTML(
                    '<p class="form-text">Recent inpatient care and therapy so far.</p>'
                ),
                InlineRadios("discharged_inpatient"),
                Div(
                    Field("discharged_inpatient_days_ago"),
                    css_class="history-count",
                    data_gate="discharged_inpatient",
                ),
                InlineRadios("in_weekly_therapy"),
                Div(
                    Field("weeks_weekly_therapy_without_improvement"),
                    css_class="history-count",
                    data_gate="in_weekly_therapy",
                ),
                css_id="section-history",
            ),
            Fieldset("6. Notes", Field("notes"), css_id="section-notes"),
        )

    # --- to and from the answers contract ----------------------------------------

    @classmethod
    def initial_from(
        cls, answers: dict[str, Any], partial_items: dict[str, Any], notes: str = ""
    ) -> dict[str, Any]:
        """Form initial data from stored answers (and partly answered instruments)."""
        initial: dict[str, Any] = {"notes": notes}
        cssrs = answers.get("cssrs") or {}
        for key in CSSRS_QUESTIONS:
            if cssrs.get(key) is not None:
                initial[f"cssrs_{key}"] = "yes" if cssrs[key] else "no"
        if "harm_to_others" in answers:
            initial["harm_to_others"] = answers["harm_to_others"]
        for name, field_name in (("phq9", phq9_name), ("gad7", gad7_name)):
            items = answers.get(name) or partial_items.get(name) or []
            for i, value in enumerate(items, start=1):
                if value is not None:
                    initial[field_name(i)] = str(value)
        for key in BOOL_QUESTIONS:
            if key in answers:
                initial[key] = "yes" if answers[key] else "no"
        for key, (gate, *_rest) in HISTORY.items():
            if key in answers:
                value = answers[key]
                initial[gate] = "no" if value is None else "yes"
                if value is not None:
                    initial[key] = value
            elif partial_items.get(gate):
                initial[gate] = partial_items[gate]
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for key, gate in CSSRS_GATED.items():
            if (
                cleaned.get(f"cssrs_{key}") == "yes"
                and cleaned.get(f"cssrs_{gate}") != "yes"
            ):
                parent = CSSRS_QUESTIONS[gate].split(".")[0]
                self.add_error(
                    f"cssrs_{key}",
                    f"Only asked after “yes” to question {parent}: answer question "
                    f"{parent} first or clear this answer.",
                )
        for key, (gate, *_rest) in HISTORY.items():
            if cleaned.get(gate) != "yes" and cleaned.get(key) is not None:
                self.add_error(
                    key,
                    f"Answer “Yes” to “{self.fields[gate].label}” first, or "
                    "leave this empty.",
                )
        if not self.errors:
            try:
                rules.answers_from_dict(self.to_answers())
            except rules.AnswersError as exc:  # same checks as the JSON contract
                for path, messages in exc.errors.items():
                    field = self._field_for_path(path)
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def _field_for_path(self, path: str) -> str | None:
        if path.startswith("cssrs."):
            return f"cssrs_{path.split('.', 1)[1]}"
        return path if path in self.fields else None

    def _instrument(self, name: str, count: int) -> list[int | None]:
        field = phq9_name if name == "phq9" else gad7_name
        values = [self.cleaned_data.get(field(i)) for i in range(1, count + 1)]
        return [int(v) if v not in (None, "") else None for v in values]

    def to_answers(self) -> dict[str, Any]:
        """The answers contract: only answered questions appear."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        cssrs = {
            key: data[f"cssrs_{key}"] == "yes"
            for key in CSSRS_QUESTIONS
            if data.get(f"cssrs_{key}")
        }
        if cssrs:
            answers["cssrs"] = cssrs
        if data.get("harm_to_others"):
            answers["harm_to_others"] = data["harm_to_others"]
        for name, count in (("phq9", 9), ("gad7", 7)):
            items = self._instrument(name, count)
            if all(v is not None for v in items):
                answers[name] = items
        for key in BOOL_QUESTIONS:
            if data.get(key):
                answers[key] = data[key] == "yes"
        for key, (gate, *_rest) in HISTORY.items():
            if data.get(gate) == "no":
                answers[key] = None
            elif data.get(gate) == "yes" and data.get(key) is not None:
                answers[key] = data[key]
        return answers

    def to_partial_items(self) -> dict[str, Any]:
        """Answers that are not yet contract answers, kept so nothing typed is lost."""
        partial: dict[str, Any] = {}
        for name, count in (("phq9", 9), ("gad7", 7)):
            items = self._instrument(name, count)
            if any(v is not None for v in items) and not all(
                v is not None for v in items
            ):
                partial[name] = items
        for key, (gate, *_rest) in HISTORY.items():
            if (
                self.cleaned_data.get(gate) == "yes"
                and self.cleaned_data.get(key) is None
            ):
                partial[gate] = "yes"
        return partial

    def unanswered(self) -> list[tuple[str, str]]:
        """(field name, label) of every question left blank, in form order."""
        blank = []
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        for name, field in self.fields.items():
            if name == "notes" or name in HISTORY:
                continue
            gate = CSSRS_GATED.get(name.removeprefix("cssrs_"))
            if (
                name.startswith("cssrs_")
                and gate
                and data.get(f"cssrs_{gate}") != "yes"
            ):
                continue
            if not data.get(name):
                blank.append((name, str(field.label)))
        for key, (gate, *_rest) in HISTORY.items():
            if data.get(gate) == "yes" and data.get(key) is None:
                blank.append((key, str(self.fields[key].label)))
        return blank
