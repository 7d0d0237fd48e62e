"""Progress reviews: the due list (with reassignment) and starting a review, which
is a reassessment on the intake form, pre-filled."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.forms import AssessmentForm
from intake.models import Client
from intake.selectors import assessment_latest_submitted
from levelofcare.errors import ServiceError
from levelofcare.models import ProgressReview
from levelofcare.presentation import PROGRESS_REVIEW_START_VIEW_NAME
from levelofcare.progress import selectors
from levelofcare.progress.forms import ReassignForm
from levelofcare.progress.services import progress_review_reassign
from levelofcare.recommendations.selectors import progress_review_draft
from levelofcare.recommendations.views.assessments import (
    CarriedForward,
    assessment_form_page,
)
from locatr.http import safe_next, signed_in_user
from locatr.params import bad_request, pk_param, text_param

PAGE_SIZE = 25
VIEW = "levelofcare.view_progressreview"
CHANGE = "levelofcare.change_progressreview"


@permission_required(VIEW, raise_exception=True)
@require_GET
def progress_reviews_due(request: HttpRequest) -> HttpResponse:
    """Scheduled reviews due within the lead time or past due, soonest first."""
    review_pk = request.GET.get("review", "")
    review_id = pk_param(review_pk)
    if review_pk and review_id is None:
        return bad_request("“review” must be the number of a progress review.")
    status = text_param(request.GET.get("status"), max_length=20)
    if status not in ("", "overdue"):
        return bad_request("“status” must be “overdue” (or left out).")
    who = "all" if request.GET.get("who") == "all" or review_pk else "mine"
    due = selectors.progress_reviews_due(
        user=request.user,
        everyone=who == "all",
        # A reminder's link: that one review, whoever it is assigned to.
        review_pk=review_id,
        overdue_only=status == "overdue",
    )
    page = Paginator(due.reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    for review in page:
        review.is_overdue = review.due_at < due.now  # type: ignore[attr-defined]
    return render(
        request,
        "levelofcare/reviews_due.html",
        {
            "page": page,
            "who": who,
            "status": status,
            "extra_query": "".join(
                f"{key}={value}&"
                for key, value in (
                    ("who", "all" if who == "all" else ""),
                    ("status", status),
                )
                if value
            ),
            "single_review": review_id is not None,
            "clinicians": list(selectors.clinicians_active()),
            "can_reassign": request.user.has_perm(CHANGE),
            "lead_hours": due.lead_hours,
            "current_url": request.get_full_path(),
        },
    )


@permission_required((VIEW, CHANGE), raise_exception=True)
@require_POST
def progress_review_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Reassign one scheduled review to another clinician (POST from the due list)."""
    try:
        review = selectors.progress_review_scheduled(pk=pk)
    except ProgressReview.DoesNotExist as exc:
        raise Http404("No such scheduled progress review.") from exc
    form = ReassignForm(request.POST)
    fallback = reverse("levelofcare:progress_reviews_due")
    if not form.is_valid():
        messages.error(request, "Choose a clinician to assign the review to.")
        return redirect(safe_next(request, request.POST.get("next", ""), fallback))
    user = form.cleaned_data["assigned_to"]
    try:
        progress_review_reassign(
            review=review, assigned_to=user, by=signed_in_user(request)
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Review for client ref {review.placement.client.reference} assigned to "
            f"{user.get_full_name() or user.get_username()}.",
        )
    return redirect(safe_next(request, form.cleaned_data["next"], fallback))


@permission_required(CHANGE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def progress_review_start(request: HttpRequest, pk: int) -> HttpResponse:
    """A progress review is a reassessment: the intake form, pre-filled.

    Any scheduled review of an open placement can be started at any time, before
    it is due too (e.g. from the client page when something changed); its due
    date only drives the reminders.
    """
    review = get_object_or_404(
        ProgressReview.objects.select_related("placement__client"), pk=pk
    )
    if review.status != ProgressReview.Status.SCHEDULED:
        messages.info(request, "This progress review is already closed.")
        return redirect("levelofcare:progress_reviews_due")
    if not review.placement.is_open:
        messages.info(request, "This placement has ended: its reviews are closed.")
        return redirect(review.placement.client)
    client: Client = review.placement.client
    draft = progress_review_draft(review=review)
    # The last submitted answers are carried forward, except the questions the
    # catalogue asks afresh on every review (safety); each carried answer is
    # marked until it is changed.
    previous = assessment_latest_submitted(client=client)
    carried = (
        CarriedForward(
            initial=AssessmentForm.initial_for_review(
                previous.answers, previous.partial_items
            ),
            on=timezone.localdate(previous.submitted_at),
        )
        if previous and previous.submitted_at
        else None
    )
    if draft:
        initial = AssessmentForm.initial_from(
            draft.answers, draft.partial_items, draft.notes
        )
    else:
        initial = dict(carried.initial) if carried else {}
    return assessment_form_page(
        request,
        client=client,
        assessment=draft,
        initial=initial,
        progress_review=review,
        review_after_submit=True,
        carried_forward=carried,
        extra={"progress_review": review},
        view_name=PROGRESS_REVIEW_START_VIEW_NAME,
    )
