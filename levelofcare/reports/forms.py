"""The reports' date-range filter: two days, both included (default: the last 12
weeks). Bad dates get a message next to the field, never a 500."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from django import forms
from django.http import QueryDict

from levelofcare.reports.selectors import Period, period_default
from locatr.params import date_param

# The longest range a report covers (its weeks are listed one by one).
RANGE_MAX_DAYS: Final = 3 * 366
BAD_DATE: Final = "Enter a real date written YYYY-MM-DD (for example 2026-01-31)."


class PeriodForm(forms.Form):
    """`from` and `to` in the query string (no patient data in it)."""

    since = forms.CharField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.CharField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, query: QueryDict, *, today: date | None = None) -> None:
        self.default = period_default(today=today)
        data = {
            "from": query.get("from", "") or self.default.since.isoformat(),
            "to": query.get("to", "") or self.default.until.isoformat(),
        }
        super().__init__(data, prefix=None, auto_id="id_%s")

    def add_prefix(self, field_name: str) -> str:
        # The query string says `from` and `to` (words a person can read).
        return {"since": "from", "until": "to"}.get(field_name, field_name)

    def _day(self, name: str) -> date:
        day = date_param(str(self.cleaned_data.get(name) or ""))
        if day is None:
            raise forms.ValidationError(BAD_DATE, code="bad_date")
        return day

    def clean_since(self) -> date:
        return self._day("since")

    def clean_until(self) -> date:
        return self._day("until")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if isinstance(since, date) and isinstance(until, date):
            if since > until:
                self.add_error("until", "“To” must be on or after “From”.")
            elif (until - since) > timedelta(days=RANGE_MAX_DAYS):
                self.add_error("until", "Choose a range of at most three years.")
        return cleaned

    @property
    def period(self) -> Period:
        """The valid range (call after `is_valid()`)."""
        return Period(
            since=self.cleaned_data["since"], until=self.cleaned_data["until"]
        )
