"""Password policy (12+ characters, not common, not like the account) and the
password-reset throttle (per address and per IP, the same answer either way)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from locatr.management.commands.create_demo_data import DEMO_ACCOUNTS
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-pw-1", "password_too_short"),  # 10 characters
        ("qwerty123456", "password_too_common"),
        ("482913570264", "password_entirely_numeric"),
        ("coordinator-1", "password_too_similar"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    account = User(username="coordinator", first_name="Casey")
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(password, user=account)
    assert code in [e.code for e in refused.value.error_list]


def test_twelve_characters_are_enough_and_eleven_are_not() -> None:
    password_validation.validate_password("plum-fig-kiw")  # 12
    with pytest.raises(ValidationError):
        password_validation.validate_password("plum-fig-ki")  # 11
    password_validation.validate_password(PASSWORD)


@pytest.mark.django_db
def test_create_demo_data_refuses_a_weak_password_with_exit_2() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("create_demo_data", password="demo-pass-1", force=True)
    assert refused.value.returncode == 2
    assert "does not pass the password policy" in str(refused.value)
    assert "at least 12 characters" in str(refused.value)
    assert not get_user_model().objects.exists()


def test_the_laptop_env_has_a_demo_password_that_passes(tmp_path: Path) -> None:
    for n in range(5):
        target = tmp_path / f"{n}.env"
        subprocess.run(
            [sys.executable, str(ROOT / "bin" / "write-dev-env"), str(target)],
            check=True,
            capture_output=True,
        )
        env = dict(
            line.split("=", 1)
            for line in target.read_text().splitlines()
            if line and not line.startswith("#")
        )
        for username, first, last, _, _ in DEMO_ACCOUNTS:
            account = User(username=username, first_name=first, last_name=last)
            password_validation.validate_password(env["DEMO_PASSWORD"], user=account)


# --- password reset throttle ------------------------------------------------------

NEUTRAL = "Check your email"


def _ask(client: Client, email: str, ip: str = "10.0.0.1") -> str:
    response = client.post(
        reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_reset_done")
    return response.content.decode()


@pytest.mark.django_db
def test_reset_requests_are_throttled_per_address(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = True
    for n in range(5):
        assert NEUTRAL in _ask(client, coordinator.email, ip=f"10.0.0.{n}")
    assert len(mail.outbox) == 3
    # the same address in other letters is the same address
    assert NEUTRAL in _ask(client, coordinator.email.upper(), ip="10.0.1.1")
    assert len(mail.outbox) == 3
    # someone else is not held back by it
    other = get_user_model().objects.create_user(
        "sam", email="sam@clinic.test", password=PASSWORD
    )
    _ask(client, other.email, ip="10.0.2.1")
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_reset_requests_are_throttled_per_ip_with_the_same_answer(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = True
    unknown = [_ask(client, f"nobody{n}@clinic.test") for n in range(9)]
    known = _ask(client, coordinator.email)  # the 10th from this IP: sent
    assert len(mail.outbox) == 1
    throttled = _ask(client, "x" + coordinator.email)  # the 11th: held back
    throttled_known = _ask(client, coordinator.email)
    assert len(mail.outbox) == 1
    # one page whatever happened: no account enumeration, no throttle oracle
    assert len({unknown[0], known, throttled, throttled_known}) == 1
    # another IP still gets through
    _ask(client, coordinator.email, ip="10.9.9.9")
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_reset_throttle_window_ends(
    client: Client, coordinator: Any, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = True
    settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS = 1
    for _ in range(4):
        _ask(client, coordinator.email)
    assert len(mail.outbox) == 3
    import time

    time.sleep(1.2)  # the local-memory cache expires by the wall clock
    _ask(client, coordinator.email)
    assert len(mail.outbox) == 4
