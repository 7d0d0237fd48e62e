"""The criteria book page (`/criteria/`): thin, the rows come from `book.py`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from levelofcare.criteria.book import BAD_VERSION, criteria_book
from levelofcare.models import CriteriaSet
from locatr.params import bad_request, int_param
from locatr.roles import user_roles

VERSION_MAX = 2**31 - 1  # CriteriaSet.version is a PositiveIntegerField


@require_safe
def criteria_book_view(request: HttpRequest) -> HttpResponse:
    """Every signed-in role reads the book (anonymous users are sent to sign in)."""
    if not user_roles(request.user):
        raise PermissionDenied
    raw = request.GET.get("version")
    version = None
    if raw is not None:
        version = int_param(raw, low=0, high=VERSION_MAX)
        if version is None:
            return bad_request(BAD_VERSION)
    try:
        book = criteria_book(version=version)
    except CriteriaSet.DoesNotExist:
        raise Http404(f"There is no criteria version {version}.") from None
    return render(request, "levelofcare/criteria_book.html", {"book": book})
