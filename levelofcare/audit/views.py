"""The audit trail page, and breaking the glass to read a client's trail outside
one's caseload."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from levelofcare.audit.forms import BreakGlassForm
from levelofcare.audit.selectors import (
    BREAK_GLASS_MINUTES,
    audit_client_is_own,
    audit_events,
    audit_rows,
    break_glass_accesses,
    break_glass_active,
)
from levelofcare.audit.services import break_glass_open
from levelofcare.errors import ServiceError
from levelofcare.models import BreakGlassAccess
from locatr.http import signed_in_user
from locatr.params import bad_request, date_param, text_param

# The session's break-the-glass accesses, {client reference: access pk}: an
# access opens the trail in the session that gave the reason only.
BREAK_GLASS_SESSION_KEY: Final = "break_glass"
VIEW_AUDIT: Final = "levelofcare.view_audit"
VIEW_OWN_AUDIT: Final = "levelofcare.view_own_audit"


def _audit_scope(
    request: HttpRequest, reference: str
) -> tuple[HttpResponse | None, BreakGlassAccess | None]:
    """Criteria admins read everything; clinicians their caseload's clients, and
    another client only after breaking the glass (a redirect to the reason form
    until then). Returns (a response to send instead, the access in use).

    Two permissions, either of which admits (with a row scope for the second):
    `permission_required` cannot say "either", so this is the one place that
    checks permissions in the view body.
    """
    user = request.user
    if user.has_perm(VIEW_AUDIT):
        return None, None
    if not user.has_perm(VIEW_OWN_AUDIT):
        raise PermissionDenied
    if not reference:
        raise PermissionDenied("Choose one of your clients by reference.")
    if audit_client_is_own(user=user, client_reference=reference):
        return None, None
    granted = request.session.get(BREAK_GLASS_SESSION_KEY, {})
    access = break_glass_active(
        user=user,
        client_reference=reference,
        access_ids=[granted[reference]] if reference in granted else [],
    )
    if access is None:
        form_url = reverse("levelofcare:break_glass")
        return redirect(f"{form_url}?{urlencode({'client': reference})}"), None
    return None, access


def _day(value: str) -> datetime | None:
    day = date_param(value)
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


BAD_FILTER = (
    "Filter the audit trail by client reference and username (no control "
    "characters), and by real dates written YYYY-MM-DD (1900-01-01 to 9998-12-31)."
)


def _query_prefix(params: dict[str, str]) -> str:
    """The filters of a page for its pagination links: URL-encoded, then `&`."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{query}&" if query else ""


@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    reference = text_param(request.GET.get("client"))
    username = text_param(request.GET.get("user"))
    since_raw, until_raw = request.GET.get("from", ""), request.GET.get("to", "")
    if reference is None or username is None:
        return bad_request(BAD_FILTER)
    reference = reference.upper()
    refused, access = _audit_scope(request, reference)
    if refused is not None:
        return refused
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
            "extra_query": _query_prefix(filters),
            "break_glass": access,
            "break_glass_until": (
                access.at + timedelta(minutes=BREAK_GLASS_MINUTES) if access else None
            ),
        },
    )


@permission_required(VIEW_OWN_AUDIT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Ask why, log it, then open the client's audit trail for a limited time.

    GET shows the form (the client reference from `?client=`); a valid POST logs
    a `BreakGlassAccess`, remembers it in the session and goes to the trail.
    """
    form = BreakGlassForm(
        request.POST or None,
        initial={"client": request.GET.get("client", "").strip().upper()},
    )
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["client"]
        try:
            access = break_glass_open(
                user=signed_in_user(request),
                client_reference=reference,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            granted = dict(request.session.get(BREAK_GLASS_SESSION_KEY, {}))
            granted[reference] = access.pk
            request.session[BREAK_GLASS_SESSION_KEY] = granted
            messages.warning(
                request,
                f"You broke the glass: the audit trail of client ref {reference} "
                f"is open to you for {BREAK_GLASS_MINUTES} minutes. Your reason "
                "is logged.",
            )
            audit_url = reverse("levelofcare:audit_log")
            return redirect(f"{audit_url}?{urlencode({'client': reference})}")
    return render(
        request,
        "levelofcare/break_glass.html",
        {"form": form, "minutes": BREAK_GLASS_MINUTES},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(VIEW_AUDIT, raise_exception=True)
@require_GET
def break_glass_list(request: HttpRequest) -> HttpResponse:
    """Every break-the-glass access (who, which client, when, why), newest first."""
    page = Paginator(break_glass_accesses(), 50).get_page(request.GET.get("page"))
    return render(request, "levelofcare/break_glass_list.html", {"page": page})
