"""The audit log speaks plainly: names, page names, collapsed views, what changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import Client, RecordView
from levelofcare.audit.selectors import audit_events, audit_rows
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT = reverse("levelofcare:audit_log")


@pytest.fixture
def as_admin(client: HttpClient, criteria_admin: Any) -> HttpClient:
    client.force_login(criteria_admin)
    return client


def _rows(as_admin: HttpClient, **query: str) -> list[Any]:
    return list(as_admin.get(AUDIT, query).context["rows"])


def test_people_are_named_with_their_username_in_muted_text(
    as_admin: HttpClient,
) -> None:
    robin = UserFactory(username="robin.k", first_name="Robin", last_name="Kaur")
    person = ClientFactory()
    RecordView.objects.create(user=robin, client=person, view_name="client_detail")
    html = as_admin.get(AUDIT, {"user": "robin.k"}).content.decode()
    assert 'Robin Kaur <span class="small text-muted">robin.k</span>' in html


@pytest.mark.parametrize(
    ("view_name", "words"),
    [
        ("review", "Recommendation review"),
        ("client_detail", "Client record"),
        ("assessment_result", "Assessment result"),
    ],
)
def test_record_views_name_the_page_in_words(
    as_admin: HttpClient, clinician: Any, view_name: str, words: str
) -> None:
    RecordView.objects.create(
        user=clinician, client=ClientFactory(), view_name=view_name
    )
    html = as_admin.get(AUDIT, {"user": clinician.username}).content.decode()
    assert f"<td>{words}</td>" in html
    assert f"<td>{view_name}</td>" not in html


def test_repeated_views_in_one_minute_are_one_row_with_a_count(
    as_admin: HttpClient, clinician: Any
) -> None:
    person = ClientFactory()
    minute = timezone.now().replace(second=5, microsecond=0) - timedelta(hours=1)
    for seconds in (0, 20, 40):
        RecordView.objects.create(
            user=clinician,
            client=person,
            view_name="review",
            viewed_at=minute + timedelta(seconds=seconds),
        )
    # The next minute, another page, another person: rows of their own.
    RecordView.objects.create(
        user=clinician,
        client=person,
        view_name="review",
        viewed_at=minute + timedelta(minutes=1),
    )
    RecordView.objects.create(
        user=clinician, client=person, view_name="client_detail", viewed_at=minute
    )
    rows = _rows(as_admin, user=clinician.username)
    counts = sorted((row.record, row.count) for row in rows)
    assert counts == [("client_detail", 1), ("review", 1), ("review", 3)]
    collapsed = next(row for row in rows if row.count == 3)
    assert collapsed.at == minute + timedelta(seconds=40)  # the last of them
    html = as_admin.get(AUDIT, {"user": clinician.username}).content.decode()
    assert "3 times" in html


def test_an_edit_lists_the_fields_it_changed_by_their_verbose_names(
    as_admin: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory(created_by=coordinator)
    person.given_name = "Renamed"
    person.contact = "0123 456 789"
    person.save()
    rows = _rows(as_admin, client=person.reference)
    edit = next(row for row in rows if row.action == "~")
    assert edit.changes == [
        str(Client._meta.get_field("contact").verbose_name),
        str(Client._meta.get_field("given_name").verbose_name),
    ]
    created = next(row for row in rows if row.action == "+")
    assert created.changes == []
    html = as_admin.get(AUDIT, {"client": person.reference}).content.decode()
    assert "<li>Given name</li>" in html


def _edits(count: int) -> None:
    for _ in range(count):
        person = ClientFactory()
        person.given_name += "x"
        person.save()
        person.family_name += "y"
        person.save()


def test_changes_cost_a_constant_number_of_queries_per_page() -> None:
    def queries_for_a_page() -> int:
        events = list(audit_events()[:50])
        with CaptureQueriesContext(connection) as captured:
            rows = audit_rows(events)
        assert any(row.changes for row in rows)
        return len(captured)

    _edits(2)
    few = queries_for_a_page()
    _edits(15)
    many = queries_for_a_page()
    assert few == many <= 5


def test_the_audit_page_paginates_before_computing_changes(
    as_admin: HttpClient,
) -> None:
    _edits(30)  # 90 history rows: two pages
    response = as_admin.get(AUDIT)
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 2


def test_pagination_links_keep_the_filters_url_encoded(as_admin: HttpClient) -> None:
    from levelofcare.models import AuthEvent

    name = "a&b#c d"
    AuthEvent.objects.bulk_create(
        AuthEvent(kind=AuthEvent.Kind.LOGIN_FAILED, username=name) for _ in range(60)
    )
    page = as_admin.get(reverse("levelofcare:audit_log"), {"user": name})
    html = page.content.decode()
    assert page.status_code == 200
    # "&", "#" and " " would cut the filter off the Next link if not encoded.
    assert "?user=a%26b%23c+d&amp;page=2" in html
    following = as_admin.get(
        reverse("levelofcare:audit_log"), {"user": name, "page": 2}
    )
    assert len(following.context["rows"]) == 10
