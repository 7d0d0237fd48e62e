"""The program directory as staff read it (`/programs/`): filters by level,
modality and hours. Criteria admins keep it in Django admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from levelofcare.models import LevelChoices, Program, WaitlistEntry
from levelofcare.programs.selectors import programs_directory
from levelofcare.programs.services import waitlist_leave

VIEW_PROGRAM = "levelofcare.view_program"


def _choice(value: str, choices: list[tuple[str, str]]) -> str:
    """A filter value if it is one of the choices, else "" (ignored)."""
    return value if value in dict(choices) else ""


@permission_required(VIEW_PROGRAM, raise_exception=True)
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "level": _choice(request.GET.get("level", ""), LevelChoices.choices),
        "modality": _choice(request.GET.get("modality", ""), Program.Modality.choices),
        "hours": _choice(request.GET.get("hours", ""), Program.Hours.choices),
    }
    programs = programs_directory(
        level=filters["level"], modality=filters["modality"], hours=filters["hours"]
    )
    page = Paginator(programs, 50).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(
        request,
        "levelofcare/programs/program_list.html",
        {
            "page": page,
            "filters": filters,
            "levels": LevelChoices.choices,
            "modalities": Program.Modality.choices,
            "hours_choices": Program.Hours.choices,
            "extra_query": f"{query}&" if query else "",
        },
    )


@permission_required("levelofcare.add_decision", raise_exception=True)
@require_POST
def waitlist_entry_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """A clinician takes the client off a program's waitlist (withdrawn; the
    entry and its history are kept)."""
    entry = get_object_or_404(WaitlistEntry.objects.select_related("program"), pk=pk)
    if waitlist_leave(program=entry.program, client_id=entry.client_id):
        messages.success(request, f"Taken off the waitlist of {entry.program.name}.")
    else:
        messages.info(request, f"No longer on the waitlist of {entry.program.name}.")
    return redirect("levelofcare:client_detail", pk=entry.client_id)
