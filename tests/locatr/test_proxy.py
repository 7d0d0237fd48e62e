"""Behind a proxy: the client IP comes from X-Forwarded-For only with a trusted
proxy count, for axes' throttling and the sign-in audit alike (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from levelofcare.models import AuthEvent
from locatr.http import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.7", PROXY),  # no trusted proxy: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # left part forged by the client
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", PROXY),  # fewer entries than proxies
        (1, "not-an-ip", PROXY),
        (1, "", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings: Any, count: int, forwarded: str, expected: str) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert client_ip(request) == expected


def _fail(client: Client, username: str, ip: str) -> Any:
    return client.post(
        reverse("login"),
        {"username": username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=ip,
    )


def test_behind_one_proxy_users_are_throttled_and_audited_apart(
    client: Client, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="ann")
    UserFactory(username="ben")
    # An attacker at 198.51.100.66 fails as ann until she is locked there.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "ann", "198.51.100.66")
    assert _fail(client, "ann", "198.51.100.66").status_code == 429
    # ann herself, from her own address behind the same proxy, still signs in.
    response = client.post(
        reverse("login"),
        {"username": "ann", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.username == "ann"
    client.logout()
    # ben from a third address is not touched either.
    _fail(client, "ben", "203.0.113.20")
    failed = AuthEvent.objects.filter(kind=AuthEvent.Kind.LOGIN_FAILED)
    assert set(failed.values_list("username", "ip_address")) == {
        ("ann", "198.51.100.66"),
        ("ben", "203.0.113.20"),
    }
    login = AuthEvent.objects.get(kind=AuthEvent.Kind.LOGIN)
    assert login.ip_address == "203.0.113.10"
    assert not AuthEvent.objects.filter(ip_address=PROXY).exists()


def test_without_a_trusted_proxy_a_forged_header_is_ignored(
    client: Client, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="ann")
    # Changing the forged header every time does not dodge the lockout.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "ann", f"198.51.100.{n}")
    assert _fail(client, "ann", "198.51.100.200").status_code == 429
    ips = set(AuthEvent.objects.values_list("ip_address", flat=True))
    assert ips == {PROXY}
