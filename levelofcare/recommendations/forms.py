"""The clinician's decision form."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from levelofcare.models import (
    LEVEL_RANK,
    Decision,
    LevelChoices,
    Program,
    Recommendation,
)
from levelofcare.programs import matching
from levelofcare.programs.selectors import ProgramMatches

ONLY_WHEN_CHOOSING = "Only when you choose another level."


class DecisionForm(forms.Form):
    """Accept the recommended level, or choose another with a reason.

    What each choice needs (the service checks the same rules again):
    - accept: nothing more; the rationale is optional (required for a correction)
      and the program is optional; no reason code;
    - choose another level (an override): the level, a reason code and a
      rationale, and below an inpatient recommendation the safety acknowledgement;
    - no recommended level ("insufficient information"): the level and a
      rationale; the reason code is optional. Recorded as decided without a
      recommendation, not as an override.
    The page shows only the fields of the choice made (decision.js); without
    JavaScript every field is shown with a hint saying when it applies.
    """

    ACCEPT = "accept"
    OVERRIDE = "override"  # choose a level yourself (also: no recommended level)

    action = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            (ACCEPT, "Accept the recommended level"),
            (OVERRIDE, "Choose another level"),
        ],
    )
    level = forms.ChoiceField(
        label="Level of care",
        required=False,
        choices=[("", "— choose a level —"), *LevelChoices.choices],
        help_text=ONLY_WHEN_CHOOSING,
    )
    reason_code = forms.ChoiceField(
        label="Reason",
        required=False,
        choices=[("", "— choose a reason —"), *Decision.ReasonCode.choices],
        help_text=f"{ONLY_WHEN_CHOOSING} Not needed to accept.",
    )
    safety_acknowledged = forms.BooleanField(
        label="I have considered the safety criteria that recommend inpatient care "
        "and I choose a lower level.",
        required=False,
        help_text="Only when you choose a level below inpatient.",
    )
    rationale = forms.CharField(
        label="Rationale",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you choose another level; optional when you "
        "accept: what made you decide so.",
    )
    # Which program: one of the ranked matches (its id), one outside the directory
    # ("other", named in `program`), a service gap ("gap"), or none yet ("").
    OTHER = "other"
    GAP = "gap"
    program_choice = forms.ChoiceField(
        label="Program",
        required=False,
        widget=forms.RadioSelect,
        choices=[("", "No program yet")],
        error_messages={
            "invalid_choice": "Choose a program from the list shown: the list "
            "follows the level you decide."
        },
    )
    join_waitlist = forms.BooleanField(
        label="If the program is full, put the client on its waitlist",
        required=False,
    )
    program = forms.CharField(
        label="Name of the program",
        required=False,
        max_length=200,
        help_text="Only when the program is not in the directory: its name.",
    )
    service_gap = forms.ChoiceField(
        label="Why no program fits",
        required=False,
        choices=[("", "— choose a reason —"), *Decision.ServiceGap.choices],
        help_text="Only when you record a service gap.",
    )
    placed_level = forms.ChoiceField(
        label="Place the client at, until a place opens",
        required=False,
        choices=[("", "— choose a level —"), *LevelChoices.choices],
        help_text="Levels with an open place, nearest first.",
    )
    gap_waitlist = forms.ChoiceField(
        label="Also put the client on the waitlist of (optional)",
        required=False,
        choices=[("", "— no waitlist —")],
    )

    def __init__(
        self,
        *args: Any,
        recommendation: Recommendation,
        correcting: bool = False,
        matches: ProgramMatches | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        self.correcting = correcting
        self.matches = matches
        self._programs_from(matches)
        self.without_recommendation = recommendation.level is None
        if self.without_recommendation:
            # Nothing to accept: the clinician decides a level, with a rationale.
            action = cast(forms.ChoiceField, self.fields["action"])  # declared above
            action.choices = [(self.OVERRIDE, "Decide a level")]
            action.initial = self.OVERRIDE
            self.fields["level"].help_text = ""
            self.fields["reason_code"].label = "Reason (optional)"
            self.fields["reason_code"].help_text = ""
            self.fields["rationale"].help_text = (
                "Required: there is no recommended level, so say what you based "
                "your decision on."
            )
        if recommendation.level != "inpatient":
            del self.fields["safety_acknowledged"]
        if correcting:
            rationale = self.fields["rationale"]
            rationale.help_text = (
                "Required, whichever you choose: why the earlier decision is corrected."
            )

    def _programs_from(self, matches: ProgramMatches | None) -> None:
        """The program choices: the ranked matches, then outside the directory, a
        service gap, or none yet; the gap's levels nearest first."""
        ranked = matches.shown if matches else []
        self.programs: dict[str, Program] = {
            str(r.program.pk): r.program for r in ranked
        }
        choice = cast(forms.ChoiceField, self.fields["program_choice"])
        choice.choices = [
            *((key, program.name) for key, program in self.programs.items()),
            (self.OTHER, "A program outside the directory"),
            (self.GAP, "No program fits: record a service gap"),
            ("", "No program yet"),
        ]
        choice.initial = ""
        waitlist = cast(forms.ChoiceField, self.fields["gap_waitlist"])
        waitlist.choices = [
            ("", "— no waitlist —"),
            *((key, program.name) for key, program in self.programs.items()),
        ]
        if matches is None:
            return
        if matches.gap is not None:
            self.fields["service_gap"].initial = matches.gap.value
        levels = matches.placement_levels or matching.placement_levels(
            indicated=matches.level, with_room=LEVEL_RANK
        )
        labels = dict(LevelChoices.choices)
        placed = cast(forms.ChoiceField, self.fields["placed_level"])
        placed.choices = [(slug, labels[slug]) for slug in levels]
        placed.initial = levels[0] if levels else ""
        if not matches.placement_levels:
            placed.help_text = "No other level has an open place in the directory."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_program(data)
        rationale = data.get("rationale", "").strip()
        if self.correcting and not rationale:
            self.add_error(
                "rationale", "Explain why the earlier decision is corrected."
            )
        if data.get("action") == self.ACCEPT:
            if self.without_recommendation:
                self.add_error("action", "There is no recommended level to accept.")
            # Accepting needs no level of one's own and no reason; no
            # acknowledgement either, unless a service gap places the client
            # below an inpatient recommendation.
            data.update(
                level=self.recommendation.level,
                reason_code="",
                safety_acknowledged=self._gap_below_inpatient(data)
                and data.get("safety_acknowledged", False),
            )
            if self._gap_below_inpatient(data) and not data["safety_acknowledged"]:
                self.add_error("safety_acknowledged", self.SAFETY_GAP)
        elif not data.get("level"):
            self.add_error("level", "Choose the level of care you decide on.")
        elif self.without_recommendation:
            if not rationale and not self.correcting:
                self.add_error(
                    "rationale",
                    "Write a short rationale: there is no recommended level.",
                )
        else:
            self._clean_override(data, has_rationale=bool(rationale))
        return data

    SAFETY_GAP = (
        "Confirm that you have considered the safety criteria before placing the "
        "client below inpatient care."
    )

    def _gap_below_inpatient(self, data: dict[str, Any]) -> bool:
        placed = data.get("placed_level", "")
        return (
            self.recommendation.level == "inpatient"
            and placed in LEVEL_RANK
            and LEVEL_RANK[placed] < LEVEL_RANK["inpatient"]
        )

    GAP_FIELDS = ("service_gap", "placed_level", "gap_waitlist")

    def _clean_program(self, data: dict[str, Any]) -> None:
        """Turn the program choice into the service's arguments."""
        choice = data.get("program_choice", "")
        name = data.get("program", "").strip()
        data["referred_program"] = None
        if choice == "" and name:
            choice = self.OTHER  # the name typed is the choice (no JavaScript)
        if choice == self.GAP:
            self._clean_gap(data)
            return
        # The gap's fields are posted whatever the choice (hidden, with their
        # defaults for the level shown): only a service gap reads them.
        for field in self.GAP_FIELDS:
            self.errors.pop(field, None)
        data.update(service_gap="", placed_level="")
        if choice == self.OTHER:
            if not name:
                self.add_error("program", "Type the name of the program.")
        elif choice:
            if name:
                self.add_error(
                    "program",
                    "Leave this empty when you choose a program from the directory.",
                )
            data["referred_program"] = self.programs[choice]

    def _clean_gap(self, data: dict[str, Any]) -> None:
        data["program"] = ""
        if "service_gap" in data and not data["service_gap"]:
            self.add_error("service_gap", "Choose why no program fits.")
        if "placed_level" in data and not data["placed_level"]:
            self.add_error("placed_level", "Choose the level the client is placed at.")
        data["referred_program"] = self.programs.get(data.get("gap_waitlist", ""))

    def _clean_override(self, data: dict[str, Any], *, has_rationale: bool) -> None:
        recommended = self.recommendation.level
        level = data["level"]
        if level == recommended:
            self.add_error(
                "level", "That is the recommended level: choose “Accept” instead."
            )
            return
        if not data.get("reason_code"):
            self.add_error("reason_code", "Choose the reason for your decision.")
        if not has_rationale and not self.correcting:
            self.add_error("rationale", "Write a short rationale for your decision.")
        lower = (
            recommended == "inpatient" and LEVEL_RANK[level] < LEVEL_RANK["inpatient"]
        )
        if lower and not data.get("safety_acknowledged"):
            self.add_error(
                "safety_acknowledged",
                "Confirm that you have considered the safety criteria before choosing "
                "a level below inpatient.",
            )
