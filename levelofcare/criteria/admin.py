"""Django admin for criteria versions (criteria admins only).

Versions are never edited in place. The active version's change form is a draft
of the next version: "Save" creates version N+1 through `criteria_set_create`
and makes it active; "Preview impact" posts the draft to its own admin URL
(`<pk>/preview/`), which shows how many past assessments would change level
under it, and the draft again, ready to save. Older versions are read-only;
nothing can be added from scratch or deleted.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from levelofcare import rules
from levelofcare.criteria.impact import impact_preview
from levelofcare.criteria.selectors import criteria_active, criteria_next_version
from levelofcare.criteria.services import (
    CHANGE_NOTE_REQUIRED,
    LIMITS,
    criteria_changes,
    criteria_set_create,
    criteria_values_errors,
)
from levelofcare.errors import CriteriaConflictError
from levelofcare.models import CriteriaSet
from locatr.params import int_param

META_FIELDS = ("version", "is_active", "created_by", "created_at")
INTERVAL_FIELDS = tuple(
    name
    for name in CriteriaSet.SETTING_FIELDS
    if name not in CriteriaSet.THRESHOLD_FIELDS
)


class CriteriaDraftForm(forms.ModelForm):  # type: ignore[type-arg]
    """The active version's values as a draft of the next version.

    Range and consistency checks come from `criteria_values_errors`, so the admin
    and the service say the same thing. `note` is the new version's change note:
    a form-only field, so the version being edited is never touched, not even in
    memory. "Preview impact" needs no note.
    """

    note = forms.CharField(
        label="Change note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required. Why the criteria change; kept in the history with your name "
            "and the date."
        ),
        error_messages={"required": CHANGE_NOTE_REQUIRED},
    )

    class Meta:
        model = CriteriaSet
        fields = CriteriaSet.SETTING_FIELDS

    # Values to show instead of the active version's on an unbound form (the
    # overrides report's "try a threshold" link): `CriteriaSetAdmin.get_form`.
    suggested: tuple[tuple[str, int], ...] = ()

    def __init__(self, *args: Any, preview: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(dict(self.suggested))
        self.is_preview = preview
        self.fields["note"].required = not self.is_preview
        for name, limit in LIMITS.items():
            field = self.fields.get(name)
            if field is None:
                continue
            # Our messages replace Django's generic "Ensure this value is...".
            field.validators = []
            field.widget.attrs.update(min=limit.low, max=limit.high)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        values = {
            name: cleaned[name]
            for name in CriteriaSet.SETTING_FIELDS
            if cleaned.get(name) is not None
        }
        for name, messages_ in criteria_values_errors(values).items():
            if name in self.fields and name not in self.errors:
                for message in messages_:
                    self.add_error(name, message)
        unchanged = not criteria_changes(self.initial, values)
        if not self.is_preview and not self.errors and unchanged:
            self.add_error(
                None,
                "Nothing changed: every value equals version "
                f"{self.instance.version}. Change a threshold or an interval "
                "to create a new version.",
            )
        return cleaned

    def setting_values(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in CriteriaSet.SETTING_FIELDS}

    def draft_criteria(self) -> rules.Criteria:
        return rules.Criteria(
            **{name: self.cleaned_data[name] for name in CriteriaSet.THRESHOLD_FIELDS}
        )


@admin.register(CriteriaSet)
class CriteriaSetAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    form = CriteriaDraftForm
    list_display = (
        "version_label",
        "is_active",
        "created_by",
        "created_at",
        "change_note",
        "changes",
    )
    list_display_links = ("version_label",)
    ordering = ("-version",)
    history_list_display = ("what_changed",)

    # --- permissions: no add, no delete, only the active version is editable ----

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: CriteriaSet | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: CriteriaSet | None = None
    ) -> bool:
        if obj is not None and (not obj.is_active or _is_history_view(request)):
            return False
        return bool(super().has_change_permission(request, obj))

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    # --- queryset and columns ---------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[CriteriaSet]:
        previous = CriteriaSet.objects.filter(version__lt=OuterRef("version")).order_by(
            "-version"
        )
        queryset: QuerySet[CriteriaSet] = super().get_queryset(request)
        return queryset.select_related("created_by").annotate(
            **{
                f"previous_{name}": Subquery(previous.values(name)[:1])
                for name in CriteriaSet.SETTING_FIELDS
            }
        )

    @admin.display(description="version", ordering="version")
    def version_label(self, obj: CriteriaSet) -> str:
        return f"Version {obj.version}"

    @admin.display(description="changes from the previous version")
    def changes(self, obj: CriteriaSet) -> str:
        previous = {
            name: getattr(obj, f"previous_{name}", None)
            for name in CriteriaSet.SETTING_FIELDS
        }
        if all(value is None for value in previous.values()):
            return "First version"
        return _changes_text(previous, obj) or "No setting changed"

    @admin.display(description="note of this version")
    def note_of_this_version(self, obj: CriteriaSet) -> str:
        return obj.change_note

    def what_changed(self, record: Any) -> str:
        """History column: a new version's settings against the version before."""
        if record.history_type != "+":
            return "Active" if record.is_active else "No longer active"
        previous = CriteriaSet.objects.filter(version__lt=record.version).first()
        if previous is None:
            return f"Version {record.version} (first version)"
        changed = _changes_text(previous, record.instance) or "no setting changed"
        return f"Version {record.version} from version {previous.version}: {changed}"

    # --- form layout ----------------------------------------------------------

    def get_fieldsets(
        self, request: HttpRequest, obj: CriteriaSet | None = None
    ) -> Any:
        thresholds = ("Thresholds", {"fields": CriteriaSet.THRESHOLD_FIELDS})
        intervals = ("Review intervals and reminders", {"fields": INTERVAL_FIELDS})
        if obj is not None and self.has_change_permission(request, obj):
            return [
                (None, {"fields": (*META_FIELDS, "note_of_this_version")}),
                thresholds,
                intervals,
                (
                    f"New version {criteria_next_version()}",
                    {
                        "fields": ("note",),
                        "description": (
                            "Saving creates a new version with these values and "
                            f"makes it active. Version {obj.version} stays as it "
                            "is, so recommendations made with it can always be "
                            "explained. Use “Preview impact” first to see which "
                            "past assessments would change level."
                        ),
                    },
                ),
            ]
        return [
            (None, {"fields": (*META_FIELDS, "change_note")}),
            thresholds,
            intervals,
        ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CriteriaSet | None = None
    ) -> Any:
        if obj is not None and self.has_change_permission(request, obj):
            return (*META_FIELDS, "note_of_this_version")
        return (*META_FIELDS, *CriteriaSet.SETTING_FIELDS, "change_note")

    # --- views ----------------------------------------------------------------

    def get_form(
        self,
        request: HttpRequest,
        obj: CriteriaSet | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        """The draft form; on a GET of the active version, prefilled with the
        thresholds in the query string (`?phq9_iop_min=16`, from the overrides
        report). Values out of bounds are ignored; nothing is saved."""
        form = super().get_form(request, obj, change, **kwargs)
        suggested = _suggested(request) if obj is not None and obj.is_active else ()
        if not suggested:
            return form
        return type(form.__name__, (form,), {"suggested": suggested})

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "active_version": criteria_active(),
            "next_version": criteria_next_version(),
            "can_change_criteria": self.has_change_permission(request),
            **(extra_context or {}),
        }
        response: HttpResponse = super().changelist_view(request, context)
        return response

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = (
            None if object_id is None else self.get_object(request, unquote(object_id))
        )
        context = dict(extra_context or {})
        suggested = _suggested(request)
        if obj is not None and obj.is_active and suggested:
            self.message_user(
                request,
                "Prefilled from the overrides report: "
                + "; ".join(
                    f"{LIMITS[name].short_label} {value} (now {getattr(obj, name)})"
                    for name, value in suggested
                )
                + ". Nothing is saved: use “Preview impact” to see which past "
                "assessments would change level.",
                messages.INFO,
            )
        if obj is not None and self.has_change_permission(request, obj):
            context.update(
                title=f"Change criteria: version {obj.version} → new version",
                editing_active=True,
                next_version=criteria_next_version(),
                preview_url=reverse(
                    "admin:levelofcare_criteriaset_preview", args=[obj.pk]
                ),
            )
        if obj is not None and request.method == "POST":
            if not super().has_change_permission(request):
                raise PermissionDenied
            if not obj.is_active:
                return self._stale(request, obj)
        try:
            response: HttpResponse = super().changeform_view(
                request, object_id, form_url, context
            )
            return response
        except CriteriaConflictError as exc:
            # Another admin saved between our form check and our save.
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(_change_url(criteria_active()))

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied  # no revert: a change is always a new version
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response

    def _stale(self, request: HttpRequest, obj: CriteriaSet) -> HttpResponse:
        active = criteria_active()
        self.message_user(
            request,
            f"Version {obj.version} is no longer active: version {active.version} "
            "was saved meanwhile. Nothing was saved; apply your change to version "
            f"{active.version}.",
            messages.ERROR,
        )
        return HttpResponseRedirect(_change_url(active))

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(require_POST(self.preview_view)),
            name="levelofcare_criteriaset_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST a draft of the next version: its impact on past assessments, and
        the draft again, ready to save. Nothing is written."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such criteria version.")
        if not self.has_change_permission(request, obj):
            if not super().has_change_permission(request):
                raise PermissionDenied
            return self._stale(request, obj)
        form = CriteriaDraftForm(request.POST, instance=obj, preview=True)
        impact = None
        if form.is_valid():
            impact = impact_preview(draft=form.draft_criteria())
            self.message_user(
                request,
                format_html(
                    'Nothing was saved. <a href="#impact-preview">Impact preview</a>: '
                    "{} of {} submitted assessments would change level.",
                    impact.changed,
                    impact.examined,
                ),
                messages.INFO,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview impact: version {obj.version} → new version",
            "subtitle": str(obj),
            "opts": self.opts,
            "original": obj,
            "form": form,
            "impact": impact,
            "draft_changes": (
                _changes_text(form.initial, form.cleaned_data) if impact else ""
            ),
            "next_version": criteria_next_version(),
            "change_url": _change_url(obj),
            "preview_url": reverse(
                "admin:levelofcare_criteriaset_preview", args=[obj.pk]
            ),
        }
        return TemplateResponse(
            request, "admin/levelofcare/criteriaset/preview.html", context
        )

    # --- saving: through the service, never obj.save() -------------------------

    def save_model(
        self, request: HttpRequest, obj: CriteriaSet, form: Any, change: bool
    ) -> None:
        based_on = obj.version
        created = criteria_set_create(
            based_on=obj,
            values=form.setting_values(),
            change_note=form.cleaned_data["note"],
            user=cast(User, request.user),  # the admin site admits staff only
        )
        # The admin goes on to log and answer about `obj`: make it the new
        # version (in memory only; the old row was not written except is_active).
        for field in CriteriaSet._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._based_on_version = based_on  # type: ignore[attr-defined]

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> str:
        changed = _changes_text(form.initial, form.cleaned_data)
        return f"New version from the active one. {changed}"

    def response_change(self, request: HttpRequest, obj: CriteriaSet) -> HttpResponse:
        based_on = getattr(obj, "_based_on_version", None)
        self.message_user(
            request,
            f"Saved as version {obj.version}, now active. Version {based_on} is "
            "kept unchanged (read-only).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:levelofcare_criteriaset_changelist"))


def _suggested(request: HttpRequest) -> tuple[tuple[str, int], ...]:
    """Threshold values in a GET query string, each within its bounds."""
    if request.method != "GET":
        return ()
    found = []
    for spec in rules.THRESHOLDS:
        value = int_param(request.GET.get(spec.name), low=spec.low, high=spec.high)
        if value is not None:
            found.append((spec.name, value))
    return tuple(found)


def _is_history_view(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and (match.url_name or "").endswith("_simple_history")


def _change_url(obj: CriteriaSet) -> str:
    return reverse("admin:levelofcare_criteriaset_change", args=[obj.pk])


def _changes_text(old: Any, new: Any) -> str:
    return "; ".join(
        f"{label}: {before} → {after}"
        for label, before, after in criteria_changes(old, new)
    )
