"""Settings are secure by default and production settings pass check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(
    code_or_args: list[str], **env_overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="locatr.settings",
        LOCATR_ENV_FILE=str(ROOT / "does-not-exist.env"),
        **env_overrides,
    )
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_refuses_to_start_with_a_clear_message() -> None:
    result = _run(["-c", "import django; django.setup()"], DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_by_default() -> None:
    result = _run(
        ["-c", "from django.conf import settings; print(settings.DEBUG)"],
        SECRET_KEY="x" * 60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_check_deploy_is_clean_under_production_environment() -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="a-real-production-secret-" + "k3Y" * 20,
        DEBUG="0",
        ALLOWED_HOSTS="locatr.example.org",
        SITE_URL="https://locatr.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_site_url_is_left_at_its_local_default() -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY="a-real-production-secret-" + "k3Y" * 20,
        DEBUG="0",
        ALLOWED_HOSTS="locatr.example.org",
    )
    assert result.returncode != 0
    assert "locatr.W001" in result.stdout + result.stderr
