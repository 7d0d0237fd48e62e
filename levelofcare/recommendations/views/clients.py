"""Client pages: the list with each client's latest level, and the record (a
timeline of assessments, recommendations, decisions and placements)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from intake.models import Client
from intake.services import client_record_viewed
from levelofcare.recommendations import selectors
from locatr.http import signed_in_user

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


@permission_required(VIEW_CLIENTS, raise_exception=True)
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    client_record_viewed(
        user=signed_in_user(request), client=client, view_name="client_detail"
    )
    context = {
        "client": client,
        "glance": selectors.client_at_a_glance(client=client),
        "timeline": selectors.client_timeline(client=client),
    }
    return render(request, "intake/client_detail.html", context)
