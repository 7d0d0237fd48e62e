"""The break-the-glass form: a client reference and a reason, both required."""

from __future__ import annotations

from django import forms


class BreakGlassForm(forms.Form):
    client = forms.CharField(label="Client reference", max_length=40)
    reason = forms.CharField(
        label="Why do you need this client's audit trail?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required. Your reason, your name and the time are logged, shown on "
            "the client's audit trail and listed for criteria admins."
        ),
    )

    def clean_client(self) -> str:
        # References are kept upper case, as the audit log's filter reads them.
        return str(self.cleaned_data["client"]).strip().upper()
