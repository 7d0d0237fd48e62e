"""The criteria book page (`/criteria/`): thin, the rows come from `book.py`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from levelofcare.criteria.book import BAD_VERSION, criteria_book
from levelofcare.models import CriteriaSet
from locatr.roles import user_roles


def criteria_book_view(request: HttpRequest) -> HttpResponse:
    """Every signed-in role reads the book (anonymous users are sent to sign in)."""
    if not user_roles(request.user):
        raise PermissionDenied
    raw = request.GET.get("version")
    version = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()):
            return HttpResponseBadRequest(BAD_VERSION, content_type="text/plain")
        version = int(raw)
    try:
        book = criteria_book(version=version)
    except CriteriaSet.DoesNotExist:
        raise Http404(f"There is no criteria version {version}.") from None
    return render(request, "levelofcare/criteria_book.html", {"book": book})
