"""Intake views: registering a client. Pages that show recommendations (client
list and record, assessments) are levelofcare's: `levelofcare.recommendations`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from intake import services
from intake.forms import ClientForm
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
