"""Assessment pages: fill in (draft or submit), the result with its
recommendation, and the printable result. Submitting makes the recommendation
in the same transaction (`services.assessment_submit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from intake.errors import AssessmentAlreadySubmittedError
from intake.forms import SUBMISSION_TOKEN, AssessmentForm, AssessmentVoidForm
from intake.models import Assessment, Client
from intake.selectors import assessment_of_form, assessment_patient_reports
from intake.services import client_record_viewed
from levelofcare.errors import ServiceError
from levelofcare.models import ProgressReview
from levelofcare.presentation import (
    ASSESSMENT_EDIT_VIEW_NAME,
    ASSESSMENT_FROM_VIEW_NAME,
    ASSESSMENT_NEW_VIEW_NAME,
    missing_links,
    reason_rows,
)
from levelofcare.recommendations import selectors, services
from locatr.http import signed_in_user
from locatr.params import bad_request, pk_param


@dataclass(frozen=True)
class CarriedForward:
    """Answers a progress review carries forward from an earlier assessment: its
    form initial data (without the questions asked afresh) and its date."""

    initial: dict[str, Any]
    on: date


def assessment_form_page(
    request: HttpRequest,
    *,
    client: Client,
    assessment: Assessment | None,
    initial: dict[str, Any],
    progress_review: ProgressReview | None = None,
    review_after_submit: bool = False,
    carried_forward: CarriedForward | None = None,
    extra: dict[str, Any] | None = None,
    submission_token: UUID | None = None,
    view_name: str,
) -> HttpResponse:
    """GET shows the form; POST saves a draft or submits. Nothing typed is lost:
    an invalid form re-renders with every answer as it was.

    A new assessment's form carries a one-time token (`submission_token`, from
    its URL, else a hidden field): a second POST of it (Back and Submit again, a
    double click, two at once) lands on what the first one made.

    A submit that leaves questions unanswered asks first: the answers are saved
    as a draft and the form comes back listing them, with "Submit anyway" (which
    posts `confirm_unanswered=1`). Saving a draft never asks.

    After a submit: the result page, or (`review_after_submit`) the clinician's
    review of the new recommendation. After a draft: back to the same form (for
    a progress review, its start page).

    Every time the form page is shown (it names the client, and often holds
    answers) it writes a record-view row named `view_name`.
    """
    if assessment is None:
        initial = {**initial, SUBMISSION_TOKEN: submission_token or uuid4()}
    form = AssessmentForm(request.POST or None, initial=initial)
    if carried_forward is not None:
        form.mark_carried_forward(carried_forward.initial, carried_forward.on)
    if request.method == "POST" and form.is_valid():
        return _save(
            request,
            form,
            client=client,
            assessment=assessment,
            progress_review=progress_review,
            review_after_submit=review_after_submit,
            extra=extra,
            submission_token=submission_token,
            view_name=view_name,
        )
    if request.method == "POST":
        messages.error(
            request, "Some answers need attention: see the messages next to them."
        )
    return _form_response(
        request,
        form,
        client=client,
        assessment=assessment,
        status=400 if request.method == "POST" else 200,
        extra=extra,
        view_name=view_name,
    )


def _save(
    request: HttpRequest,
    form: AssessmentForm,
    *,
    client: Client,
    assessment: Assessment | None,
    progress_review: ProgressReview | None,
    review_after_submit: bool,
    extra: dict[str, Any] | None,
    submission_token: UUID | None,
    view_name: str,
) -> HttpResponse:
    """Save a valid form: submit it, or keep it as a draft (asking first when a
    submit leaves questions unanswered)."""
    submitting = "submit" in request.POST
    fields: dict[str, Any] = {
        "assessment": assessment,
        "client": client,
        "user": signed_in_user(request),
        "answers": form.to_answers(),
        "partial_items": form.to_partial_items(),
        "notes": form.cleaned_data["notes"],
        "progress_review": progress_review,
        "submission_token": submission_token or form.cleaned_data[SUBMISSION_TOKEN],
    }
    unanswered = (
        form.unanswered()
        if submitting and request.POST.get("confirm_unanswered") != "1"
        else []
    )
    try:
        if submitting and not unanswered:
            recommendation = services.assessment_submit(**fields)
        else:
            draft = services.assessment_draft_save(**fields)
    except AssessmentAlreadySubmittedError as exc:
        messages.info(request, str(exc))
        return redirect("levelofcare:assessment_result", exc.assessment_id)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect(assessment or client)
    if submitting and not unanswered:
        messages.success(request, "Assessment submitted.")
        if review_after_submit:
            return redirect(recommendation)
        return redirect(recommendation.assessment)
    if unanswered:
        # Posting again must update this draft, not start another one.
        action = (
            reverse("levelofcare:assessment_edit", args=[draft.pk])
            if assessment is None and progress_review is None
            else request.get_full_path()
        )
        return _form_response(
            request,
            form,
            client=client,
            assessment=draft,
            unanswered=unanswered,
            action=action,
            extra=extra,
            view_name=view_name,
        )
    messages.info(request, "Draft saved. You can come back to it at any time.")
    if progress_review is not None:
        return redirect("levelofcare:progress_review_start", progress_review.pk)
    return redirect(draft)


def _form_response(
    request: HttpRequest,
    form: AssessmentForm,
    *,
    client: Client,
    assessment: Assessment | None,
    unanswered: list[tuple[str, str]] | None = None,
    action: str = "",
    status: int = 200,
    extra: dict[str, Any] | None = None,
    view_name: str,
) -> HttpResponse:
    """The form page; with `unanswered`, the box that asks "Submit anyway?".
    Logs that the user was shown the client (`view_name`)."""
    client_record_viewed(
        user=signed_in_user(request), client=client, view_name=view_name
    )
    context = {
        "item9_positive": form.flag_item_positive(),
        "client": client,
        "assessment": assessment,
        "form": form,
        "unanswered": unanswered or [],
        "patient_reports": assessment_patient_reports(assessment=assessment),
        "form_action": action,
        **(extra or {}),
    }
    return render(request, "intake/assessment_form.html", context, status=status)


@permission_required("intake.add_assessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new assessment. GET issues the form's one-time token in its URL, so that
    going Back to a submitted form (which browsers often load again, with the
    answers restored) finds its result instead of making a second one."""
    if request.method == "GET":
        url = reverse("levelofcare:assessment_create_form", args=[pk, uuid4()])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    return _assessment_new(request, pk, token=None)


