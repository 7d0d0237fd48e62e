from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[int, str, bool, list[str]]]:
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    return [
        (u.pk, u.username, u.is_staff, sorted(g.name for g in u.groups.all()))
        for u in users
    ]


def test_create_demo_data_twice_gives_the_same_users() -> None:
    call_command("create_demo_data", password="demo-pass-1", force=True)
    first = _snapshot()
    call_command("create_demo_data", password="demo-pass-1", force=True)
    assert _snapshot() == first
    assert [(name, staff, groups) for _, name, staff, groups in first] == [
        ("clinician", False, [CLINICIANS]),
        ("coordinator", False, [COORDINATORS]),
        ("criteria-admin", True, [CRITERIA_ADMINS]),
    ]
    user = get_user_model().objects.get(username="clinician")
    assert user.check_password("demo-pass-1")


def test_create_demo_data_refuses_without_debug_unless_forced() -> None:
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("create_demo_data", password="demo-pass-1")
    assert not get_user_model().objects.exists()


def test_create_demo_data_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="No demo password"):
        call_command("create_demo_data", password="", force=True)
