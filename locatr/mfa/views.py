"""Second-factor pages: verify, enrol, backup codes, settings, admin reset."""

from __future__ import annotations

import re
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from locatr.http import safe_next, signed_in_user
from locatr.mfa.forms import CodeForm, ResetForm
from locatr.mfa.middleware import session_verified
from locatr.mfa.selectors import second_factor_resets
from locatr.mfa.services import (
    SecondFactorError,
    backup_codes_left,
    backup_codes_renew,
    enrolment_confirm,
    second_factor_reset,
    second_factor_verify,
    totp_device_confirmed,
    totp_device_for_enrolment,
    user_has_second_factor,
)

NEW_CODES_SESSION_KEY = "mfa_new_backup_codes"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return safe_next(request, target, reverse("home"))


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def qr_code_svg(data: str) -> SafeString:
    """`data` as an inline SVG QR code, drawn here (no external service)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(
        r'^<svg width="[^"]*" height="[^"]*"',
        '<svg width="220" height="220" class="img-fluid" role="img" '
        'aria-label="QR code for your authenticator app"',
        svg,
    )
    # Built from our own device URL by qrcode: no user input reaches the markup.
    return mark_safe(svg)  # noqa: S308 - qrcode draws it from our own device URL


def totp_secret(device: TOTPDevice) -> str:
    """The device's secret in base32, in groups of four, for typing by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    next_url = _next(request)
    if session_verified(request):
        return redirect(next_url)
    if not user_has_second_factor(user=user):
        return redirect(_with_next(reverse("mfa:enrol"), next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = second_factor_verify(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        if result.device is not None:
            request.session.cycle_key()
            django_otp.login(request, result.device)
            if result.backup_code:
                left = backup_codes_left(user=user)
                messages.warning(
                    request,
                    f"You used a backup code: {left} left. Each works only once; "
                    "make new ones in Two-factor settings when you run low.",
                )
            return redirect(next_url)
        if result.locked_until is not None:
            wait = max(1, int((result.locked_until - timezone.now()).total_seconds()))
            form.add_error(
                "code", f"Too many wrong codes. Wait {wait} seconds and try again."
            )
        else:
            form.add_error(
                "code",
                "That code is not right. Enter the current 6-digit code from your "
                "authenticator app, or one of your backup codes.",
            )
    return render(request, "mfa/verify.html", {"form": form, "next": next_url})


@never_cache
def enrol(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    next_url = _next(request)
    if user_has_second_factor(user=user):
        if session_verified(request):
            return redirect("mfa:settings")
        return redirect(_with_next(reverse("mfa:verify"), next_url))
    device = totp_device_for_enrolment(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session.cycle_key()
            django_otp.login(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_with_next(reverse("mfa:backup_codes"), next_url))
        form.add_error(
            "code",
            "That code is not right. Check that the app shows locatr, wait for the "
            "next code and enter it.",
        )
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": qr_code_svg(device.config_url),
        "secret": totp_secret(device),
    }
    return render(request, "mfa/enrol.html", context)


@never_cache
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes, shown once: they leave the session as the page renders."""
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        messages.info(request, "Backup codes are shown only once, when they are made.")
        return redirect("mfa:settings")
    return render(
        request, "mfa/backup_codes.html", {"codes": codes, "next": _next(request)}
    )


@never_cache
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    device = totp_device_confirmed(user=user)
    context = {
        "device": device,
        "verified": session_verified(request),
        "codes_left": backup_codes_left(user=user) if device else 0,
    }
    return render(request, "mfa/settings.html", context)


@require_POST
def backup_codes_new(request: HttpRequest) -> HttpResponse:
    """Ten new backup codes (the old ones stop working): only with a verified
    second factor in this session."""
    user = signed_in_user(request)
    if not session_verified(request):
        return redirect_to_login(reverse("mfa:settings"), reverse("mfa:verify"))
    request.session[NEW_CODES_SESSION_KEY] = backup_codes_renew(
        request=request, user=user
    )
    return redirect(_with_next(reverse("mfa:backup_codes"), reverse("mfa:settings")))


@permission_required("levelofcare.reset_second_factor", raise_exception=True)
@never_cache
def reset(request: HttpRequest) -> HttpResponse:
    """A criteria admin resets another user's lost device, with a reason; the
    page lists earlier resets (also in the audit trail)."""
    actor = signed_in_user(request)
    form = ResetForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        whom = form.cleaned_data["user"]
        try:
            second_factor_reset(
                request=request,
                actor=actor,
                user=whom,
                reason=form.cleaned_data["reason"],
            )
        except SecondFactorError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"The second factor of {whom.username} is reset: they set up a new "
                "one at their next sign-in.",
            )
            return redirect("mfa:reset")
    return render(
        request, "mfa/reset.html", {"form": form, "resets": second_factor_resets()}
    )
