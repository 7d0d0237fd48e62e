"""Intake views: registering a client and correcting its details. Pages that show
recommendations (client list and record, assessments) are levelofcare's:
`levelofcare.recommendations`."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from intake import services
from intake.forms import ClientForm
from intake.models import Client
from locatr.http import signed_in_user


@permission_required("intake.add_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = services.client_create(
            user=signed_in_user(request), **form.cleaned_data
        )
        messages.success(request, f"Client {client.reference} registered.")
        return redirect(client)
    return render(request, "intake/client_form.html", {"form": form})


@permission_required("intake.change_client", raise_exception=True)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a client's details; the change is audited (simple_history)."""
    client = get_object_or_404(Client, pk=pk)
    # The form validates a copy: the page keeps the saved reference while the
    # typed one is wrong.
    form = ClientForm(request.POST or None, instance=copy.copy(client))
    if request.method == "POST":
        if form.is_valid():
            client = services.client_update(
                client=client, user=signed_in_user(request), **form.cleaned_data
            )
            messages.success(request, f"Details of client {client.reference} saved.")
            return redirect(client)
        messages.error(request, "Some details need attention: see the messages.")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "intake/client_form.html",
        {"form": form, "client": client},
        status=status,
    )
