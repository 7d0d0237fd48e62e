"""The clinician's decision form."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from levelofcare.models import LEVEL_RANK, Decision, LevelChoices, Recommendation

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
    program = forms.CharField(
        label="Program referred to (optional)",
        required=False,
        max_length=200,
        help_text="For example the IOP program the client starts in.",
    )

    def __init__(
        self,
        *args: Any,
        recommendation: Recommendation,
        correcting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation
        self.correcting = correcting
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rationale = data.get("rationale", "").strip()
        if self.correcting and not rationale:
            self.add_error(
                "rationale", "Explain why the earlier decision is corrected."
            )
        if data.get("action") == self.ACCEPT:
            if self.without_recommendation:
                self.add_error("action", "There is no recommended level to accept.")
            # Accepting needs no level of one's own, no reason and no acknowledgement.
            data.update(
                level=self.recommendation.level,
                reason_code="",
                safety_acknowledged=False,
            )
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
