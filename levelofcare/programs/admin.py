"""Django admin for the program directory (criteria admins), with history.

Programs are never deleted (decisions and placements refer to them): a program
that closes is made inactive. Its waitlist is counted from its rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from levelofcare.models import Program
from levelofcare.programs.selectors import programs_with_waitlist
from levelofcare.programs.services import program_admin_save


class ProgramForm(forms.ModelForm):  # type: ignore[type-arg]
    """The days as checkboxes (stored as "mon,wed,fri")."""

    days = forms.MultipleChoiceField(
        label="Days of the week",
        choices=Program.DAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "level",
            "days",
            "hours",
            "modality",
            "location",
            "capacity",
            "open_places",
            "accepted_payers",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["days"] = list(self.instance.day_codes)
        # The count the admin saw goes back with the form, so a save applies
        # their change to it, not a stale count (`program_admin_save`).
        self.fields["open_places"].show_hidden_initial = True

    def open_places_shown(self) -> int | None:
        """The open places the form showed (None for a new program)."""
        if not self.instance.pk:
            return None
        raw = self.data.get(self.add_initial_prefix("open_places"))
        try:
            return int(raw) if raw is not None else None
        except (TypeError, ValueError):
            return None

    def clean_days(self) -> str:
        chosen = set(self.cleaned_data.get("days") or [])
        return ",".join(code for code, _ in Program.DAYS if code in chosen)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        capacity, open_places = data.get("capacity"), data.get("open_places")
        if capacity is not None and open_places is not None and open_places > capacity:
            self.add_error(
                "open_places", "Open places cannot be more than the capacity."
            )
        return data


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    form = ProgramForm
    list_display = (
        "name",
        "level",
        "hours",
        "modality",
        "days_label",
        "open_places",
        "capacity",
        "waitlist",
        "is_active",
    )
    list_filter = ("level", "modality", "hours", "is_active")
    search_fields = ("name", "location")
    ordering = ("name",)

    def save_model(
        self, request: HttpRequest, obj: Program, form: Any, change: bool
    ) -> None:
        program_admin_save(
            program=obj,
            open_places_shown=form.open_places_shown(),
            open_places_edited="open_places" in form.changed_data,
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return programs_with_waitlist()

    @admin.display(description="days")
    def days_label(self, obj: Program) -> str:
        return obj.days_label

    @admin.display(description="waitlist", ordering="waitlist_length")
    def waitlist(self, obj: Program) -> int:
        return int(getattr(obj, "waitlist_length", 0))

    def has_delete_permission(
        self, request: HttpRequest, obj: Program | None = None
    ) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # A past version is read, never posted back ("reverted"): it would
            # rewrite the open places that placements took since.
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True
