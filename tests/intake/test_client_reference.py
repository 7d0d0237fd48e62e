"""Client references are ASCII letters, digits and "-" only (issue 11): the
registration and edit forms and the model say so, and migration intake 0008
rewrites any reference stored before the rule, printing each one."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from intake.models import REFERENCE_RULE, Client
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module(
    "intake.migrations.0008_client_reference_letters_digits_dash"
)
INSIDE = [
    "MRN\n1",
    "MRN 1",
    "MRN/1",
    "MRN_1",
    "MRN\t1",
    "CAFÉ-1",
    "MRN-²",
    "MRN-\u202e1",  # right-to-left override
]
# The forms strip spaces and line breaks around a reference; the model does not.
BAD = [*INSIDE, "MRN-1\n"]  # a final line break: `$` (not `\Z`) would let it in


def _data(reference: str) -> dict[str, str]:
    return {
        "reference": reference,
        "given_name": "Ottoline",
        "family_name": "Wrexham",
        "date_of_birth": "1971-03-14",
    }


@pytest.mark.parametrize("reference", INSIDE)
def test_registration_refuses_a_reference_with_other_signs(
    client, coordinator, reference
) -> None:
    client.force_login(coordinator)

    response = client.post(reverse("intake:client_create"), _data(reference))

    assert response.status_code == 200  # the form again, with the error
    assert response.context["form"].errors["reference"] == [REFERENCE_RULE]
    assert not Client.objects.exists()


@pytest.mark.parametrize("reference", INSIDE)
def test_editing_refuses_a_reference_with_other_signs(
    client, coordinator, reference
) -> None:
    client.force_login(coordinator)
    person = ClientFactory(reference="MRN-OK-1")

    response = client.post(
        reverse("intake:client_edit", args=[person.pk]), _data(reference)
    )

    assert response.status_code == 400
    assert response.context["form"].errors["reference"] == [REFERENCE_RULE]
    assert Client.objects.get(pk=person.pk).reference == "MRN-OK-1"


def test_letters_digits_and_dashes_are_fine(client, coordinator) -> None:
    client.force_login(coordinator)

    response = client.post(reverse("intake:client_create"), _data(" mrn-2024-07 "))

    assert response.status_code == 302
    assert Client.objects.get().reference == "MRN-2024-07"


@pytest.mark.parametrize("reference", BAD)
def test_the_model_refuses_it_too(coordinator, reference) -> None:
    person = Client(
        reference=reference,
        given_name="O",
        family_name="W",
        date_of_birth="1971-03-14",
        created_by=coordinator,
    )

    with pytest.raises(ValidationError) as excinfo:
        person.full_clean()

    assert excinfo.value.message_dict["reference"] == [REFERENCE_RULE]


# --- migration intake 0008 ----------------------------------------------------------


def _stored(reference: str) -> Any:
    """A client saved before the rule (the ORM does not run validators)."""
    return ClientFactory(reference=reference)


def test_the_migration_rewrites_each_bad_reference_and_prints_it(capsys) -> None:
    good = _stored("MRN-7")
    line_break = _stored("MRN 7\n")  # would become MRN-7: taken
    spaces = _stored("  ab c  ")
    nothing_left = _stored("\n")
    long_one = _stored("X" * 39 + " ")

    MIGRATION.rewrite_references(apps, None)

    def ref(person: Any) -> str:
        return Client.objects.get(pk=person.pk).reference

    assert ref(good) == "MRN-7"
    assert ref(line_break) == "MRN-7-2"
    assert ref(spaces) == "ab-c"
    assert ref(nothing_left) == f"CLIENT-{nothing_left.pk}"
    assert ref(long_one) == "X" * 39
    out = capsys.readouterr().out
    assert "4 client reference(s) rewritten" in out
    assert "'MRN 7\\n' -> MRN-7-2" in out
    assert "'  ab c  ' -> ab-c" in out
    assert "Ottoline" not in out  # references only, never names


def test_the_migration_keeps_the_old_reference_in_the_history() -> None:
    person = _stored("MRN 8")

    MIGRATION.rewrite_references(apps, None)

    latest = Client.objects.get(pk=person.pk).history.first()
    assert latest.reference == "MRN-8"
    assert latest.history_type == "~"
    assert "letters, digits and - only" in latest.history_change_reason
    assert latest.prev_record.reference == "MRN 8"


def test_the_migration_says_nothing_when_every_reference_is_fine(capsys) -> None:
    _stored("MRN-9")

    MIGRATION.rewrite_references(apps, None)

    assert capsys.readouterr().out == ""


def test_a_rewritten_reference_stays_within_40_characters() -> None:
    taken = {"A" * 40}

    assert MIGRATION.unique_reference("A" * 40, taken) == "A" * 38 + "-2"
