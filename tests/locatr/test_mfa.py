"""The second factor: a password alone opens nothing; enrol, verify, backup codes,
throttling, the admin reset, and the audit rows each one writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from levelofcare.models import AuthEvent
from tests.factories import ClientFactory
from tests.mfa_helpers import BACKUP_CODES, device_code, enrolled, secret_key, totp_code

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
VERIFY = "/account/two-factor/verify/"
ENROL = "/account/two-factor/enrol/"


@pytest.fixture
def mfa_on(settings: Any) -> None:
    settings.LOCATR_MFA_REQUIRED = True


def kinds(user: Any) -> list[str]:
    return list(
        AuthEvent.objects.filter(user=user, kind__startswith="mfa_")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )


# --- the setting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debug", "value", "expected"),
    [("0", None, True), ("1", None, False), ("1", "1", True), ("0", "0", False)],
)
def test_mfa_is_required_by_default_unless_debug(
    debug: str, value: str | None, expected: bool
) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOCATR_MFA_REQUIRED"}
    }
    env.update(
        DEBUG=debug,
        SECRET_KEY="mfa-setting-test-" + "k" * 40,
        LOCATR_ENV_FILE=str(ROOT / "does-not-exist.env"),
        DJANGO_SETTINGS_MODULE="locatr.settings",
    )
    if value is not None:
        env["LOCATR_MFA_REQUIRED"] = value
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.LOCATR_MFA_REQUIRED))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout) is expected


def test_the_laptop_env_switches_mfa_off(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    subprocess.run(
        [sys.executable, str(ROOT / "bin" / "write-dev-env"), str(target)],
        check=True,
        capture_output=True,
    )
    assert "LOCATR_MFA_REQUIRED=0" in target.read_text().splitlines()


# --- a password alone -----------------------------------------------------------


def _route_paths() -> list[str]:
    """One concrete path per URL pattern (route patterns; admin's regex ones
    are covered by /admin/ itself)."""
    samples = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        paths = []
        for p in patterns:
            route = getattr(p.pattern, "_route", None)
            if route is None:
                continue
            route = re.sub(
                r"<(?:(\w+):)?\w+>",
                lambda m: samples.get(m.group(1) or "str", "x"),
                route,
            )
            if isinstance(p, URLResolver):
                paths += walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                paths.append("/" + prefix + route)
        return paths

    return sorted(set(walk(get_resolver().url_patterns, "")))


OPEN_TO_ANYONE = {
    "/healthz",
    "/favicon.ico",
    "/accounts/login/",
    "/admin/login/",
    "/accounts/logout/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/x/x/",
    "/accounts/reset/done/",
    # Browsers send CSP violation reports without credentials.
    "/csp-report/",
    # The session clock (time left before the idle sign-out): no client data.
    "/session/",
    ENROL,
}


def test_a_password_alone_reaches_only_enrolment_sign_out_and_public_pages(
    client: Client, coordinator: Any, mfa_on: None
) -> None:
    ClientFactory(pk=1)
    client.force_login(coordinator)
    paths = _route_paths()
    assert "/clients/" in paths and "/api/v1/evaluate" in paths  # the walk works
    for path in paths:
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 403, path
            assert "second factor" in response.json()["errors"]["__all__"][0]
        elif path in OPEN_TO_ANYONE or path == VERIFY:
            # verify sends someone without a device on to enrolment
            assert response.status_code in (200, 302, 404, 405, 503), path
            if path == VERIFY:
                assert response["Location"].startswith(ENROL)
        else:
            assert response.status_code == 302, path
            assert response["Location"].startswith(ENROL + "?next="), path
    response = client.post(reverse("api_evaluate"), "{}", "application/json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")


def test_with_a_device_a_password_alone_is_sent_to_verify(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    enrolled(clinician)
    client.force_login(clinician)
    response = client.get("/clients/?q=x")
    assert response.status_code == 302
    assert response["Location"] == VERIFY + "?next=/clients/%3Fq%3Dx"
    # enrolling another device needs the first one
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_with_mfa_off_the_rest_of_the_app_is_unchanged(
    client: Client, coordinator: Any
) -> None:
    client.force_login(coordinator)
    assert client.get("/clients/").status_code == 200


# --- enrolment --------------------------------------------------------------------


def test_enrolment_shows_a_local_qr_code_and_confirms_with_a_code(
    client: Client, coordinator: Any, mfa_on: None
) -> None:
    client.force_login(coordinator)
    page = client.get(ENROL + "?next=/clients/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "<path" in html and "<img" not in html
    assert "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None
    key = secret_key(secret.group(1))
    device = TOTPDevice.objects.get(user=coordinator)
    assert device.bin_key == key and not device.confirmed
    # the secret stays the same when the page is reloaded
    assert secret.group(1) in client.get(ENROL).content.decode()

    wrong = client.post(ENROL, {"code": "000000", "next": "/clients/"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    response = client.post(ENROL, {"code": totp_code(key), "next": "/clients/"})
    assert response.status_code == 302
    assert (
        response["Location"] == "/account/two-factor/backup-codes/?next=%2Fclients%2F"
    )
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page)
    assert len(codes) == 10 == len(set(codes))
    assert 'href="/clients/"' in codes_page
    assert sorted(codes) == sorted(
        StaticDevice.objects.get(user=coordinator).token_set.values_list(
            "token", flat=True
        )
    )
    # shown once
    again = client.get("/account/two-factor/backup-codes/")
    assert again.status_code == 302 and again["Location"] == "/account/two-factor/"
    # the session is verified: client pages open
    assert client.get("/clients/").status_code == 200
    assert kinds(coordinator) == ["mfa_failed", "mfa_enrolled"]


# --- verify -----------------------------------------------------------------------


def test_a_totp_code_verifies_once(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    device = enrolled(clinician)
    client.force_login(clinician)
    code = device_code(device)
    response = client.post(VERIFY, {"code": code, "next": "/clients/"})
    assert response.status_code == 302 and response["Location"] == "/clients/"
    assert client.get("/clients/").status_code == 200
    event = AuthEvent.objects.get(kind="mfa_verified")
    assert (event.user, event.reason, event.ip_address) == (
        clinician,
        "authenticator app",
        "127.0.0.1",
    )

    other = Client()
    other.force_login(clinician)
    replay = other.post(VERIFY, {"code": code})
    assert replay.status_code == 200
    assert other.get("/clients/").status_code == 302


def test_a_backup_code_verifies_once(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    enrolled(clinician)
    client.force_login(clinician)
    response = client.post(VERIFY, {"code": BACKUP_CODES[0].upper()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "You used a backup code: 9 left" in response.content.decode()

    other = Client()
    other.force_login(clinician)
    response = other.post(VERIFY, {"code": BACKUP_CODES[0]})
    assert "That code is not right" in response.content.decode()
    assert other.get("/clients/").status_code == 302
    assert kinds(clinician) == ["mfa_verified", "mfa_failed"]


def test_wrong_codes_are_throttled_and_audited(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    device = enrolled(clinician)
    client.force_login(clinician)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            client.post(VERIFY, {"code": "000000"})
            clock.shift(timedelta(seconds=5))
        # three failures in a row: locked for 2**2 = 4 seconds after the last
        clock.shift(timedelta(seconds=-4))
        response = client.post(VERIFY, {"code": device_code(device)})
        assert "Too many wrong codes" in response.content.decode()
        assert client.get("/clients/").status_code == 302
        clock.shift(timedelta(seconds=5))
        response = client.post(VERIFY, {"code": device_code(device)})
        assert response.status_code == 302
    assert kinds(clinician) == ["mfa_failed"] * 4 + ["mfa_verified"]
    assert AuthEvent.objects.filter(reason="throttled").count() == 1


def test_junk_codes_are_a_form_error_not_a_500(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    enrolled(clinician)
    client.force_login(clinician)
    for junk in ["", "²²²²²²", "\x00" * 6, "1" * 5000, "12345", "DROP TABLE"]:
        response = client.post(VERIFY, {"code": junk})
        assert response.status_code == 200, junk
    assert client.get("/clients/").status_code == 302


# --- backup codes -----------------------------------------------------------------


def test_new_backup_codes_replace_the_old_ones(
    client: Client, clinician: Any, mfa_on: None
) -> None:
    device = enrolled(clinician)
    client.force_login(clinician)
    client.post(VERIFY, {"code": device_code(device)})
    page = client.get("/account/two-factor/").content.decode()
    assert 'data-testid="backup-codes-left">10<' in page
    response = client.post("/account/two-factor/backup-codes/new/", follow=True)
    new = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(BACKUP_CODES)

    other = Client()
    other.force_login(clinician)
    assert "not right" in other.post(VERIFY, {"code": BACKUP_CODES[1]}).content.decode()
    StaticDevice.objects.get(user=clinician).throttle_reset()
    assert other.post(VERIFY, {"code": new[0]}).status_code == 302
    assert "mfa_codes" in kinds(clinician)


def test_new_backup_codes_need_a_verified_session(
    client: Client, clinician: Any
) -> None:
    enrolled(clinician)
    client.force_login(clinician)  # MFA off: signed in with the password only
    response = client.post("/account/two-factor/backup-codes/new/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    tokens = StaticDevice.objects.get(user=clinician).token_set
    assert sorted(tokens.values_list("token", flat=True)) == sorted(BACKUP_CODES)


# --- the admin reset --------------------------------------------------------------


def test_a_criteria_admin_resets_a_lost_device_with_a_reason(
    client: Client, criteria_admin: Any, clinician: Any, mfa_on: None
) -> None:
    enrolled(clinician)
    admin_device = enrolled(criteria_admin)
    clinician_session = Client()
    clinician_session.force_login(clinician)
    clinician_session.post(VERIFY, {"code": BACKUP_CODES[0]})
    assert clinician_session.get("/clients/").status_code == 200

    client.force_login(criteria_admin)
    client.post(VERIFY, {"code": device_code(admin_device)})
    page = client.get("/account/two-factor/reset/").content.decode()
    assert f'<option value="{clinician.pk}"' in page
    assert f'<option value="{criteria_admin.pk}"' not in page  # not oneself

    no_reason = client.post(
        "/account/two-factor/reset/", {"user": clinician.pk, "reason": " "}
    )
    assert no_reason.status_code == 200
    assert TOTPDevice.objects.filter(user=clinician).exists()

    response = client.post(
        "/account/two-factor/reset/",
        {"user": clinician.pk, "reason": "Phone lost, ticket 42"},
        follow=True,
    )
    assert "set up a new one at their next sign-in" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    event = AuthEvent.objects.get(kind="mfa_reset")
    assert (event.user, event.actor, event.actor_username, event.reason) == (
        clinician,
        criteria_admin,
        "alex",
        "Phone lost, ticket 42",
    )
    listed = response.content.decode().split('data-testid="mfa-resets"')[1]
    assert "Phone lost, ticket 42" in listed and "robin" in listed
    assert "alex" in listed

    # the clinician's verified session is over: they must enrol again
    response = clinician_session.get("/clients/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)


def test_only_criteria_admins_reset_and_never_their_own(
    client: Client, coordinator: Any, clinician: Any, criteria_admin: Any
) -> None:
    from locatr.mfa.services import SecondFactorError, second_factor_reset

    enrolled(clinician)
    client.force_login(coordinator)
    assert client.get("/account/two-factor/reset/").status_code == 403
    response = client.post(
        "/account/two-factor/reset/", {"user": clinician.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=clinician).exists()
    with pytest.raises(SecondFactorError):
        second_factor_reset(
            request=None, actor=criteria_admin, user=criteria_admin, reason="lost"
        )
