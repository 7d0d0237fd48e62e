"""The audit log shows who acted as they were then: renaming a user afterwards
does not rewrite history (record views, sign-ins, history rows, break-the-glass)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from intake.models import RecordView
from intake.services import client_record_viewed, client_update
from levelofcare.audit.services import break_glass_open
from tests.factories import PASSWORD, ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = reverse("levelofcare:audit_log")


@pytest.fixture
def as_admin(client: HttpClient, criteria_admin: Any) -> HttpClient:
    client.force_login(criteria_admin)
    return client


def _rename(user: Any) -> None:
    user.username, user.first_name, user.last_name = "robin.new", "Robyn", "Newname"
    user.save()


def _who(as_admin: HttpClient, **query: str) -> set[tuple[str, str, str]]:
    rows = as_admin.get(AUDIT, query).context["rows"]
    return {(row.action, row.username, row.full_name) for row in rows}


def test_a_renamed_user_is_shown_with_the_name_they_had_when_they_acted(
    as_admin: HttpClient, coordinator: Any, other_clinician: Any
) -> None:
    robin = UserFactory(username="robin.k", first_name="Robin", last_name="Kaur")
    person = ClientFactory(created_by=coordinator)
    client_record_viewed(user=robin, client=person, view_name="client_detail")
    client_update(client=person, user=robin, contact="0123 456 789")
    break_glass_open(user=robin, client_reference=person.reference, reason="On call")
    signing_in = HttpClient()
    signing_in.post(reverse("login"), {"username": "robin.k", "password": PASSWORD})

    _rename(robin)

    then = ("robin.k", "Robin Kaur")
    assert {
        row for row in _who(as_admin, client=person.reference) if row[1:] == then
    } == {("viewed", *then), ("~", *then), ("break_glass", *then)}
    assert ("login", *then) in _who(as_admin, user="robin.k")
    html = as_admin.get(AUDIT, {"client": person.reference}).content.decode()
    assert 'Robin Kaur <span class="small text-muted">robin.k</span>' in html
    assert "Robyn" not in html and "robin.new" not in html


def test_the_user_filter_finds_a_renamed_users_events_by_either_name(
    as_admin: HttpClient,
) -> None:
    robin = UserFactory(username="robin.k", first_name="Robin", last_name="Kaur")
    client_record_viewed(user=robin, client=ClientFactory(), view_name="client_detail")
    _rename(robin)
    assert ("viewed", "robin.k", "Robin Kaur") in _who(as_admin, user="robin.k")
    assert ("viewed", "robin.k", "Robin Kaur") in _who(as_admin, user="robin.new")


def test_history_rows_keep_the_name_of_the_user_who_made_them(
    coordinator: Any,
) -> None:
    person = ClientFactory(created_by=coordinator)
    client_update(client=person, user=coordinator, given_name="Renamed")
    coordinator.first_name = "Someone-else"
    coordinator.save()
    edit = person.history.filter(history_type="~").get()
    assert (edit.history_username, edit.history_full_name) == (
        "casey",
        "Casey " + coordinator.last_name,
    )


def test_rows_written_without_a_snapshot_fall_back_to_the_current_name(
    as_admin: HttpClient, clinician: Any
) -> None:
    """A row written around the service (no snapshot) still names someone."""
    RecordView.objects.create(
        user=clinician, client=ClientFactory(), view_name="client_detail"
    )
    rows = _who(as_admin, user="robin")
    assert rows == {("viewed", "robin", clinician.get_full_name())}


def test_changes_by_no_one_are_shown_as_the_system(as_admin: HttpClient) -> None:
    person = ClientFactory()  # no request, no user: a command's change
    html = as_admin.get(AUDIT, {"client": person.reference}).content.decode()
    assert ">system<" in html
