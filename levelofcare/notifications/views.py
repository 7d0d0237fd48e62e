"""The signed-in clinician's in-app notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from levelofcare.models import Notification
from levelofcare.notifications import selectors, services
from levelofcare.notifications.forms import ReminderEmailForm
from levelofcare.progress.selectors import reminder_email_status
from locatr.http import safe_next

PAGE_SIZE = 25
PERMISSION = "levelofcare.view_progressreview"


@permission_required(PERMISSION, raise_exception=True)
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in clinician's notifications, newest first."""
    items = selectors.notifications_of(user=request.user)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "levelofcare/notifications.html",
        {
            "page": page,
            "email_off": reminder_email_status(user=request.user),
            "digest_minutes": settings.REMINDER_DIGEST_MINUTES,
        },
    )


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def notifications_email(request: HttpRequest) -> HttpResponse:
    """Turn reminder email on or off for the signed-in user."""
    form = ReminderEmailForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose on or off.")
    enabled = form.cleaned_data["email"] == "on"
    services.reminder_email_set(user=request.user, enabled=enabled)
    messages.success(
        request,
        "Reminder email is on."
        if enabled
        else "Reminder email is off; reminders still appear here.",
    )
    return redirect("levelofcare:notifications")


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with go=1, open its link (how a click works)."""
    try:
        notification = services.notification_read(user=request.user, pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc
    fallback = reverse("levelofcare:notifications")
    if request.POST.get("go") == "1" or request.GET.get("go") == "1":
        return HttpResponseRedirect(safe_next(request, notification.url, fallback))
    return redirect(fallback)


@permission_required(PERMISSION, raise_exception=True)
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's unread notifications read."""
    count = services.notifications_read_all(user=request.user)
    messages.success(
        request, f"{count} notification{'s' if count != 1 else ''} marked read."
    )
    return redirect("levelofcare:notifications")
