"""Sign-in, sign-out, anonymous redirects, the per-role navigation and throttling."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_and_sign_out(client: Client, coordinator: Any) -> None:
    response = client.post(
        reverse("login"), {"username": "casey", "password": PASSWORD}, follow=True
    )
    assert response.wsgi_request.user.is_authenticated
    assert response.redirect_chain[-1][0] == reverse("home")
    assert b"Sign out" in response.content

    response = client.post(reverse("logout"), follow=True)
    assert not response.wsgi_request.user.is_authenticated
    assert response.redirect_chain[-1][0] == reverse("login")


def test_wrong_password_shows_an_error_and_does_not_sign_in(
    client: Client, coordinator: Any
) -> None:
    response = client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert b"enter a correct username and password" in response.content


def test_repeated_failures_lock_the_account_for_a_while(
    client: Client, coordinator: Any, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "casey", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize("path", ["/", "/admin/", "/accounts/password_change/"])
def test_anonymous_users_are_sent_to_sign_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or response[
        "Location"
    ].startswith("/admin/login/")


def test_login_page_and_healthz_are_open_to_anonymous_users(client: Client) -> None:
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


# Links each role must (and must not) see in the navigation bar.
NAV = {
    COORDINATORS: ({"Clients", "New client"}, {"Review queue", "Criteria admin"}),
    CLINICIANS: ({"Review queue", "Reviews due", "Clients"}, {"Criteria admin"}),
    CRITERIA_ADMINS: ({"Criteria admin", "Audit log"}, {"Clients", "Review queue"}),
}


@pytest.mark.parametrize("group_name", list(NAV))
def test_navigation_matches_the_role(client: Client, group_name: str) -> None:
    from tests.factories import UserFactory

    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name))
    client.force_login(user)
    response = client.get(reverse("home"))
    nav = (
        response.content.decode().split('data-testid="nav-links"')[1].split("</ul>")[0]
    )
    expected, forbidden = NAV[group_name]
    for label in expected:
        assert f">{label}<" in nav, label
    for label in forbidden:
        assert f">{label}<" not in nav, label
    assert group_name in response.content.decode()


def test_only_criteria_admins_reach_django_admin(
    client: Client, coordinator: Any, clinician: Any, criteria_admin: Any
) -> None:
    for user, expected in ((coordinator, 302), (clinician, 302), (criteria_admin, 200)):
        client.force_login(user)
        assert client.get("/admin/").status_code == expected, user.username
