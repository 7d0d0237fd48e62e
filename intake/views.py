"""Intake views: thin wrappers around intake.services and intake.selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from intake import selectors, services
from intake.forms import AssessmentForm, ClientForm
from intake.models import Assessment, Client
from levelofcare.models import Recommendation
from levelofcare.presentation import missing_links, reason_rows

VIEW_CLIENTS = "intake.view_client"


@permission_required(VIEW_CLIENTS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_list(request: HttpRequest) -> HttpResponse:
    # A search by name travels in the POST body, never in the URL: URLs end up in
    # access logs and browser history, and names are patient-identifying.
    params = request.POST if request.method == "POST" else request.GET
    query = request.POST.get("q", "").strip()[:100]
    page = Paginator(selectors.client_search(query=query), 25).get_page(
        params.get("page")
    )
    return render(request, "intake/client_list.html", {"page": page, "query": query})


@permission_required("intake.add_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = services.client_create(user=request.user, **form.cleaned_data)
        messages.success(request, f"Client {client.reference} registered.")
        return redirect(client)
    return render(request, "intake/client_form.html", {"form": form})


@permission_required(VIEW_CLIENTS, raise_exception=True)
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    services.client_record_viewed(
        user=request.user, client=client, view_name="client_detail"
    )
    timeline = selectors.client_timeline(client=client)
    return render(
        request, "intake/client_detail.html", {"client": client, "timeline": timeline}
    )


def _assessment_form_page(
    request: HttpRequest,
    *,
    client: Client,
    assessment: Assessment | None,
    initial: dict[str, Any],
    kind: str = Assessment.Kind.INTAKE,
    progress_review_id: int | None = None,
    extra: dict[str, Any] | None = None,
    on_submit: Callable[[Recommendation], str] | None = None,
) -> HttpResponse:
    """GET shows the form; POST saves a draft or submits. Nothing typed is lost:
    an invalid form re-renders with every answer as it was."""
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {
            "assessment": assessment,
            "client": client,
            "user": request.user,
            "answers": form.to_answers(),
            "partial_items": form.to_partial_items(),
            "notes": form.cleaned_data["notes"],
            "kind": kind,
            "progress_review_id": progress_review_id,
        }
        if "submit" in request.POST:
            recommendation = services.assessment_submit(**fields)
            messages.success(request, "Assessment submitted.")
            if on_submit is not None:
                return redirect(on_submit(recommendation))
            return redirect(recommendation.assessment)
        draft = services.assessment_save_draft(**fields)
        messages.info(request, "Draft saved. You can come back to it at any time.")
        if draft.kind == Assessment.Kind.PROGRESS_REVIEW and draft.progress_review_id:
            return redirect("levelofcare:review_start", draft.progress_review_id)
        return redirect(reverse("intake:assessment_edit", args=[draft.pk]))
    if request.method == "POST":
        messages.error(
            request, "Some answers need attention: see the messages next to them."
        )
    item9 = form["phq9_9"].value()
    context = {
        "item9_positive": str(item9 or "0").isdigit() and int(item9 or 0) > 0,
        "client": client,
        "assessment": assessment,
        "form": form,
        "unanswered": form.unanswered() if form.is_bound and form.is_valid() else [],
        **(extra or {}),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/assessment_form.html", context, status=status)


@permission_required("intake.add_assessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    initial: dict[str, Any] = {}
    source_id = request.GET.get("from")
    if source_id and source_id.isdigit():
        # Start from an earlier assessment's answers (e.g. to fill in what was
        # missing); nothing is saved until the user saves.
        source = get_object_or_404(Assessment, pk=int(source_id), client=client)
        initial = AssessmentForm.initial_from(source.answers, source.partial_items)
    return _assessment_form_page(
        request, client=client, assessment=None, initial=initial
    )


@permission_required("intake.change_assessment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(Assessment.objects.select_related("client"), pk=pk)
    if not assessment.is_draft:
        messages.info(
            request, "This assessment was submitted and can no longer change."
        )
        return redirect(assessment)
    initial = AssessmentForm.initial_from(
        assessment.answers, assessment.partial_items, assessment.notes
    )
    return _assessment_form_page(
        request,
        client=assessment.client,
        assessment=assessment,
        initial=initial,
        kind=assessment.kind,
        progress_review_id=assessment.progress_review_id,
    )


def _result_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    assessment = get_object_or_404(
        Assessment.objects.select_related(
            "client", "submitted_by", "recommendation__criteria"
        ),
        pk=pk,
        status=Assessment.Status.SUBMITTED,
    )
    recommendation = assessment.recommendation
    services.client_record_viewed(
        user=request.user, client=assessment.client, view_name="assessment_result"
    )
    return {
        "assessment": assessment,
        "client": assessment.client,
        "recommendation": recommendation,
        "reasons": reason_rows(recommendation.reasons),
        "missing": missing_links(recommendation.missing),
    }


@permission_required("intake.view_assessment", raise_exception=True)
def assessment_result(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "intake/assessment_result.html", _result_context(request, pk)
    )


@permission_required("intake.view_assessment", raise_exception=True)
def assessment_print(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "intake/assessment_print.html", _result_context(request, pk))
