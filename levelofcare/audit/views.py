"""The audit trail page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from levelofcare.audit.selectors import (
    audit_client_is_own,
    audit_events,
    audit_rows,
)
from locatr.params import bad_request, date_param, text_param


def _audit_scope(request: HttpRequest, reference: str) -> None:
    """Criteria admins read everything; clinicians only their own clients' records.

    Two permissions, either of which admits (with a row scope for the second):
    `permission_required` cannot say "either", so this is the one place that
    checks permissions in the view body.
    """
    user = request.user
    if user.has_perm("levelofcare.view_audit"):
        return
    if not user.has_perm("levelofcare.view_own_audit"):
        raise PermissionDenied
    if not reference:
        raise PermissionDenied("Choose one of your clients by reference.")
    if not audit_client_is_own(user=user, client_reference=reference):
        raise PermissionDenied("You can read the audit trail of your own clients only.")


def _day(value: str) -> datetime | None:
    day = date_param(value)
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


BAD_FILTER = (
    "Filter the audit trail by client reference and username (no control "
    "characters), and by real dates written YYYY-MM-DD (1900-01-01 to 9998-12-31)."
)


def audit_log(request: HttpRequest) -> HttpResponse:
    reference = text_param(request.GET.get("client"))
    username = text_param(request.GET.get("user"))
    since_raw, until_raw = request.GET.get("from", ""), request.GET.get("to", "")
    if reference is None or username is None:
        return bad_request(BAD_FILTER)
    reference = reference.upper()
    _audit_scope(request, reference)
    since, until = _day(since_raw), _day(until_raw)
    if (since_raw and since is None) or (until_raw and until is None):
        return bad_request(BAD_FILTER)
    if until:
        until = until + timedelta(days=1)
    events = audit_events(
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
            # Names and changed fields for this page's rows only.
            "rows": audit_rows(list(page.object_list)),
            "filters": filters,
            "extra_query": "".join(f"{k}={v}&" for k, v in filters.items() if v),
        },
    )
