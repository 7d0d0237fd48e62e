"""The permission matrix (issue 11): every URL pattern, five personas, GET and
POST, against the explicit table below.

The patterns come from walking `get_resolver()`, admin included: a pattern with no
row fails `test_every_url_pattern_has_a_row` with "add <name> to the permission
table". Adding a row: the key is the URL name (`namespace:name`; the route for an
unnamed pattern, a glob for a family of admin patterns), then what GET and POST
give each persona, then the URL to request when the pattern takes arguments
(`{client}`-style placeholders are the objects `_seed` makes).

Codes, one per persona in the order of `PERSONAS`:
  O  allowed: the view ran (2xx, a redirect that is not to a sign-in page, or a
     400 for the empty POST's missing input)
  F  403 forbidden            L  302 to a sign-in page (/accounts/login/, /admin/login/)
  M  405 method not allowed   N  404 not found            U  401 (the JSON API)
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake.models import Assessment, Client
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import Notification, WaitlistEntry
from tests.factories import (
    ClientFactory,
    ProgramFactory,
    ProgressReviewFactory,
    submit_assessment,
)

PERSONAS = ("anonymous", "coordinator", "clinician", "criteria_admin", "no_role_user")
SIGN_IN_PAGES = {"/accounts/login/", "/admin/login/"}


class Row(NamedTuple):
    get: str  # one code per persona, space-separated
    post: str
    url: str = ""  # for patterns with arguments; placeholders from `_seed`


# anonymous, coordinator, clinician, criteria admin, no role
TABLE: dict[str, Row] = {
    # --- locatr: home, health, sign-in pages --------------------------------------
    "home": Row("L O O O O", "L M M M M"),
    "healthz": Row("O O O O O", "M M M M M"),
    "favicon": Row("O O O O O", "M M M M M"),
    "login": Row("O O O O O", "O O O O O"),
    # Logging out (POST) ends on the sign-in page, for everyone.
    "logout": Row("L M M M M", "L L L L L"),
    "password_change": Row("L O O O O", "L O O O O"),
    "password_change_done": Row("L O O O O", "L M M M M"),
    # Email is not set up in tests: the reset pages say an administrator resets.
    "password_reset": Row("N N N N N", "N N N N N"),
    "password_reset_done": Row("N N N N N", "N N N N N"),
    "password_reset_confirm": Row(
        "N N N N N", "N N N N N", "/accounts/reset/MQ/set-password/"
    ),
    "password_reset_complete": Row("N N N N N", "N N N N N"),
    # Sessions: how long is left (GET) and "Stay signed in" (POST, CSRF).
    "session_status": Row("U O O O O", "U O O O O"),
    # Browsers send CSP violation reports without credentials: POST only, 204.
    "csp_report": Row("M M M M M", "O O O O O"),
    # --- the second factor (MFA is off in tests: every page is reachable) -----------
    "mfa:settings": Row("L O O O O", "L O O O O"),
    "mfa:verify": Row("L O O O O", "L O O O O"),
    "mfa:enrol": Row("L O O O O", "L O O O O"),
    "mfa:backup_codes": Row("L O O O O", "L O O O O"),
    "mfa:backup_codes_new": Row("L M M M M", "L O O O O"),
    # Resetting another user's lost device: criteria admins only.
    "mfa:reset": Row("L F F O F", "L F F O F"),
    # --- the API: JSON answers, never a login redirect ------------------------------
    "api_evaluate": Row("U M M M M", "U O O O O"),
    # FHIR R4 (issue 15): clinicians and coordinators only; an empty POST is a 400
    # OperationOutcome (the view ran).
    "api_client_fhir": Row("U O O F F", "U M M F F", "/api/v1/clients/{client}/fhir"),
    "api_client_questionnaire_responses": Row(
        "U M M F F", "U O O F F", "/api/v1/clients/{client}/questionnaire-responses"
    ),
    # --- clients and assessments ----------------------------------------------------
    "intake:client_create": Row("L O O F F", "L O O F F"),
    "intake:client_edit": Row("L O O F F", "L O O F F", "/clients/{client}/edit/"),
    "levelofcare:client_list": Row("L O O F F", "L O O F F"),
    "levelofcare:client_detail": Row("L O O F F", "L M M F F", "/clients/{client}/"),
    "levelofcare:assessment_create": Row(
        "L O O F F", "L O O F F", "/clients/{client}/assessments/new/"
    ),
    "levelofcare:assessment_create_form": Row(
        "L O O F F", "L O O F F", "/clients/{client}/assessments/new/{token}/"
    ),
    "levelofcare:assessment_edit": Row(
        "L O O F F", "L O O F F", "/assessments/{draft}/edit/"
    ),
    "levelofcare:assessment_result": Row(
        "L O O F F", "L M M F F", "/assessments/{assessment}/"
    ),
    "levelofcare:assessment_void": Row(
        "L M M F F", "L O O F F", "/assessments/{assessment}/void/"
    ),
    "levelofcare:assessment_print": Row(
        "L O O F F", "L M M F F", "/assessments/{assessment}/print/"
    ),
    # --- clinician review of recommendations ----------------------------------------
    "levelofcare:review_queue": Row("L F O F F", "L F M F F"),
    "levelofcare:review": Row("L F O F F", "L F O F F", "/reviews/{recommendation}/"),
    # --- progress reviews and notifications -----------------------------------------
    "levelofcare:progress_reviews_due": Row("L F O F F", "L F M F F"),
    "levelofcare:progress_review_reassign": Row(
        "L F M F F", "L F O F F", "/progress-reviews/{review}/reassign/"
    ),
    "levelofcare:progress_review_start": Row(
        "L F O F F", "L F O F F", "/progress-reviews/{review}/start/"
    ),
    # Old links: a redirect to the new address, which then checks the role.
    "levelofcare:progress_reviews_due_old": Row("L O O O O", "L O O O O"),
    "levelofcare:progress_review_reassign_old": Row(
        "L F M F F", "L F O F F", "/reviews/{review}/reassign/"
    ),
    "levelofcare:notifications": Row("L F O F F", "L F M F F"),
    "levelofcare:notification_read": Row(
        "L F M F F", "L F O F F", "/notifications/{notification}/read/"
    ),
    "levelofcare:notifications_read_all": Row("L F M F F", "L F O F F"),
    "levelofcare:notifications_email": Row("L F M F F", "L F O F F"),
    # --- audit and criteria ---------------------------------------------------------
    # A clinician reads the trail of a client on their caseload (the review's).
    "levelofcare:audit_log": Row(
        "L F O O F", "L M M M M", "/audit/?client={review_client}"
    ),
    "levelofcare:criteria_book": Row("L O O O F", "L M M M M"),
    # Break the glass: clinicians give a reason; criteria admins read the list.
    "levelofcare:break_glass": Row("L F O F F", "L F O F F"),
    "levelofcare:break_glass_list": Row("L F F O F", "L F F M F"),
    # --- reports: clinicians in full, criteria admins and coordinators aggregates
    "levelofcare:reports": Row("L O O O F", "L M M M M"),
    "levelofcare:report_volume": Row("L O O O F", "L M M M M"),
    "levelofcare:report_volume_csv": Row("L O O O F", "L M M M M"),
    "levelofcare:report_overrides": Row("L O O O F", "L M M M M"),
    "levelofcare:report_overrides_csv": Row("L O O O F", "L M M M M"),
    "levelofcare:report_timeliness": Row("L O O O F", "L M M M M"),
    "levelofcare:report_timeliness_csv": Row("L O O O F", "L M M M M"),
    "levelofcare:report_outcomes": Row("L O O O F", "L M M M M"),
    "levelofcare:report_outcomes_csv": Row("L O O O F", "L M M M M"),
    "levelofcare:report_service_gaps": Row("L O O O F", "L M M M M"),
    "levelofcare:report_service_gaps_csv": Row("L O O O F", "L M M M M"),
    # --- Django admin: staff only (criteria admins), criteria versions ------------
    "admin:index": Row("L L L O L", "L L L O L"),
    "admin:login": Row("O O O O O", "O O O O O"),
    # The admin sends a signed-in non-staff user from its logout to its index
    # (which asks for a staff sign-in): O, a redirect that is not a sign-in page.
    "admin:logout": Row("L O O M O", "L O O L O"),
    "admin:password_change": Row("L L L O L", "L L L O L"),
    "admin:password_change_done": Row("L L L O L", "L L L M L"),
    "admin:autocomplete": Row("L L L F L", "L L L M L"),
    "admin:jsi18n": Row("L L L O L", "L L L M L"),
    # The admin's "view on site" redirects to the record's page, which refuses
    # a criteria admin (client pages): see levelofcare:client_detail.
    "admin:view_on_site": Row(
        "L L L O L", "L L L O L", "/admin/r/{client_type}/{client}/"
    ),
    "admin:app_list": Row("L L L O L", "L L L O L", "/admin/levelofcare/"),
    "admin/(?P<url>.*)$": Row("L L L N L", "L L L N L", "/admin/no-such-page/"),
    "admin:levelofcare_criteriaset_changelist": Row("L L L O L", "L L L O L"),
    # The outbox is read-only, for criteria admins (failed reminder email).
    "admin:levelofcare_outboxemail_add": Row("L L L F L", "L L L F L"),
    "admin:levelofcare_outboxemail_delete": Row(
        "L L L F L", "L L L F L", "{admin}/levelofcare/outboxemail/1/delete/"
    ),
    "admin:levelofcare_outboxemail_change": Row(
        "L L L O L", "L L L F L", "{admin}/levelofcare/outboxemail/1/change/"
    ),
    "admin:levelofcare_outboxemail_*": Row(
        "L L L O L", "L L L O L", "{admin}/levelofcare/outboxemail/"
    ),
    "admin:levelofcare_criteriaset_add": Row("L L L F L", "L L L F L"),
    "admin:levelofcare_criteriaset_change": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/criteriaset/{criteria}/change/"
    ),
    "admin/levelofcare/criteriaset/<path:object_id>/": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/criteriaset/{criteria}/"
    ),
    "admin:levelofcare_criteriaset_preview": Row(
        "L L L M L", "L L L O L", "/admin/levelofcare/criteriaset/{criteria}/preview/"
    ),
    "admin:levelofcare_criteriaset_history": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/criteriaset/{criteria}/history/"
    ),
    # One version as it was: readable, never "reverted" (POST).
    "admin:levelofcare_criteriaset_simple_history": Row(
        "L L L O L",
        "L L L F L",
        "/admin/levelofcare/criteriaset/{criteria}/history/{criteria_history}/",
    ),
    "admin:levelofcare_criteriaset_delete": Row(
        "L L L F L", "L L L F L", "/admin/levelofcare/criteriaset/{criteria}/delete/"
    ),
    # Users, groups and sign-in lockouts: no role holds these permissions.
    "admin:auth_user_password_change": Row(
        "L L L F L", "L L L F L", "/admin/auth/user/{coordinator}/password/"
    ),
    "admin:auth_user_*": Row("L L L F L", "L L L F L", "{admin}/auth/user/"),
    "admin:auth_group_*": Row("L L L F L", "L L L F L", "{admin}/auth/group/"),
    "admin:axes_*": Row("L L L F L", "L L L F L", "{admin}/axes/"),
    # Second-factor devices: reset through mfa:reset (audited), never in the admin.
    "admin:otp_*": Row("L L L F L", "L L L F L", "{admin}/otp_totp/"),
    "admin/*/<path:object_id>/": Row("L L L O L", "L L L O L", "{admin}/"),
    # --- the program directory (issue 13): staff read it, criteria admins keep it --
    "levelofcare:program_list": Row("L O O O F", "L M M M F"),
    # Taking a client off a waitlist is a clinician's decision.
    "levelofcare:waitlist_entry_leave": Row(
        "L F M F F", "L F O F F", "/waitlist-entries/{waitlist_entry}/leave/"
    ),
    "admin:levelofcare_program_changelist": Row("L L L O L", "L L L O L"),
    "admin:levelofcare_program_add": Row("L L L O L", "L L L O L"),
    "admin:levelofcare_program_change": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/program/{program}/change/"
    ),
    "admin:levelofcare_program_history": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/program/{program}/history/"
    ),
    # One version as it was: readable, never "reverted" (POST).
    "admin:levelofcare_program_simple_history": Row(
        "L L L O L",
        "L L L F L",
        "/admin/levelofcare/program/{program}/history/{program_history}/",
    ),
    # Programs are made inactive, never deleted (decisions refer to them).
    "admin:levelofcare_program_delete": Row(
        "L L L F L", "L L L F L", "/admin/levelofcare/program/{program}/delete/"
    ),
    "admin/levelofcare/program/<path:object_id>/": Row(
        "L L L O L", "L L L O L", "/admin/levelofcare/program/{program}/"
    ),
}


# --- the URL patterns -------------------------------------------------------------


class Pattern(NamedTuple):
    key: str  # the URL name, or the route of an unnamed pattern
    route: str


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _walk(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield Pattern(f"{ns}{entry.name}" if entry.name else route, route)


def url_patterns() -> list[Pattern]:
    """Every URL pattern once (Django's own password-reset patterns share the
    names of ours, which come first and win)."""
    seen: dict[str, Pattern] = {}
    for pattern in _walk(get_resolver()):
        seen.setdefault(pattern.key, pattern)
    return list(seen.values())


def row_for(key: str) -> tuple[str, Row] | None:
    """The row of a pattern: its own, else the first glob that matches it."""
    if key in TABLE:
        return key, TABLE[key]
    for name, row in TABLE.items():
        if "*" in name and fnmatch.fnmatchcase(key, name):
            return name, row
    return None


def test_every_url_pattern_has_a_row() -> None:
    missing = [p.key for p in url_patterns() if row_for(p.key) is None]

    assert not missing, "\n".join(
        f"add {key} to the permission table (tests/test_permission_matrix.py)"
        for key in missing
    )


def test_every_row_names_a_url_pattern() -> None:
    keys = [p.key for p in url_patterns()]
    stale = [
        name
        for name in TABLE
        if not any(fnmatch.fnmatchcase(key, name) for key in keys)
    ]

    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


# --- requests -----------------------------------------------------------------------


def _seed(personas: dict[str, Any]) -> dict[str, Any]:
    """One of every object a URL names, so detail URLs resolve."""
    coordinator, clinician = personas["coordinator"], personas["clinician"]
    patient = ClientFactory(created_by=coordinator)
    recommendation = submit_assessment(user=coordinator, client=patient)
    draft = Assessment.objects.create(client=patient, created_by=coordinator)
    review = ProgressReviewFactory(assigned_to=clinician)
    notification = Notification.objects.create(
        user=clinician, kind="due_soon", review=review, text="Due", url="/"
    )
    criteria = criteria_active()
    program = ProgramFactory()
    waitlist_entry = WaitlistEntry.objects.create(
        program=program, client=patient, added_by=coordinator
    )
    lockout = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "x"}
    return {
        "client": patient.pk,
        "assessment": recommendation.assessment_id,
        "draft": draft.pk,
        "recommendation": recommendation.pk,
        "review": review.pk,
        "review_client": review.placement.client.reference,
        "notification": notification.pk,
        "token": uuid.uuid4(),
        "criteria": criteria.pk,
        "criteria_history": criteria.history.first().history_id,
        "program": program.pk,
        "program_history": program.history.first().history_id,
        "waitlist_entry": waitlist_entry.pk,
        "client_type": ContentType.objects.get_for_model(Client).pk,
        "coordinator": coordinator.pk,
        # One object of each admin model no role may see (a missing one would
        # send the admin's history page to its index before any permission check).
        "admin_objects": {
            "group": Group.objects.first().pk,
            "accessattempt": AccessAttempt.objects.create(
                **lockout, failures_since_start=1
            ).pk,
            "accesslog": AccessLog.objects.create(**lockout).pk,
            "accessfailurelog": AccessFailureLog.objects.create(**lockout).pk,
            "totpdevice": TOTPDevice.objects.create(user=coordinator, name="app").pk,
            "staticdevice": StaticDevice.objects.create(
                user=coordinator, name="backup"
            ).pk,
        },
    }


def _url(pattern: Pattern, row_key: str, row: Row, seed: dict[str, Any]) -> str:
    """The URL to request: the row's (placeholders filled in), else the route."""
    if row.url and not row.url.startswith("{admin}"):
        return row.url.format(**seed)
    # A glob's family (admin models): fill the route's own arguments.
    route = pattern.route
    family = next((name for name in seed["admin_objects"] if f"/{name}/" in route), "")
    object_id = seed["admin_objects"].get(family, seed["coordinator"])
    for arg in ("<path:object_id>", "<id>", "<int:pk>"):
        route = route.replace(arg, str(object_id))
    assert "<" not in route and "(" not in route, (
        f"give {pattern.key} ({row_key}) a URL in its row"
    )
    return "/" + route


