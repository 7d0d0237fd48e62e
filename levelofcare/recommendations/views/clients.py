"""Client pages: the list with each client's latest level, and the record (a
timeline of assessments, recommendations, decisions and placements)."""

from __future__ import annotations

import logging
import secrets
from typing import Final

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from intake.models import Client
from intake.services import client_record_viewed, client_records_viewed
from levelofcare.models import LEVEL_RANK, LevelChoices
from levelofcare.presentation import CLIENT_LIST_VIEW_NAME, CLIENT_SEARCH_VIEW_NAME
from levelofcare.programs.selectors import client_waitlists
from levelofcare.recommendations import selectors
from locatr.http import signed_in_user
from locatr.params import bad_request, text_param

VIEW_CLIENTS = "intake.view_client"
PAGE_SIZE: Final = 25
# The session keeps a user's recent searches as {opaque id: terms}; the URL
# carries only the id. Names and dates of birth are patient-identifying and URLs
# end up in access logs and browser history.
SEARCHES_SESSION_KEY: Final = "client_searches"
SEARCHES_KEPT: Final = 20
MAX_QUERY_LENGTH: Final = 100

logger = logging.getLogger(__name__)


@permission_required(VIEW_CLIENTS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_list(request: HttpRequest) -> HttpResponse:
    """Clients, newest activity first; a search (POST) redirects to its results.

    Post/redirect/get: the terms stay in the session under a random id and the
    results page is a GET (`?search=<id>&page=N`), so Back and Reload never ask
    to resend a form.
    """
    if request.method == "POST":
        return _search_remember(request)
    show = text_param(request.GET.get("show"), max_length=20)
    if show is None or (show and show not in selectors.CLIENT_SHOWS):
        return bad_request(
            "“show” must be one of: " + ", ".join(selectors.CLIENT_SHOWS) + "."
        )
    level = text_param(request.GET.get("level"), max_length=20)
    if level is None or (level and level not in LEVEL_RANK):
        return bad_request("“level” must be one of: " + ", ".join(LEVEL_RANK) + ".")
    search_id = request.GET.get("search", "")
    query = ""
    if search_id:
        searches = request.session.get(SEARCHES_SESSION_KEY, {})
        if search_id not in searches:
            messages.info(request, "That search is no longer available: search again.")
            return redirect("levelofcare:client_list")
        query = searches[search_id]
    clients = selectors.client_search(
        query=query, show=show, level=level, user=request.user
    )
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    # Every client shown is a record view; a search's rows are named as such
    # (its terms stay in the session, never in the audit trail).
    client_records_viewed(
        user=signed_in_user(request),
        clients=list(page),
        view_name=CLIENT_SEARCH_VIEW_NAME if search_id else CLIENT_LIST_VIEW_NAME,
    )
    return render(
        request,
        "intake/client_list.html",
        {
            "page": page,
            "search_terms": query,
            "search_id": search_id,
            "show": show,
            "show_words": selectors.CLIENT_SHOWS.get(show, ""),
            "level": level,
            "level_label": dict(LevelChoices.choices).get(level, ""),
            # Filters only (status and level values, never names): safe in URLs.
            "extra_query": "".join(
                f"{key}={value}&"
                for key, value in (
                    ("search", search_id),
                    ("show", show),
                    ("level", level),
                )
                if value
            ),
        },
    )


def _search_remember(request: HttpRequest) -> HttpResponse:
    query = text_param(
        request.POST.get("q", "").strip()[:MAX_QUERY_LENGTH],
        max_length=MAX_QUERY_LENGTH,
    )
    if query is None:
        messages.error(request, "Search terms cannot contain a NUL character.")
        return redirect("levelofcare:client_list")
    if not query:
        return redirect("levelofcare:client_list")
    search_id = secrets.token_urlsafe(9)
    searches = dict(request.session.get(SEARCHES_SESSION_KEY, {}))
    searches[search_id] = query
    # Dicts keep insertion order: keep the newest few.
    request.session[SEARCHES_SESSION_KEY] = dict(
        list(searches.items())[-SEARCHES_KEPT:]
    )
    # Logged without the terms (they identify people): who searched, and how much.
    logger.info(
        "client search by user %s: %d word(s), %d match(es)",
        signed_in_user(request).pk,
        len(query.split()),
        selectors.client_search(query=query).count(),
    )
    return redirect(f"{reverse('levelofcare:client_list')}?search={search_id}")


@permission_required(VIEW_CLIENTS, raise_exception=True)
@require_safe
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    client_record_viewed(
        user=signed_in_user(request), client=client, view_name="client_detail"
    )
    context = {
        "client": client,
        "glance": selectors.client_at_a_glance(client=client),
        "timeline": selectors.client_timeline(client=client),
        "trends": selectors.client_score_trends(client=client),
        "waitlists": client_waitlists(client_id=client.pk),
    }
    return render(request, "intake/client_detail.html", context)
