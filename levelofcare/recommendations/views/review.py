"""Clinician review of a recommendation: the queue, and the review page with its
decision. Thin views over services and selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from intake.services import client_record_viewed
from levelofcare.errors import DecisionConflict, ProgramFull, ServiceError
from levelofcare.models import LEVEL_RANK, Decision, LevelChoices, Recommendation
from levelofcare.presentation import (
    MissingLink,
    answer_sections,
    missing_links,
    reason_rows,
    safety_rows,
)
from levelofcare.programs.selectors import ProgramMatches, programs_matching
from levelofcare.recommendations import selectors, services
from levelofcare.recommendations.forms import DecisionForm
from locatr.http import signed_in_user
from locatr.params import bad_request, int_param, text_param

DECIDE = "levelofcare.add_decision"
# Ten years: any real wait; more would overflow the date arithmetic.
WAITED_MAX_HOURS = 10 * 366 * 24
WAITED_IGNORED = (
    "“Waiting longer than” takes a whole number of hours (0 to "
    f"{WAITED_MAX_HOURS:,}): that filter was ignored."
)


@dataclass(frozen=True)
class QueueRow:
    """A waiting recommendation with its missing answers named by their labels."""

    rec: Recommendation
    missing: list[MissingLink]


@permission_required(DECIDE, raise_exception=True)
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    if level not in {"", "none", *LEVEL_RANK}:
        level = ""
    hours_raw = request.GET.get("waited", "").strip()
    waited = int_param(hours_raw, low=0, high=WAITED_MAX_HOURS)
    if hours_raw and waited is None:
        # A filter, not a record: ignored (with a word) rather than a 400 page.
        messages.warning(request, WAITED_IGNORED)
        hours_raw = ""
    flag = text_param(request.GET.get("flag"), max_length=20)
    if flag not in ("", "safety"):
        return bad_request("“flag” must be “safety” (or left out).")
    waiting = selectors.recommendations_waiting(
        level=level, waited_hours=waited, safety_only=flag == "safety"
    )
    page = Paginator(waiting, 25).get_page(request.GET.get("page"))
    rows = [QueueRow(rec, missing_links(rec.missing)) for rec in page.object_list]
    flagged = sum(1 for row in rows if row.rec.safety_flag)
    query = urlencode(
        {
            k: v
            for k, v in (("level", level), ("waited", hours_raw), ("flag", flag))
            if v
        }
    )
    return render(
        request,
        "levelofcare/review_queue.html",
        {
            "page": page,
            "rows": rows,
            "level": level,
            "waited": hours_raw,
            "flag": flag,
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
    review = selectors.recommendation_progress_review(recommendation=recommendation)
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
        "score_changes": selectors.assessment_score_changes(
            assessment=recommendation.assessment
        ),
        "new_reasons": reason_rows(
            [r for c, r in new_codes.items() if c not in old_codes]
        ),
        "gone_reasons": reason_rows(
            [r for c, r in old_codes.items() if c not in new_codes]
        ),
    }


def _programs_level(request: HttpRequest, recommendation: Recommendation) -> str:
    """The level whose programs the page ranks: the level being decided on a
    posted override, else the one asked for (`?programs=`), else the
    recommended one ("" for none)."""
    posted = request.POST.get("level", "")
    if request.POST.get("action") == DecisionForm.OVERRIDE and posted in LEVEL_RANK:
        return posted
    asked = request.GET.get("programs", "")
    if asked in LEVEL_RANK:
        return asked
    return recommendation.level or ""


def _matches(
    request: HttpRequest, recommendation: Recommendation
) -> ProgramMatches | None:
    level = _programs_level(request, recommendation)
    if not level:
        return None
    return programs_matching(recommendation=recommendation, level=level)


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
    matches = _matches(request, recommendation)
    form = DecisionForm(
        request.POST or None,
        recommendation=recommendation,
        correcting=correcting,
        matches=matches,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.decision_record(
                    recommendation=recommendation,
                    user=signed_in_user(request),
                    level=data["level"],
                    reason_code=data.get("reason_code", ""),
                    rationale=data.get("rationale", ""),
                    program=data.get("program", ""),
                    referred_program=data.get("referred_program"),
                    join_waitlist=data.get("join_waitlist", False),
                    service_gap=data.get("service_gap", ""),
                    placed_level=data.get("placed_level", ""),
                    safety_acknowledged=data.get("safety_acknowledged", False),
                    corrects=latest if correcting else None,
                )
            except DecisionConflict as conflict:
                _tell_who_won(request, conflict.winner)
                return redirect(recommendation)
            except ProgramFull as full:
                # Someone took the last place: say so next to the waitlist box.
                form.add_error("join_waitlist", str(full))
                status = 409
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, "Decision recorded and signed.")
                return redirect(recommendation.client)
        else:
            status = 400
    client_record_viewed(
        user=signed_in_user(request),
        client=recommendation.client,
        view_name=services.REVIEW_VIEW_NAME,
    )
    context = {
        "recommendation": recommendation,
        "assessment": recommendation.assessment,
        "client": recommendation.client,
        "reasons": reason_rows(recommendation.reasons),
        "safety_reasons": reason_rows(recommendation.inpatient_reasons),
        "missing": missing_links(recommendation.missing),
        "sections": answer_sections(recommendation.assessment.answers),
        "decisions": decisions,
        "form": form,
        "matches": matches,
        "levels": LevelChoices.choices,
        "correcting": correcting,
        "basis": basis,
        "comparison": _comparison(recommendation),
        "earlier_flags": [
            (earlier, safety_rows(earlier.reasons, earlier.notes))
            for earlier in selectors.recommendation_earlier_flags(
                recommendation=recommendation
            )
        ],
        **selectors.client_history(
            client_id=recommendation.client_id, exclude_recommendation=recommendation.pk
        ),
    }
    return render(request, "levelofcare/review_detail.html", context, status=status)
