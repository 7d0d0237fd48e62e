"""Form of the due list: reassign a progress review."""

from __future__ import annotations

from django import forms

from levelofcare.progress.selectors import clinicians_active


class ReassignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=clinicians_active(), label="Assign to"
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
