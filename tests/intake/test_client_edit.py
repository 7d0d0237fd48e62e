"""Editing a client's details: permission, the registration's validation, audit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Client
from intake.services import client_update
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _data(**changes: str) -> dict[str, str]:
    data = {
        "reference": "MRN-EDIT-1",
        "given_name": "Ottoline",
        "family_name": "Wrexham-Smith",
        "date_of_birth": "1971-03-14",
        "contact": "0117 496 0000",
    }
    data.update(changes)
    return data


@pytest.fixture
def person(coordinator: Any) -> Client:
    return ClientFactory(reference="MRN-EDIT-1", created_by=coordinator)


def _edit_url(person: Client) -> str:
    return reverse("intake:client_edit", args=[person.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("coordinator", 200),
        ("clinician", 200),
        ("criteria_admin", 403),
        ("no_role_user", 403),
    ],
)
def test_who_may_edit_client_details(
    client: HttpClient,
    request: pytest.FixtureRequest,
    person: Client,
    persona: str,
    expected: int,
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(_edit_url(person)).status_code == expected
    before = Client.objects.get(pk=person.pk).family_name
    response = client.post(_edit_url(person), _data())
    assert response.status_code == (302 if expected == 200 else 403)
    changed = Client.objects.get(pk=person.pk).family_name != before
    assert changed is (expected == 200)


def test_edit_saves_and_the_history_says_who_and_when(
    client: HttpClient, coordinator: Any, clinician: Any, person: Client
) -> None:
    client.force_login(clinician)
    before = timezone.now()
    response = client.post(_edit_url(person), _data(reference=" mrn-edit-2 "))
    person.refresh_from_db()
    assert response["Location"] == person.get_absolute_url()
    assert (person.reference, person.family_name) == ("MRN-EDIT-2", "Wrexham-Smith")
    assert person.created_by == coordinator  # registration is not re-signed
    change = person.history.latest()
    assert change.history_type == "~"
    assert change.history_user == clinician
    assert change.history_date >= before
    assert change.prev_record is not None
    assert change.prev_record.reference == "MRN-EDIT-1"
    diff = change.diff_against(change.prev_record)
    assert {"reference", "family_name", "contact"} <= set(diff.changed_fields)


def test_the_audit_trail_shows_the_edit_under_the_new_reference(
    client: HttpClient, clinician: Any, criteria_admin: Any, person: Client
) -> None:
    client.force_login(clinician)
    client.post(_edit_url(person), _data(reference="MRN-EDIT-2"))
    client.force_login(criteria_admin)
    response = client.get(reverse("levelofcare:audit_log"), {"client": "MRN-EDIT-2"})
    rows = {
        (row[1], row[2])
        for row in response.context["page"].object_list
        if row[3] == "client"
    }
    # The registration (made under the old reference, by a factory: no user) and
    # the change, signed by the clinician.
    assert rows == {(None, "+"), (clinician.username, "~")}


def test_reference_must_stay_unique(
    client: HttpClient, coordinator: Any, person: Client
) -> None:
    ClientFactory(reference="MRN-TAKEN")
    client.force_login(coordinator)
    response = client.post(_edit_url(person), _data(reference="mrn-taken"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "A client with this reference already exists." in html
    assert 'value="mrn-taken"' in html  # what was typed stays
    assert "Edit client MRN-EDIT-1" in html  # the saved reference in the title
    person.refresh_from_db()
    assert person.reference == "MRN-EDIT-1"


def test_keeping_the_own_reference_is_not_a_duplicate(
    client: HttpClient, coordinator: Any, person: Client
) -> None:
    client.force_login(coordinator)
    response = client.post(_edit_url(person), _data(given_name="Ottilie"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.given_name == "Ottilie"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reference": "   "}, "This field is required."),
        ({"family_name": ""}, "This field is required."),
        (
            {"date_of_birth": (date.today() + timedelta(days=1)).isoformat()},  # noqa: DTZ011
            "Date of birth cannot be in the future.",
        ),
        ({"date_of_birth": "1899-12-31"}, "Enter a date of birth after 1900."),
        ({"date_of_birth": "31/02/1980"}, "Enter a valid date."),
    ],
)
def test_edit_validates_like_registration(
    client: HttpClient,
    coordinator: Any,
    person: Client,
    changes: dict[str, str],
    message: str,
) -> None:
    client.force_login(coordinator)
    response = client.post(_edit_url(person), _data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="invalid-feedback"' in response.content.decode()
    assert person.history.count() == 1  # nothing saved


def test_client_update_outside_a_request_names_the_user(
    clinician: Any, person: Client
) -> None:
    client_update(client=person, user=clinician, contact="changed")
    assert person.history.latest().history_user == clinician


def test_client_page_links_to_edit_for_roles_that_may(
    client: HttpClient, coordinator: Any, person: Client
) -> None:
    client.force_login(coordinator)
    html = client.get(person.get_absolute_url()).content.decode()
    assert f'href="{_edit_url(person)}">Edit details' in html
