"""The reminder-email choice on the notifications page."""

from __future__ import annotations

from django import forms


class ReminderEmailForm(forms.Form):
    email = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])
