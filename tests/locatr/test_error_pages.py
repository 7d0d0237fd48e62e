"""Styled 403, 404 and 500 pages, the favicon, the lockout page, password reset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from locatr import views
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NAV = 'data-testid="nav-links"'


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    """Error pages as production serves them: DEBUG off."""
    settings.DEBUG = False


def test_403_shows_the_apps_message_and_the_navigation(
    client: Client, clinician: Any
) -> None:
    client.force_login(clinician)
    response = client.get(reverse("levelofcare:audit_log"))  # no client chosen
    html = response.content.decode()
    assert response.status_code == 403
    assert "You do not have access to this page" in html
    assert "Choose one of your clients by reference." in html
    assert NAV in html


def test_403_without_a_message_says_the_role_does_not_include_the_page(
    client: Client, coordinator: Any
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("levelofcare:review_queue"))
    assert response.status_code == 403
    assert views.NOT_ALLOWED in response.content.decode()


def test_404_shows_the_apps_message_and_the_navigation(
    client: Client, coordinator: Any
) -> None:
    client.force_login(coordinator)
    response = client.get(reverse("levelofcare:assessment_result", args=[999999]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert "No such submitted assessment." in html
    assert NAV in html


def test_404_for_an_unknown_address_names_no_internals(
    client: Client, coordinator: Any
) -> None:
    client.force_login(coordinator)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert views.NOT_FOUND in html
    assert NAV in html
    assert "healthz" not in html and "URLconf" not in html


def test_404_for_a_signed_out_visitor_offers_sign_in(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert NAV not in response.content.decode()
    assert f'href="{reverse("login")}"' in response.content.decode()


def test_500_is_styled_and_leaks_no_traceback_and_no_record(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.locatr.urls_boom"
    client.raise_request_exception = False
    client.force_login(coordinator)
    response = client.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert 'aria-label="Main navigation"' in html
    assert "Traceback" not in html
    assert "secret-boom-detail" not in html and "MRN-SECRET" not in html
    assert "RuntimeError" not in html


def test_500_renders_without_a_request_context_or_the_database(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/")  # no user, no session
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_favicon_is_linked_and_favicon_ico_does_not_404(client: Client) -> None:
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/favicon.svg"


def test_the_lockout_page_says_when_sign_in_opens_again(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "casey", "password": PASSWORD}
    )
    html = response.content.decode()
    assert response.status_code == 429
    assert "opens again <strong" in html and ">30 minutes</strong>" in html
    assert f'href="{reverse("login")}"' in html


def test_without_email_there_is_no_reset_link_and_reset_pages_say_ask_an_admin(
    client: Client, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = False
    assert (
        reverse("password_reset") not in client.get(reverse("login")).content.decode()
    )
    for url in (
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "set-password"]),
        reverse("password_reset_complete"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "ask your clinic" in response.content.decode()
    client.post(reverse("password_reset"), {"email": "casey@clinic.test"})
    assert mail.outbox == []


def test_with_email_the_reset_link_sends_a_mail_and_the_pages_are_styled(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = True
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    form = client.get(reverse("password_reset"))
    assert form.status_code == 200
    assert "Reset your password" in form.content.decode()
    assert 'href="/static/css/locatr.css"' in form.content.decode()
    response = client.post(
        reverse("password_reset"), {"email": coordinator.email}, follow=True
    )
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [coordinator.email]
