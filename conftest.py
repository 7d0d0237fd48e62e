"""Test-process settings, applied before anything uses them.

Unit tests use an in-memory broker so they never leak tasks into a shared Redis
(the real-worker tests point at Redis explicitly), and plain static storage,
because live_server cannot serve manifest-hashed names.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.CELERY_RESULT_BACKEND = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    # Fast hashing: tests create many users; production keeps Django's default.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The second factor is off unless a test switches it on
    # (settings.LOCATR_MFA_REQUIRED = True; the middleware reads it per request).
    settings.LOCATR_MFA_REQUIRED = False
