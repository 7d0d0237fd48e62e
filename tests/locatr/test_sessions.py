"""Sessions end after SESSION_IDLE_MINUTES without a request and 8 hours after
signing in; the cookie ends with the browser; every answer to a signed-in user is
no-store; the CSP report endpoint logs a short line (issue 11)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _sign_in(client: Client, username: str) -> None:
    response = client.post(
        reverse("login"), {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_session_settings() -> None:
    assert django_settings.SESSION_IDLE_MINUTES == 15
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert django_settings.SESSION_ABSOLUTE_SECONDS == 8 * 3600


def test_the_session_cookie_ends_with_the_browser(
    client: Client, coordinator: Any
) -> None:
    response = client.post(
        reverse("login"), {"username": "casey", "password": PASSWORD}
    )
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"]
    assert not cookie["max-age"]


def test_idle_timeout_signs_out_with_a_message(
    client: Client, coordinator: Any
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _sign_in(client, "casey")
        assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=15, seconds=1))
        response = client.get("/clients/?q=x")
        assert response.status_code == 302
        assert response["Location"] == (
            reverse("login") + "?next=" + "/clients/%3Fq%3Dx"
        )
        page = client.get(response["Location"])
        assert "You were signed out after 15 minutes without activity" in (
            page.content.decode()
        )
        assert not page.wsgi_request.user.is_authenticated
        # Signed out for good: the next page asks to sign in again.
        assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive(client: Client, coordinator: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _sign_in(client, "casey")
        for _ in range(8):  # 8 x 14 minutes = almost 2 hours, never 15 idle
            traveller.shift(dt.timedelta(minutes=14))
            response = client.get("/")
            assert response.status_code == 200
            assert response.wsgi_request.user.is_authenticated


def test_absolute_lifetime_is_eight_hours_from_sign_in(
    client: Client, coordinator: Any
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _sign_in(client, "casey")
        for _ in range(47):  # active every 10 minutes: 7 h 50 min
            traveller.shift(dt.timedelta(minutes=10))
            assert client.get("/").status_code == 200
        traveller.shift(dt.timedelta(minutes=10))  # 8 hours after signing in
        response = client.get("/", follow=True)
        assert not response.wsgi_request.user.is_authenticated
        assert "8 hours after signing in" in response.content.decode()


def test_the_api_answers_401_json_after_the_idle_timeout(
    client: Client, coordinator: Any
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _sign_in(client, "casey")
        traveller.shift(dt.timedelta(minutes=16))
        response = client.post(
            reverse("api_evaluate"), "{}", content_type="application/json"
        )
        assert response.status_code == 401
        assert "without activity" in response.json()["errors"]["__all__"][0]


def test_asking_how_long_is_left_is_not_activity(
    client: Client, coordinator: Any
) -> None:
    status = reverse("session_status")
    with time_machine.travel(START, tick=False) as traveller:
        _sign_in(client, "casey")
        traveller.shift(dt.timedelta(minutes=10))
        assert client.get(status).json() == {"idle_seconds_left": 300}
        traveller.shift(dt.timedelta(minutes=4))
        assert client.get(status).json() == {"idle_seconds_left": 60}
        # "Stay signed in" restarts the clock.
        assert client.post(status).json() == {"idle_seconds_left": 900}
        traveller.shift(dt.timedelta(minutes=15))
        response = client.get(status)
        assert response.status_code == 401
        assert client.get("/").status_code == 302


def test_stay_signed_in_needs_the_csrf_token(coordinator: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    assert client.post(reverse("session_status")).status_code == 403


def test_signed_in_pages_carry_the_warning_with_its_numbers(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.SESSION_IDLE_MINUTES = 20
    client.force_login(coordinator)
    html = client.get("/").content.decode()
    assert 'data-idle-seconds="1200"' in html
    assert 'data-warning-seconds="60"' in html
    assert "You will be signed out in 1 minute" in html
    assert "js/session.js" in html
    client.logout()
    assert "session-timeout" not in client.get(reverse("login")).content.decode()


# --- headers ------------------------------------------------------------------------


def test_signed_in_answers_are_never_stored(client: Client, coordinator: Any) -> None:
    from tests.factories import answers, submit_assessment

    recommendation = submit_assessment(user=coordinator, answer_dict=answers())
    client.force_login(coordinator)
    pages = [
        reverse("home"),
        reverse("levelofcare:client_list"),
        reverse("levelofcare:client_detail", args=[recommendation.client_id]),
        reverse("levelofcare:assessment_print", args=[recommendation.assessment_id]),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store, private", path
        assert response["Pragma"] == "no-cache", path
    api = client.post(reverse("api_evaluate"), "{}", content_type="application/json")
    assert api.status_code == 200
    assert api["Cache-Control"] == "no-store, private"


def test_every_answer_has_a_permissions_policy_and_a_csp(client: Client) -> None:
    response = client.get(reverse("login"))
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
        "img-src 'self' data:",
        "report-uri /csp-report/",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_templates_have_no_inline_scripts_styles_or_handlers() -> None:
    import re
    from pathlib import Path

    inline = re.compile(
        r"<style|\sstyle=|\son[a-z]+=|<script(?![^>]*\s(src|type=\"application/json\"))"
    )
    found = [
        f"{path}: {match.group(0)}"
        for path in (Path(django_settings.BASE_DIR) / "templates").rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert found == []


# --- CSP reports --------------------------------------------------------------------


def _report(client: Client, body: object, **extra: Any) -> Any:
    return client.post(
        reverse("csp_report"),
        json.dumps(body),
        content_type="application/csp-report",
        **extra,
    )


def test_csp_reports_are_logged_in_one_short_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    report = {
        "csp-report": {
            "document-uri": "https://locatr.test/clients/7/?q=Jane+Doe",
            "effective-directive": "script-src-elem",
            "violated-directive": "script-src-elem",
            "blocked-uri": "https://evil.test/x.js?patient=Jane+Doe",
            "script-sample": "alert('Jane Doe')",
        }
    }
    with caplog.at_level(logging.WARNING, logger="locatr.csp"):
        response = _report(Client(enforce_csrf_checks=True), report)
    assert response.status_code == 204
    assert [r.getMessage() for r in caplog.records] == [
        "CSP violation: directive=script-src-elem blocked=https://evil.test/x.js"
    ]
    assert "Jane" not in caplog.text


def test_csp_reports_in_the_reporting_api_format(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    reports = [
        {
            "type": "csp-violation",
            "body": {"effectiveDirective": "style-src-attr", "blockedURL": "inline"},
        }
    ]
    with caplog.at_level(logging.WARNING, logger="locatr.csp"):
        assert _report(client, reports).status_code == 204
    assert "directive=style-src-attr blocked=inline" in caplog.text


def test_csp_report_endpoint_refuses_what_it_should(client: Client) -> None:
    url = reverse("csp_report")
    assert client.get(url).status_code == 405
    big = {"csp-report": {"blocked-uri": "x" * 9000}}
    assert _report(client, big).status_code == 413
    bad = client.post(url, "{" * 5000, content_type="application/csp-report")
    assert bad.status_code == 400
    deep = client.post(url, "[" * 3000, content_type="application/csp-report")
    assert deep.status_code == 400