def outcome(response: Any) -> str:
    """The code (see the module docstring) that a response stands for."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        return "L" if urlsplit(response["Location"]).path in SIGN_IN_PAGES else "O"
    codes = {401: "U", 403: "F", 404: "N", 405: "M"}
    if status in codes:
        return codes[status]
    return "O" if status < 300 or status == 400 else f"?{status}"


@pytest.mark.django_db
def test_the_permission_matrix(request: pytest.FixtureRequest, settings: Any) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = False
    personas = {
        name: request.getfixturevalue(name) for name in PERSONAS if name != "anonymous"
    }
    seed = _seed(personas)
    clients = {persona: HttpClient() for persona in PERSONAS}

    def signed_in(persona: str) -> HttpClient:
        # Once per persona, and again after a logout URL signed it out.
        http = clients[persona]
        if persona != "anonymous" and "_auth_user_id" not in http.session:
            http.force_login(personas[persona])
        return http

    cells = mismatches = 0
    report = []
    for pattern in url_patterns():
        found = row_for(pattern.key)
        assert found is not None, f"add {pattern.key} to the permission table"
        row_key, row = found
        url = _url(pattern, row_key, row, seed)
        resolved = resolve(urlsplit(url).path)
        target = resolved.view_name if resolved.url_name else resolved.route
        assert target == pattern.key, f"{url} is not {pattern.key} but {target}"
        for method, expected in (("get", row.get.split()), ("post", row.post.split())):
            assert len(expected) == len(PERSONAS), f"{row_key}: five codes per method"
            for persona, want in zip(PERSONAS, expected, strict=True):
                got = outcome(getattr(signed_in(persona), method)(url))
                cells += 1
                if got != want:
                    mismatches += 1
                    report.append(
                        f"{method.upper()} {url} ({pattern.key}) as {persona}: "
                        f"expected {want}, got {got}"
                    )

    assert not report, f"{mismatches} of {cells} cells differ:\n" + "\n".join(report)
    assert cells == len(url_patterns()) * len(PERSONAS) * 2