@permission_required("intake.add_assessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_create_form(request: HttpRequest, pk: int, token: UUID) -> HttpResponse:
    """The form of one new assessment (`token`); once used, it leads to what it
    made: the result (already submitted) or the draft."""
    made = assessment_of_form(client_id=pk, token=token)
    if made is not None and request.method == "GET":
        if made.is_draft:
            messages.info(request, "This form was saved as a draft: continue it here.")
        else:
            messages.info(request, "This assessment was already submitted.")
        return redirect(made)
    return _assessment_new(request, pk, token=token)


def _assessment_new(
    request: HttpRequest, pk: int, *, token: UUID | None
) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    initial: dict[str, Any] = {}
    source_raw = request.GET.get("from", "")
    source_id = pk_param(source_raw)
    if source_raw and source_id is None:
        return bad_request("“from” must be the number of an earlier assessment.")
    if source_id is not None:
        # Start from an earlier assessment's answers (e.g. to fill in what was
        # missing); nothing is saved until the user saves.
        source = get_object_or_404(Assessment, pk=source_id, client=client)
        initial = AssessmentForm.initial_from(source.answers, source.partial_items)
    return assessment_form_page(
        request,
        client=client,
        assessment=None,
        initial=initial,
        submission_token=token,
        # Earlier answers on the form: a record view of its own kind.
        view_name=ASSESSMENT_FROM_VIEW_NAME if initial else ASSESSMENT_NEW_VIEW_NAME,
    )


@permission_required("intake.change_assessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(Assessment.objects.select_related("client"), pk=pk)
    if not assessment.is_draft:
        messages.info(
            request,
            "This assessment was already submitted."
            if request.method == "POST"
            else "This assessment was submitted and can no longer change.",
        )
        return redirect(assessment)
    initial = AssessmentForm.initial_from(
        assessment.answers, assessment.partial_items, assessment.notes
    )
    return assessment_form_page(
        request,
        client=assessment.client,
        assessment=assessment,
        initial=initial,
        progress_review=selectors.assessment_progress_review(assessment=assessment),
        view_name=ASSESSMENT_EDIT_VIEW_NAME,
    )


def _result_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    try:
        assessment = selectors.assessment_with_recommendation(pk=pk)
    except Assessment.DoesNotExist as exc:
        raise Http404("No such submitted assessment.") from exc
    recommendation = assessment.recommendation
    client_record_viewed(
        user=signed_in_user(request),
        client=assessment.client,
        view_name="assessment_result",
    )
    return {
        "assessment": assessment,
        "client": assessment.client,
        "recommendation": recommendation,
        "reasons": reason_rows(recommendation.reasons),
        "missing": missing_links(recommendation.missing),
    }


def _result_page(
    request: HttpRequest, pk: int, void_form: AssessmentVoidForm, status: int = 200
) -> HttpResponse:
    context = _result_context(request, pk)
    context["void_form"] = void_form
    context["decided"] = selectors.recommendation_is_decided(
        recommendation=context["recommendation"]
    )
    return render(request, "intake/assessment_result.html", context, status=status)


@permission_required("intake.view_assessment", raise_exception=True)
@require_safe
def assessment_result(request: HttpRequest, pk: int) -> HttpResponse:
    return _result_page(request, pk, AssessmentVoidForm())


@permission_required("intake.change_assessment", raise_exception=True)
@require_POST
def assessment_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void an assessment entered in error (reason required; before a decision)."""
    assessment = get_object_or_404(
        Assessment, pk=pk, status=Assessment.Status.SUBMITTED
    )
    form = AssessmentVoidForm(request.POST)
    if not form.is_valid():
        return _result_page(request, pk, form, status=400)
    try:
        services.assessment_void(
            assessment=assessment,
            user=signed_in_user(request),
            reason=form.cleaned_data["reason"],
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Assessment voided: its recommendation left the review queue."
        )
    return redirect(assessment)


@permission_required("intake.view_assessment", raise_exception=True)
@require_safe
def assessment_print(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "intake/assessment_print.html", _result_context(request, pk))
