from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS

pytestmark = pytest.mark.django_db


def _perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_migrations_create_the_three_groups_with_their_permissions() -> None:
    coordinators = _perms(COORDINATORS)
    clinicians = _perms(CLINICIANS)
    admins = _perms(CRITERIA_ADMINS)
    assert {"intake.add_client", "intake.add_assessment"} <= coordinators
    assert "levelofcare.add_decision" not in coordinators
    assert "levelofcare.change_criteriaset" not in coordinators
    assert "levelofcare.add_decision" in clinicians
    assert "levelofcare.change_criteriaset" not in clinicians
    assert "levelofcare.change_criteriaset" in admins
    assert "levelofcare.add_decision" not in admins
    assert not any(p.startswith("intake.") for p in admins)
