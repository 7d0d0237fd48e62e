"""The question catalogue: every question of the assessment, declared once.

Standard library only: no Django, no I/O. Everything else derives from it: the
answers contract and its validator (`intake.answers`), the assessment form and
its layout (`intake.forms`), the labels shown for answers and for missing
answers, the live scoring in the browser (`scoring_for_browser()`, handed to the
page with `json_script`), the rules' missing-answer analysis, the criteria book
and the tests.

A question has a contract key (`answers` JSON), a section, an answer kind, its
labels and, where it applies, the question that gates it (C-SSRS skip logic),
its choices, its instrument (items, bands) and its external codes.

Adding a yes/no question: append a `Question(key, section, YES_NO, ...)` to
`QUESTIONS` in the place it should appear in the form. The contract, the form,
the answer lists and the missing-answer labels follow; a rule that reads it is
declared in `levelofcare.rules` (see CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "ANSWER_KEYS",
    "CSSRS",
    "CSSRS_PARENT",
    "CSSRS_QUESTIONS",
    "FREQUENCY",
    "INSTRUMENTS",
    "LOCATR_QUESTION_SYSTEM",
    "LOINC",
    "QUESTIONS",
    "SECTIONS",
    "YES_NO_CHOICES",
    "Band",
    "Code",
    "Instrument",
    "Item",
    "Question",
    "Section",
    "band_of",
    "codes_of",
    "field_name",
    "missing_label",
    "question",
    "scoring_for_browser",
]

# Answer kinds: what the contract accepts for a question.
YES_NO: Final = "yes_no"  # true / false
CHOICE: Final = "choice"  # one of `choices` (a string)
ITEMS: Final = "items"  # an instrument: a list of its items' scores
SCREENER: Final = "screener"  # an object of yes/no `parts`, with skip logic
COUNT_OR_NONE: Final = "count_or_none"  # a whole number >= 0, or null: "does not apply"
Kind = Literal["yes_no", "choice", "items", "screener", "count_or_none"]


@dataclass(frozen=True)
class Code:
    """An external code for a question, an instrument or its total (FHIR export).

    `source` says where the code was confirmed; a code is never guessed.
    """

    system: str
    code: str
    display: str
    source: str


LOINC: Final = "http://loinc.org"
# Questions without a confirmed LOINC code (the C-SSRS screener's parts, locatr's
# own questions) are coded in locatr's own system: the code is the contract path
# ("cssrs.intent", "safe_housing", "phq9.3").
LOCATR_QUESTION_SYSTEM: Final = "urn:locatr:question"


def _loinc(code: str, display: str, source: str) -> Code:
    return Code(LOINC, code, display, source)


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # the form's fieldset legend (numbered in the form)
    short_title: str  # the heading of the answers on clinical pages
    intro: str = ""


@dataclass(frozen=True)
class Band:
    """A severity band: totals up to and including `top`."""

    top: int
    key: str
    label: str


@dataclass(frozen=True)
class Item:
    label: str
    codes: tuple[Code, ...] = ()


@dataclass(frozen=True)
class Instrument:
    """A scored instrument: items answered 0-3, a total, severity bands.

    `flag_item` (1-based) is an item that matters on its own above 0 (PHQ-9 item 9:
    thoughts of death or self-harm); `flag_text` is the safety banner the form
    shows next to it (and in its progress summary) when it is.
    """

    title: str  # "PHQ-9 (depression)"
    name: str  # "PHQ-9"
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    item_choices: tuple[tuple[str, str], ...]
    flag_item: int | None = None
    flag_text: str = ""  # the safety banner shown when the flagged item is above 0
    panel_codes: tuple[Code, ...] = ()
    total_codes: tuple[Code, ...] = ()
    # The LOINC answer of each item score, in score order (0, 1, 2, 3).
    answer_codes: tuple[Code, ...] = ()
    # Measurement-based care (levelofcare.outcomes): a total below `remission_below`
    # is remission; a change smaller than `minimal_change` points is "no change".
    remission_below: int | None = None
    minimal_change: int | None = None

    @property
    def max_item(self) -> int:
        return max(int(value) for value, _ in self.item_choices)

    @property
    def max_total(self) -> int:
        return self.max_item * len(self.items)


@dataclass(frozen=True)
class Question:
    """One question of the assessment, keyed as in the answers contract.

    `label` is the question as asked in the form; `short_label` names it in a
    list (missing answers, the criteria book). Inside a screener, `key` is the
    part's own key ("intent") and `path` its contract path ("cssrs.intent").

    `reask_on_review`: a progress review (a reassessment pre-filled from the last
    submitted assessment) asks this question afresh instead of carrying the old
    answer forward: safety is never assumed unchanged.

    `no_concern`: for a yes/no question, the answer that raises no concern (no
    risk, no need). Demo data and the tests' baseline answers take it from here,
    so a new question needs no line of its own there.
    """

    key: str
    section: str
    kind: Kind
    label: str
    short_label: str
    help_text: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    gate: str | None = None  # screener part: the part that must be "yes" first
    parts: tuple[Question, ...] = ()  # screener: its yes/no questions, in order
    instrument: Instrument | None = None  # items: the instrument
    # count_or_none: the form asks "does it apply?" first, then the count.
    gate_label: str = ""
    count_label: str = ""
    max_count: int = 5200
    parent: str = ""  # screener part: the screener's key
    reask_on_review: bool = False
    no_concern: bool | None = None
    codes: tuple[Code, ...] = field(default=(), compare=False)

    @property
    def path(self) -> str:
        return f"{self.parent}.{self.key}" if self.parent else self.key


YES_NO_CHOICES: Final = (("yes", "Yes"), ("no", "No"))
FREQUENCY: Final = (
    ("0", "Not at all"),
    ("1", "Several days"),
    ("2", "More than half the days"),
    ("3", "Nearly every day"),
)

SECTIONS: Final = (
    Section(
        "risk",
        "Risk of self-harm",
        "Risk of self-harm",
        "C-SSRS screener: ask about the past month. Questions 3–5 are asked only "
        "after “yes” to question 2, and 6b only after “yes” to question 6.",
    ),
    Section(
        "severity",
        "Symptom severity",
        "Symptom severity",
        "Over the last 2 weeks, how often has the person been bothered by the "
        "following problems?",
    ),
    Section(
        "home",
        "Ability to live safely at home",
        "Ability to live safely at home",
        "Answer for the person’s situation today.",
    ),
    Section(
        "commitments",
        "Work / school / caregiving commitments",
        "Commitments",
        "Commitments never override safety; they only shape the schedule.",
    ),
    Section(
        "history", "History", "History", "Recent inpatient care and therapy so far."
    ),
)

# Where the LOINC codes below were confirmed (never guessed). loinc.org/69729-2,
# the PHQ-SADS panel, lists every PHQ-9 and GAD-7 item code with its text.
_PHQ_SADS: Final = "loinc.org/69729-2 (PHQ-SADS panel item list)"
# The PHQ-9 and GAD-7 items share LOINC's frequency answers (score 0-3): seen with
# these codes in HL7 US Core's PHQ-9 QuestionnaireResponse example
# (hl7.org/fhir/us/core QuestionnaireResponse-phq-9-example) and the HL7 PCO IG's
# LOINC form 44249-1.
_ANSWERS_SOURCE: Final = "HL7 US Core QuestionnaireResponse-phq-9-example"
_FREQUENCY_ANSWERS: Final = tuple(
    _loinc(code, label, _ANSWERS_SOURCE)
    for code, (_, label) in zip(
        ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"), FREQUENCY, strict=True
    )
)

# Kroenke, Spitzer & Williams 2001 (PHQ-9); Spitzer et al. 2006 (GAD-7). Both are
# free to use. Items in the instruments' published order.
PHQ9: Final = Instrument(
    title="PHQ-9 (depression)",
    name="PHQ-9",
    items=tuple(
        Item(label, (_loinc(code, label, source),))
        for code, label, source in (
            ("44250-9", "Little interest or pleasure in doing things", _PHQ_SADS),
            ("44255-8", "Feeling down, depressed, or hopeless", _PHQ_SADS),
            (
                "44259-0",
                "Trouble falling or staying asleep, or sleeping too much",
                _PHQ_SADS,
            ),
            ("44254-1", "Feeling tired or having little energy", _PHQ_SADS),
            ("44251-7", "Poor appetite or overeating", _PHQ_SADS),
            (
                "44258-2",
                "Feeling bad about yourself, or that you are a failure or have let "
                "yourself or your family down",
                _PHQ_SADS,
            ),
            (
                "44252-5",
                "Trouble concentrating on things, such as reading the newspaper or "
                "watching television",
                _PHQ_SADS,
            ),
            (
                "44253-3",
                "Moving or speaking so slowly that other people could have noticed, "
                "or the opposite: being so fidgety or restless that you have been "
                "moving around a lot more than usual",
                "hl7.org/fhir/us/core/STU7/Observation-PHQ9-item-example-44253-3",
            ),
            (
                "44260-8",
                "Thoughts that you would be better off dead, or of hurting yourself "
                "in some way",
                "healthassure.in/codes/loinc-44260-8 (LOINC 44260-8, Reported.PHQ)",
            ),
        )
    ),
    bands=(
        Band(4, "minimal", "minimal"),
        Band(9, "mild", "mild"),
        Band(14, "moderate", "moderate"),
        Band(19, "moderately_severe", "moderately severe"),
        Band(27, "severe", "severe"),
    ),
    item_choices=FREQUENCY,
    flag_item=9,
    flag_text="PHQ-9 item 9 shows thoughts of death or self-harm. Complete the "
    "C-SSRS screener; a clinician must review this assessment.",
    # Remission: total < 5 (Kroenke, Spitzer & Williams 2001, the PHQ-9's minimal
    # band). Minimal clinically important change: 5 points (Löwe et al., Med Care
    # 2004, "Monitoring depression treatment outcomes with the PHQ-9").
    remission_below=5,
    minimal_change=5,
    panel_codes=(
        _loinc(
            "44249-1",
            "PHQ-9 quick depression assessment panel",
            "findacode.com/loinc/44249-1; HL7 PCO IG Questionnaire-44249-1",
        ),
    ),
    total_codes=(
        _loinc(
            "44261-6",
            "Patient Health Questionnaire 9 item (PHQ-9) total score",
            "cdn.loinc.org/44261-6",
        ),
    ),
    answer_codes=_FREQUENCY_ANSWERS,
)
GAD7: Final = Instrument(
    title="GAD-7 (anxiety)",
    name="GAD-7",
    items=tuple(
        Item(label, (_loinc(code, label, _PHQ_SADS),))
        for code, label in (
            ("69725-0", "Feeling nervous, anxious, or on edge"),
            ("68509-9", "Not being able to stop or control worrying"),
            ("69733-4", "Worrying too much about different things"),
            ("69734-2", "Trouble relaxing"),
            ("69735-9", "Being so restless that it is hard to sit still"),
            ("69689-8", "Becoming easily annoyed or irritable"),
            ("69736-7", "Feeling afraid, as if something awful might happen"),
        )
    ),
    bands=(
        Band(4, "minimal", "minimal"),
        Band(9, "mild", "mild"),
        Band(14, "moderate", "moderate"),
        Band(21, "severe", "severe"),
    ),
    item_choices=FREQUENCY,
    # Remission: total < 5 (the GAD-7's minimal band; Spitzer et al. 2006).
    # Minimal clinically important change: 4 points (Toussaint et al., J Affect
    # Disord 2020, "Sensitivity to change and minimal clinically important
    # difference of the 7-item GAD-7").
    remission_below=5,
    minimal_change=4,
    panel_codes=(
        _loinc(
            "69737-5",
            "Generalized anxiety disorder 7 item (GAD-7)",
            "HL7 PCO IG Questionnaire-69737-5 (LOINC form 69737-5)",
        ),
    ),
    total_codes=(
        _loinc(
            "70274-6",
            "Generalized anxiety disorder 7 item (GAD-7) total score",
            "loinc.org/69729-2 (PHQ-SADS panel lists 70274-6)",
        ),
    ),
    answer_codes=_FREQUENCY_ANSWERS,
)


def _cssrs_part(
    key: str, number: str, label: str, short: str, gate: str | None = None
) -> Question:
    return Question(
        key=key,
        section="risk",
        kind=YES_NO,
        label=f"{number}. {label}",
        short_label=f"C-SSRS question {number}: {short}",
        choices=YES_NO_CHOICES,
        gate=gate,
        parent="cssrs",
    )


# C-SSRS screener (Posner et al.; free to use): past month; behaviour lifetime and
# past 3 months. Questions 3-5 apply only after "yes" to question 2, and 6b only
# after "yes" to question 6.
CSSRS: Final = Question(
    key="cssrs",
    section="risk",
    kind=SCREENER,
    label="C-SSRS screener",
    short_label="C-SSRS screener (risk of self-harm)",
    reask_on_review=True,
    parts=(
        _cssrs_part(
            "wish_dead",
            "1",
            "Have you wished you were dead or wished you could go to sleep and not "
            "wake up?",
            "wish to be dead",
        ),
        _cssrs_part(
            "suicidal_thoughts",
            "2",
            "Have you actually had any thoughts of killing yourself?",
            "suicidal thoughts",
        ),
        _cssrs_part(
            "method",
            "3",
            "Have you been thinking about how you might do this?",
            "thoughts of a method",
            gate="suicidal_thoughts",
        ),
        _cssrs_part(
            "intent",
            "4",
            "Have you had these thoughts and had some intention of acting on them?",
            "intent",
            gate="suicidal_thoughts",
        ),
        _cssrs_part(
            "plan",
            "5",
            "Have you started to work out or worked out the details of how to kill "
            "yourself? Do you intend to carry out this plan?",
            "plan",
            gate="suicidal_thoughts",
        ),
        _cssrs_part(
            "behavior_ever",
            "6",
            "Have you ever done anything, started to do anything, or prepared to do "
            "anything to end your life?",
            "suicidal behaviour",
        ),
        _cssrs_part(
            "behavior_past_3_months",
            "6b",
            "Was any of this within the past 3 months?",
            "behaviour in the past 3 months",
            gate="behavior_ever",
        ),
    ),
)


def _yes_no(
    key: str, section: str, label: str, short: str, *, no_concern: bool
) -> Question:
    return Question(
        key,
        section,
        YES_NO,
        label,
        short,
        choices=YES_NO_CHOICES,
        no_concern=no_concern,
    )


# Every question, in contract order (which is also the form's order). `missing`
# lists unanswered questions in this order.
QUESTIONS: Final[tuple[Question, ...]] = (
    CSSRS,
    Question(
        "harm_to_others",
        "risk",
        CHOICE,
        "Risk of harming others",
        "Risk of harming others",
        choices=(
            ("none", "None"),
            ("thoughts", "Thoughts of harming others"),
            ("intent", "Intent to harm others"),
        ),
        reask_on_review=True,
    ),
    Question(
        "phq9", "severity", ITEMS, PHQ9.title, "PHQ-9 (all 9 items)", instrument=PHQ9
    ),
    Question(
        "gad7", "severity", ITEMS, GAD7.title, "GAD-7 (all 7 items)", instrument=GAD7
    ),
    _yes_no(
        "impaired_judgement",
        "severity",
        "Impaired judgement: acute psychosis, mania or severe disorganisation?",
        "Impaired judgement",
        no_concern=False,
    ),
    _yes_no(
        "can_care_for_self",
        "home",
        "Can the person care for themselves (eat, wash, take medication)?",
        "Can care for self",
        no_concern=True,
    ),
    _yes_no(
        "safe_housing",
        "home",
        "Does the person have safe housing?",
        "Safe housing",
        no_concern=True,
    ),
    _yes_no(
        "support_at_home",
        "home",
        "Is there support at home (family, partner, friends)?",
        "Support at home",
        no_concern=True,
    ),
    _yes_no(
        "needs_medical_detox",
        "home",
        "Does the person need medical detox?",
        "Needs medical detox",
        no_concern=False,
    ),
    _yes_no(
        "needs_24h_medical_monitoring",
        "home",
        "Does the person need 24-hour medical monitoring?",
        "Needs 24-hour medical monitoring",
        no_concern=False,
    ),
    _yes_no(
        "work_or_school_commitment",
        "commitments",
        "Work, school or caregiving commitments?",
        "Work, school or caregiving commitments",
        no_concern=False,
    ),
    _yes_no(
        "can_attend_3_days_week",
        "commitments",
        "Can the person attend treatment 3 or more days a week?",
        "Can attend 3+ days a week",
        no_concern=True,
    ),
    Question(
        "discharged_inpatient_days_ago",
        "history",
        COUNT_OR_NONE,
        "Days since discharge",
        "Days since discharge from inpatient care",
        help_text="Leave the days empty if unknown; answer “No” if never discharged.",
        gate_label="Discharged from inpatient care?",
        count_label="Days since discharge",
    ),
    Question(
        "weeks_weekly_therapy_without_improvement",
        "history",
        COUNT_OR_NONE,
        "Weeks of weekly therapy without improvement",
        "Weeks of weekly therapy without improvement",
        help_text="Count the weeks without meaningful improvement.",
        gate_label="In weekly therapy now?",
        count_label="Weeks of weekly therapy without improvement",
    ),
)

ANSWER_KEYS: Final = tuple(q.key for q in QUESTIONS)
CSSRS_QUESTIONS: Final = tuple(part.key for part in CSSRS.parts)
# Screener skip logic: a part applies only after "yes" to its gate.
CSSRS_PARENT: Final[Mapping[str, str]] = {
    part.key: part.gate for part in CSSRS.parts if part.gate is not None
}
INSTRUMENTS: Final[Mapping[str, Instrument]] = {
    q.key: q.instrument for q in QUESTIONS if q.instrument is not None
}

_BY_PATH: Final[Mapping[str, Question]] = {
    path: q
    for top in QUESTIONS
    for path, q in ((top.path, top), *((p.path, p) for p in top.parts))
}


def question(path: str) -> Question:
    """The question at a contract path ("safe_housing", "cssrs.intent")."""
    return _BY_PATH[path]


def codes_of(path: str, item: int | None = None) -> tuple[Code, ...]:
    """The codes of a question (or of an instrument's `item`, 1-based): its LOINC
    codes where confirmed, else locatr's own (`urn:locatr:question`, the path)."""
    q = question(path)
    if item is not None:
        if q.instrument is None:
            raise ValueError(f"{path} is not an instrument")
        entry = q.instrument.items[item - 1]
        own = Code(LOCATR_QUESTION_SYSTEM, f"{path}.{item}", entry.label, "locatr")
        return entry.codes or (own,)
    own = Code(LOCATR_QUESTION_SYSTEM, path, q.short_label, "locatr")
    return q.codes or (own,)


def questions_in(section: str) -> Iterator[Question]:
    return (q for q in QUESTIONS if q.section == section)


def band_of(instrument: Instrument, total: int) -> Band:
    """The severity band of a total (0 to the instrument's maximum)."""
    return next(band for band in instrument.bands if total <= band.top)


# --- names in the form ------------------------------------------------------------


def field_name(path: str, item: int | None = None) -> str:
    """The form field that answers a contract path (the anchor of a missing answer).

    Screener parts are `cssrs_<part>`; instrument items `phq9_<n>` (1-based; the
    instrument's first item without `item`); a count's "does it apply?" radio is
    `<key>_applies`... except the two history questions, which keep the names
    forms and saved drafts have always used.
    """
    q = question(path)
    if q.parent:
        return f"{q.parent}_{q.key}"
    if q.kind == SCREENER:
        return f"{q.key}_{q.parts[0].key}"
    if q.kind == ITEMS:
        return f"{q.key}_{item or 1}"
    if q.kind == COUNT_OR_NONE:
        return gate_field_name(q.key)
    return q.key


_GATE_FIELDS: Final = {
    "discharged_inpatient_days_ago": "discharged_inpatient",
    "weeks_weekly_therapy_without_improvement": "in_weekly_therapy",
}


def gate_field_name(key: str) -> str:
    """The "does it apply?" radio of a count question."""
    return _GATE_FIELDS.get(key, f"{key}_applies")


def missing_label(path: str) -> str:
    """How a missing answer is named to staff ("C-SSRS question 4: intent")."""
    try:
        return question(path).short_label
    except KeyError:
        return path.replace("_", " ")


def scoring_for_browser() -> dict[str, object]:
    """Items, bands and the flagged item of each instrument, for the page's live
    totals (rendered with `json_script`; the JavaScript repeats none of it)."""
    return {
        key: {
            "items": len(inst.items),
            "bands": [[band.top, band.label] for band in inst.bands],
            "flagItem": inst.flag_item,
        }
        for key, inst in INSTRUMENTS.items()
    }
