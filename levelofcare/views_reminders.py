"""Reviews due (with reassignment) and the user's in-app notifications."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from levelofcare.models import CriteriaSet, Notification, ProgressReview
from levelofcare.reviews import review_reassign
from locatr.roles import CLINICIANS

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PAGE_SIZE = 25


def _require(request: HttpRequest, *perms: str) -> User:
    """The signed-in user, if they hold every permission; else 403."""
    user = request.user
    if not user.is_authenticated or not all(user.has_perm(p) for p in perms):
        raise PermissionDenied
    return user


def _clinicians() -> Any:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIANS)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class ReassignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(queryset=_clinicians(), label="Assign to")
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


@require_GET
def reviews_due(request: HttpRequest) -> HttpResponse:
    """Scheduled reviews due within the lead time or past due, soonest first."""
    user = _require(request, "levelofcare.view_progressreview")
    now = timezone.now()
    criteria = CriteriaSet.objects.get(is_active=True)
    reviews = (
        ProgressReview.objects.filter(
            status=ProgressReview.Status.SCHEDULED,
            due_at__lte=now + timedelta(hours=criteria.reminder_lead_hours),
        )
        .select_related("placement__client", "assigned_to")
        .order_by("due_at", "pk")
    )
    review_pk = request.GET.get("review", "")
    who = "all" if request.GET.get("who") == "all" or review_pk else "mine"
    if review_pk.isdigit():
        # A reminder's link: that one review, whoever it is assigned to.
        reviews = reviews.filter(pk=int(review_pk))
    elif who == "mine":
        reviews = reviews.filter(assigned_to=user)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    for review in page:
        review.is_overdue = review.due_at < now  # type: ignore[attr-defined]
    return render(
        request,
        "levelofcare/reviews_due.html",
        {
            "page": page,
            "who": who,
            "single_review": review_pk.isdigit(),
            "clinicians": list(_clinicians()),
            "can_reassign": user.has_perm("levelofcare.change_progressreview"),
            "lead_hours": criteria.reminder_lead_hours,
            "current_url": request.get_full_path(),
        },
    )


@require_POST
def review_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reassign one scheduled review to another clinician (POST from the due list)."""
    _require(
        request,
        "levelofcare.view_progressreview",
        "levelofcare.change_progressreview",
    )
    review = get_object_or_404(
        ProgressReview.objects.select_related("placement__client"),
        pk=pk,
        status=ProgressReview.Status.SCHEDULED,
    )
    form = ReassignForm(request.POST)
    fallback = reverse("levelofcare:reviews_due")
    if not form.is_valid():
        messages.error(request, "Choose a clinician to assign the review to.")
        return redirect(_safe_next(request, request.POST.get("next", ""), fallback))
    user = form.cleaned_data["assigned_to"]
    review_reassign(review=review, assigned_to=user)
    messages.success(
        request,
        f"Review for client ref {review.placement.client.reference} assigned to "
        f"{user.get_full_name() or user.get_username()}.",
    )
    return redirect(_safe_next(request, form.cleaned_data["next"], fallback))


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in clinician's notifications, newest first."""
    user = _require(request, "levelofcare.view_progressreview")
    items = Notification.objects.filter(user=user).order_by("-created_at", "-pk")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "levelofcare/notifications.html", {"page": page})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with go=1, open its link (how a click works)."""
    user = _require(request, "levelofcare.view_progressreview")
    notification = get_object_or_404(Notification, pk=pk, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    fallback = reverse("levelofcare:notifications")
    if request.POST.get("go") == "1" or request.GET.get("go") == "1":
        return HttpResponseRedirect(_safe_next(request, notification.url, fallback))
    return redirect(fallback)


@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's unread notifications read."""
    user = _require(request, "levelofcare.view_progressreview")
    count = Notification.objects.filter(user=user, read_at=None).update(
        read_at=timezone.now()
    )
    messages.success(
        request, f"{count} notification{'s' if count != 1 else ''} marked read."
    )
    return redirect("levelofcare:notifications")
