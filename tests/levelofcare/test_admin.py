"""The criteria admin: edit the active version = create the next; preview impact."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.html import escape

from levelofcare.criteria.selectors import criteria_active, criteria_for_version
from levelofcare.criteria.services import CHANGE_NOTE_REQUIRED, criteria_set_create
from levelofcare.models import CriteriaSet
from tests.factories import (
    PHQ9_5,
    PHQ9_12,
    PHQ9_20,
    UserFactory,
    answers,
    settings_of,
    settings_post_data,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:levelofcare_criteriaset_changelist")


def change_url(criteria_set: CriteriaSet) -> str:
    return reverse("admin:levelofcare_criteriaset_change", args=[criteria_set.pk])


def preview_url(criteria_set: CriteriaSet) -> str:
    return reverse("admin:levelofcare_criteriaset_preview", args=[criteria_set.pk])


@pytest.fixture
def admin_client(client, criteria_admin):
    client.force_login(criteria_admin)
    return client


def _errors_of(response) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: list(errors) for name, errors in form.errors.items()}


# --- access -----------------------------------------------------------------------


def test_criteria_admin_sees_every_version(admin_client, criteria_admin) -> None:
    criteria_set_create(
        based_on=criteria_active(),
        values={"phq9_iop_min": 12},
        change_note="Catch moderate depression earlier.",
        user=criteria_admin,
    )

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Version 1" in html
    assert "Version 2" in html
    assert "Catch moderate depression earlier." in html
    assert "PHQ-9 IOP threshold: 15 → 12" in html
    assert str(criteria_admin) in html
    assert "edit\n    the active version (version 2)" in html


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "no_role_user"])
def test_other_roles_cannot_reach_the_criteria_admin(client, persona, request) -> None:
    client.force_login(request.getfixturevalue(persona))

    for url in (CHANGELIST, change_url(criteria_active())):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_criteria_permissions_is_refused(client) -> None:
    client.force_login(UserFactory(is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(criteria_active())).status_code == 403


def test_view_permission_alone_cannot_save(client) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_criteriaset"))
    client.force_login(viewer)
    v1 = criteria_active()

    response = client.post(
        change_url(v1), settings_post_data(v1, phq9_iop_min=12, note="x")
    )

    assert response.status_code == 403
    assert CriteriaSet.objects.count() == 1


def test_versions_cannot_be_added_from_scratch_or_deleted(admin_client) -> None:
    v1 = criteria_active()

    add = admin_client.get(reverse("admin:levelofcare_criteriaset_add"))
    delete = admin_client.post(
        reverse("admin:levelofcare_criteriaset_delete", args=[v1.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert CriteriaSet.objects.filter(pk=v1.pk).exists()


# --- editing the active version creates the next one -------------------------------


def test_the_active_version_form_offers_save_as_next_version_and_preview(
    admin_client,
) -> None:
    v1 = criteria_active()
    response = admin_client.get(change_url(v1))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Save as version 2"' in html
    assert 'name="_preview"' in html
    assert f'formaction="{preview_url(v1)}"' in html
    assert 'name="phq9_iop_min"' in html
    # The new version's note starts empty: it must be written, not inherited.
    assert not response.context["adminform"].form["note"].value()


def test_saving_the_active_version_creates_and_activates_the_next(
    admin_client, criteria_admin
) -> None:
    v1 = criteria_active()
    before = settings_of(v1)

    response = admin_client.post(
        change_url(v1),
        settings_post_data(
            v1, phq9_iop_min=12, note="Catch moderate depression earlier."
        ),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert "Saved as version 2, now active." in response.content.decode()
    v2 = criteria_for_version(2)
    assert v2.is_active
    assert v2.phq9_iop_min == 12
    assert v2.change_note == "Catch moderate depression earlier."
    assert v2.created_by == criteria_admin
    assert settings_of(v1) == before
    assert CriteriaSet.objects.get(pk=v1.pk).is_active is False
    assert CriteriaSet.objects.filter(is_active=True).count() == 1


def test_saving_twice_makes_versions_2_and_3(admin_client) -> None:
    admin_client.post(
        change_url(criteria_active()),
        settings_post_data(criteria_active(), phq9_iop_min=12, note="Two."),
    )
    admin_client.post(
        change_url(criteria_active()),
        settings_post_data(criteria_active(), gad7_iop_min=12, note="Three."),
    )

    versions = list(CriteriaSet.objects.order_by("version"))
    assert [(c.version, c.is_active) for c in versions] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert (versions[2].phq9_iop_min, versions[2].gad7_iop_min) == (12, 12)
    assert (versions[0].phq9_iop_min, versions[0].gad7_iop_min) == (15, 15)


def test_history_shows_who_changed_what_and_why(admin_client, criteria_admin) -> None:
    v1 = criteria_active()
    admin_client.post(
        change_url(v1),
        settings_post_data(v1, phq9_iop_min=12, note="Earlier IOP."),
    )
    v2 = criteria_for_version(2)

    new = admin_client.get(
        reverse("admin:levelofcare_criteriaset_history", args=[v2.pk])
    )
    old = admin_client.get(
        reverse("admin:levelofcare_criteriaset_history", args=[v1.pk])
    )

    assert new.status_code == 200
    assert "Earlier IOP." in new.content.decode()
    assert "from version 1: PHQ-9 IOP threshold: 15 → 12" in new.content.decode()
    assert criteria_admin.username in new.content.decode()
    assert "Replaced by version 2." in old.content.decode()


def test_history_entries_cannot_be_reverted(admin_client) -> None:
    v2 = criteria_set_create(
        based_on=criteria_active(),
        values={"phq9_iop_min": 12},
        change_note="Two.",
        user=None,
    )
    record = v2.history.get()
    url = reverse(
        "admin:levelofcare_criteriaset_simple_history", args=[v2.pk, record.pk]
    )

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, settings_post_data(v2, phq9_iop_min=3, note="revert")
    )

    assert response.status_code == 403
    assert CriteriaSet.objects.count() == 2


# --- validation: clear per-field messages, nothing saved ----------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"phq9_iop_min": 30},
            "phq9_iop_min",
            "PHQ-9 IOP threshold must be a whole number from 0 to 27 "
            "(a PHQ-9 total is 0 to 27); got 30.",
        ),
        ({"gad7_iop_min": 22}, "gad7_iop_min", "from 0 to 21"),
        ({"moderate_min": 22}, "moderate_min", "from 0 to 21"),
        ({"phq9_iop_min": -1}, "phq9_iop_min", "from 0 to 27"),
        (
            {"review_interval_outpatient_days": 0},
            "review_interval_outpatient_days",
            "greater than 0",
        ),
        (
            {"phq9_iop_min": 9},
            "phq9_iop_min",
            "PHQ-9 IOP threshold must be at or above the moderate cut (10).",
        ),
        (
            {"gad7_iop_min": 8},
            "gad7_iop_min",
            "GAD-7 IOP threshold must be at or above the moderate cut (10).",
        ),
        ({"phq9_iop_min": "twelve"}, "phq9_iop_min", "whole number"),
    ],
)
def test_invalid_values_get_a_clear_message_and_nothing_is_saved(
    admin_client, changes, field, message
) -> None:
    v1 = criteria_active()
    before = settings_of(v1)

    response = admin_client.post(
        change_url(v1), settings_post_data(v1, note="A change.", **changes)
    )

    assert response.status_code == 200
    errors = _errors_of(response)
    assert any(message in text for text in errors[field]), errors
    assert CriteriaSet.objects.count() == 1
    assert settings_of(v1) == before
    assert criteria_active() == v1


def test_an_empty_change_note_is_refused_and_nothing_is_saved(admin_client) -> None:
    v1 = criteria_active()
    before = settings_of(v1)

    response = admin_client.post(
        change_url(v1), settings_post_data(v1, phq9_iop_min=12, note="")
    )

    assert response.status_code == 200
    assert _errors_of(response)["note"] == [CHANGE_NOTE_REQUIRED]
    assert CHANGE_NOTE_REQUIRED in response.content.decode()
    assert CriteriaSet.objects.count() == 1
    assert settings_of(v1) == before


def test_saving_without_any_change_is_refused(admin_client) -> None:
    v1 = criteria_active()

    response = admin_client.post(
        change_url(v1), settings_post_data(v1, note="Nothing, really.")
    )

    assert response.status_code == 200
    assert "Nothing changed" in _errors_of(response)["__all__"][0]
    assert CriteriaSet.objects.count() == 1


# --- old versions are read-only ------------------------------------------------------


def test_old_versions_are_read_only(admin_client, criteria_admin) -> None:
    v1 = criteria_active()
    criteria_set_create(
        based_on=v1, values={"phq9_iop_min": 12}, change_note="Two.", user=None
    )

    response = admin_client.get(change_url(v1))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="phq9_iop_min"' not in html
    assert 'name="_save"' not in html
    assert 'name="_preview"' not in html
    assert "View criteria version" in html


def test_posting_to_an_old_version_saves_nothing(admin_client) -> None:
    v1 = criteria_active()
    criteria_set_create(
        based_on=v1, values={"phq9_iop_min": 12}, change_note="Two.", user=None
    )
    before = settings_of(v1)

    response = admin_client.post(
        change_url(v1),
        settings_post_data(v1, gad7_iop_min=12, note="From a stale page."),
        follow=True,
    )

    assert "Version 1 is no longer active" in response.content.decode()
    assert response.redirect_chain[-1][0] == change_url(criteria_for_version(2))
    assert CriteriaSet.objects.count() == 2
    assert settings_of(v1) == before
    assert criteria_for_version(2).gad7_iop_min == 15


# --- impact preview in the form -------------------------------------------------------


def _three_assessments(user) -> None:
    for phq9 in (PHQ9_12, PHQ9_5, PHQ9_20):
        submitted_assessment(user=user, answers=answers(phq9=phq9))


def test_preview_shows_the_impact_without_saving(admin_client, coordinator) -> None:
    _three_assessments(coordinator)
    v1 = criteria_active()
    before = settings_of(v1)

    response = admin_client.post(
        preview_url(v1),
        settings_post_data(v1, phq9_iop_min=12, note="", _preview="1"),
    )

    assert response.status_code == 200
    impact = response.context["impact"]
    assert impact.examined == 3
    assert impact.counts == {("outpatient", "iop"): 1}
    html = response.content.decode()
    assert "<caption>Level changes under the draft" in html
    assert '<th scope="col">From (stored level)</th>' in html
    assert "IOP (intensive outpatient)" in html
    assert "PHQ-9 IOP threshold: 15 → 12" in html
    assert escape(before["change_note"]) in html  # version 1's own note, untouched
    # The draft stays in the form, ready to save.
    assert response.context["form"]["phq9_iop_min"].value() == "12"
    assert f'action="{change_url(v1)}"' in html
    assert "Nothing was saved." in html
    assert CriteriaSet.objects.count() == 1
    assert settings_of(v1) == before


def test_preview_of_an_invalid_draft_shows_the_errors_and_no_table(
    admin_client,
) -> None:
    v1 = criteria_active()

    response = admin_client.post(
        preview_url(v1),
        settings_post_data(v1, phq9_iop_min=40, _preview="1"),
    )

    assert response.status_code == 200
    assert response.context["impact"] is None
    assert "from 0 to 27" in response.context["form"].errors["phq9_iop_min"][0]
    assert "impact-preview" not in response.content.decode()
    assert CriteriaSet.objects.count() == 1


def test_preview_is_post_only_and_for_the_active_version(
    admin_client, criteria_admin
) -> None:
    v1 = criteria_active()
    assert admin_client.get(preview_url(v1)).status_code == 405
    criteria_set_create(
        based_on=v1, values={"phq9_iop_min": 12}, change_note="v2", user=criteria_admin
    )

    response = admin_client.post(preview_url(v1), settings_post_data(v1))

    assert response.status_code == 302
    assert response["Location"] == change_url(criteria_active())
    assert CriteriaSet.objects.count() == 2


def test_people_without_change_permission_cannot_preview(client, coordinator) -> None:
    coordinator.is_staff = True
    coordinator.save()
    client.force_login(coordinator)
    v1 = criteria_active()

    response = client.post(preview_url(v1), settings_post_data(v1))

    assert response.status_code == 403
