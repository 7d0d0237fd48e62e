"""`POST /api/v1/evaluate`: the evaluation contract as JSON for signed-in users."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import PHQ9_20, answers

pytestmark = pytest.mark.django_db

URL = reverse("api_evaluate")


def post_json(client: Client, data: object, **extra: str):
    return client.post(URL, json.dumps(data), content_type="application/json", **extra)


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


def test_the_url_is_api_v1_evaluate() -> None:
    assert URL == "/api/v1/evaluate"


def test_signed_in_user_gets_the_same_json_as_the_cli(signed_in, tmp_path) -> None:
    payload = answers(phq9=PHQ9_20)
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(payload))
    out = io.StringIO()
    call_command("evaluate", str(path), stdout=out)

    response = post_json(signed_in, payload)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == json.loads(out.getvalue())
    assert response.json()["level"] == "iop"
    assert response.json()["criteria_version"] == 1


def test_a_list_gives_a_list(signed_in) -> None:
    response = post_json(signed_in, [answers(), answers(phq9=...)])

    assert response.status_code == 200
    assert [r["level"] for r in response.json()] == ["outpatient", None]
    assert response.json()[1]["missing"] == ["phq9"]


@pytest.mark.parametrize("persona", ["clinician", "criteria_admin", "no_role_user"])
def test_every_signed_in_user_may_evaluate(client, persona, request) -> None:
    client.force_login(request.getfixturevalue(persona))

    assert post_json(client, answers()).status_code == 200


def test_invalid_answers_give_400_with_errors_per_field(signed_in) -> None:
    response = post_json(
        signed_in, answers(phq9=[0] * 8, harm_to_others="maybe", mood=1)
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["phq9"] == ["must be a list of 9 integers from 0 to 3; got 8 items"]
    assert "harm_to_others" in errors
    assert errors["mood"] == ["unknown field"]


def test_errors_in_a_list_are_keyed_by_item_index(signed_in) -> None:
    response = post_json(signed_in, [answers(), {"gad7": [0] * 6}, "x"])

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"[1].gad7", "[2]"}


def test_invalid_json_gives_400(signed_in) -> None:
    response = signed_in.post(URL, '{"phq9": [1,', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"]["__all__"][0].startswith("Invalid JSON")


def test_anonymous_gets_401_json_not_a_login_redirect(client) -> None:
    response = post_json(client, answers())

    assert response.status_code == 401
    assert "Sign in" in response.json()["errors"]["__all__"][0]


def test_get_is_not_allowed(signed_in) -> None:
    response = signed_in.get(URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "errors" in response.json()


def test_csrf_is_enforced_for_session_clients(coordinator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)

    refused = post_json(client, answers())
    token = "a" * 32  # a valid CSRF secret: cookie and header must match
    client.cookies["csrftoken"] = token
    accepted = post_json(client, answers(), HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"]["__all__"][0]
    assert accepted.status_code == 200
    assert accepted.json()["level"] == "outpatient"


def test_a_form_encoded_body_is_refused_cleanly(signed_in) -> None:
    response = signed_in.post(URL, {"phq9": "1"})

    assert response.status_code == 400
    assert "errors" in response.json()


def test_a_body_over_the_upload_limit_gets_413(signed_in, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_json(signed_in, [answers()] * 3)

    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["__all__"][0]
