"""The clinician's decision form."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from levelofcare.models import LEVEL_RANK, Decision, LevelChoices, Recommendation


class DecisionForm(forms.Form):
    """Accept the recommended level, or choose another with a reason."""

    ACCEPT = "accept"
    OVERRIDE = "override"

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
    )
    reason_code = forms.ChoiceField(
        label="Reason",
        required=False,
        choices=[("", "— choose a reason —"), *Decision.ReasonCode.choices],
    )
    rationale = forms.CharField(
        label="Rationale",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you choose another level: what made you decide so.",
    )
    program = forms.CharField(
        label="Program referred to (optional)", required=False, max_length=200
    )
    safety_acknowledged = forms.BooleanField(
        label="I have considered the safety criteria that recommend inpatient care "
        "and I choose a lower level.",
        required=False,
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
        if recommendation.level is None:
            # Nothing to accept: the clinician decides a level with a reason.
            action = cast(forms.ChoiceField, self.fields["action"])  # declared above
            action.choices = [(self.OVERRIDE, "Decide a level")]
            action.initial = self.OVERRIDE
        if recommendation.level != "inpatient":
            del self.fields["safety_acknowledged"]
        if correcting:
            self.fields[
                "rationale"
            ].help_text = "Required: why the earlier decision is corrected."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        recommended = self.recommendation.level
        if data.get("action") == self.ACCEPT:
            if recommended is None:
                self.add_error("action", "There is no recommended level to accept.")
            data["level"] = recommended
            if self.correcting and not data.get("rationale", "").strip():
                self.add_error(
                    "rationale", "Explain why the earlier decision is corrected."
                )
            return data
        level = data.get("level")
        if not level:
            self.add_error("level", "Choose the level of care you decide on.")
            return data
        if level == recommended:
            self.add_error(
                "level", "That is the recommended level: choose “Accept” instead."
            )
        if not data.get("reason_code"):
            self.add_error("reason_code", "Choose the reason for your decision.")
        if not data.get("rationale", "").strip():
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
        return data
