"""Admin of reminder email: the outbox (read-only, for criteria admins) and a flag
on the user list for staff who cannot get email."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from levelofcare.models import OutboxEmail


class OutboxStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("failed", "Failed"), ("pending", "Pending"), ("sent", "Sent")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboxEmail]
    ) -> QuerySet[OutboxEmail]:
        value = self.value()
        if value == "failed":
            return queryset.exclude(failed_at=None)
        if value == "pending":
            return queryset.filter(sent_at=None, failed_at=None)
        if value == "sent":
            return queryset.exclude(sent_at=None)
        return queryset


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Reminder digests: which failed for good (after every retry) and why."""

    list_display = (
        "created_at",
        "to_address",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = (OutboxStatusFilter,)
    search_fields = ("to_address",)
    date_hierarchy = "created_at"
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: OutboxEmail | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: OutboxEmail | None = None
    ) -> bool:
        return False


User = get_user_model()


class LocatrUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """Django's user admin, plus a column flagging accounts with no email address
    (they get in-app reminders only)."""

    list_display = (
        "username",
        "email",
        "has_email",
        "first_name",
        "last_name",
        "is_staff",
    )

    @admin.display(boolean=True, description="email", ordering="email")
    def has_email(self, obj: Any) -> bool:
        return bool(obj.email)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, LocatrUserAdmin)
