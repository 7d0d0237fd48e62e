"""Clinician review: the queue, the review page with its decision, progress-review
start, and the audit trail. Thin views over services and selectors."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods

from intake.forms import AssessmentForm
from intake.models import Assessment
from intake.services import client_record_viewed
from intake.views import _assessment_form_page
from levelofcare import selectors, services
from levelofcare.forms import DecisionForm
from levelofcare.models import (
    LEVEL_RANK,
    Decision,
    LevelChoices,
    ProgressReview,
    Recommendation,
)
from levelofcare.presentation import answer_sections, missing_links, reason_rows

DECIDE = "levelofcare.add_decision"


@permission_required(DECIDE, raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    if level not in {"", "none", *LEVEL_RANK}:
        level = ""
    hours_raw = request.GET.get("waited", "").strip()
    waited = int(hours_raw) if hours_raw.isdigit() else None
    waiting = selectors.recommendations_waiting(level=level, waited_hours=waited)
    page = Paginator(waiting, 25).get_page(request.GET.get("page"))
    flagged = sum(1 for rec in page.object_list if rec.safety_flag)
    query = "&".join(
        f"{k}={v}" for k, v in (("level", level), ("waited", hours_raw)) if v
    )
    return render(
        request,
        "levelofcare/review_queue.html",
        {
            "page": page,
            "level": level,
            "waited": hours_raw,
            "flagged": flagged,
            "levels": LevelChoices.choices,
            "extra_query": f"{query}&" if query else "",
            "now": timezone.now(),
        },
    )


def _tell_who_won(request: HttpRequest, winner: Decision) -> None:
    messages.warning(
        request,
        f"{winner.decided_by.get_full_name() or winner.decided_by.username} decided "
        f"first ({winner.get_kind_display().lower()}: {winner.get_level_display()}). "
        "Your decision was not recorded; read theirs below.",
    )


def _comparison(recommendation: Recommendation) -> dict[str, Any] | None:
    """For a progress review: the new recommendation against the current placement."""
    review = recommendation.assessment.progress_review
    if review is None:
        return None
    placement = review.placement
    before = placement.decision.recommendation
    new_level = recommendation.level
    if new_level is None:
        change = "undecided"
    elif LEVEL_RANK[new_level] < LEVEL_RANK[placement.level]:
        change = "step_down"
    elif LEVEL_RANK[new_level] > LEVEL_RANK[placement.level]:
        change = "step_up"
    else:
        change = "no_change"
    old_codes = {r["code"]: r for r in before.reasons}
    new_codes = {r["code"]: r for r in recommendation.reasons}
    return {
        "placement": placement,
        "change": change,
        "new_reasons": reason_rows(
            [r for c, r in new_codes.items() if c not in old_codes]
        ),
        "gone_reasons": reason_rows(
            [r for c, r in old_codes.items() if c not in new_codes]
        ),
    }


@permission_required(DECIDE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        recommendation = selectors.recommendation_for_review(pk=pk)
    except Recommendation.DoesNotExist as exc:
        raise Http404("No such recommendation.") from exc
    decisions = selectors.recommendation_decisions(recommendation=recommendation)
    original = next((d for d in decisions if d.corrects_id is None), None)
    latest = decisions[-1] if decisions else None
    correcting = original is not None
    basis = str(latest.pk) if latest else ""
    if request.method == "POST" and request.POST.get("basis", "") != basis:
        # The page was opened before someone else decided: never decide blind.
        if latest is not None:
            _tell_who_won(request, latest)
        return redirect(recommendation)
    form = DecisionForm(
        request.POST or None, recommendation=recommendation, correcting=correcting
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.decision_record(
                    recommendation=recommendation,
                    user=request.user,
                    level=data["level"],
                    reason_code=data.get("reason_code", ""),
                    rationale=data.get("rationale", ""),
                    program=data.get("program", ""),
                    safety_acknowledged=data.get("safety_acknowledged", False),
                    corrects=latest if correcting else None,
                )
            except services.DecisionConflict as conflict:
                _tell_who_won(request, conflict.winner)
                return redirect(recommendation)
            except services.DecisionError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, "Decision recorded and signed.")
                return redirect(recommendation.client)
        else:
            status = 400
    client_record_viewed(
        user=request.user,
        client=recommendation.client,
        view_name=services.REVIEW_VIEW_NAME,
    )
    context = {
        "recommendation": recommendation,
        "assessment": recommendation.assessment,
        "client": recommendation.client,
        "reasons": reason_rows(recommendation.reasons),
        "missing": missing_links(recommendation.missing),
        "sections": answer_sections(recommendation.assessment.answers),
        "decisions": decisions,
        "form": form,
        "correcting": correcting,
        "basis": basis,
        "comparison": _comparison(recommendation),
        **selectors.client_history(
            client_id=recommendation.client_id, exclude_recommendation=recommendation.pk
        ),
    }
    return render(request, "levelofcare/review_detail.html", context, status=status)


@permission_required("levelofcare.change_progressreview", raise_exception=True)
@require_http_methods(["GET", "POST"])
def review_start(request: HttpRequest, pk: int) -> HttpResponse:
    """A progress review is a reassessment: the intake form, pre-filled."""
    review = get_object_or_404(
        ProgressReview.objects.select_related("placement__client"), pk=pk
    )
    if review.status != ProgressReview.Status.SCHEDULED:
        messages.info(request, "This progress review is already closed.")
        return redirect("levelofcare:reviews_due")
    client = review.placement.client
    draft = Assessment.objects.filter(
        progress_review=review, status=Assessment.Status.DRAFT
    ).first()
    source = draft or (
        Assessment.objects.filter(client=client, status=Assessment.Status.SUBMITTED)
        .order_by("-submitted_at")
        .first()
    )
    initial = (
        AssessmentForm.initial_from(source.answers, source.partial_items)
        if source
        else {}
    )
    if draft:
        initial["notes"] = draft.notes
    return _assessment_form_page(
        request,
        client=client,
        assessment=draft,
        initial=initial,
        kind=Assessment.Kind.PROGRESS_REVIEW,
        progress_review_id=review.pk,
        extra={"progress_review": review},
        on_submit=lambda rec: reverse("levelofcare:review", args=[rec.pk]),
    )


def _audit_scope(request: HttpRequest, reference: str) -> None:
    """Criteria admins read everything; clinicians only their own clients' records."""
    user = request.user
    if user.has_perm("levelofcare.view_audit"):
        return
    if not user.has_perm("levelofcare.view_own_audit"):
        raise PermissionDenied
    if not reference:
        raise PermissionDenied("Choose one of your clients by reference.")
    own = (
        Decision.objects.filter(
            recommendation__client__reference=reference, decided_by=user
        ).exists()
        or ProgressReview.objects.filter(
            placement__client__reference=reference, assigned_to=user
        ).exists()
    )
    if not own:
        raise PermissionDenied("You can read the audit trail of your own clients only.")


def _day(value: str) -> datetime | None:
    day = parse_date(value) if value else None
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def audit_log(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("client", "").strip().upper()
    username = request.GET.get("user", "").strip()
    since_raw, until_raw = request.GET.get("from", ""), request.GET.get("to", "")
    _audit_scope(request, reference)
    since, until = _day(since_raw), _day(until_raw)
    if until:
        until = until + timezone.timedelta(days=1)
    events = selectors.audit_events(
        client_reference=reference, username=username, since=since, until=until
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    filters = {
        "client": reference,
        "user": username,
        "from": since_raw,
        "to": until_raw,
    }
    return render(
        request,
        "levelofcare/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "extra_query": "".join(f"{k}={v}&" for k, v in filters.items() if v),
        },
    )
