"""Hostile input, generated (issue 11): junk posted to every form, the API, and
every list view's query parameters, as the roles that reach them. Never a 500,
never a traceback; the API always answers JSON.

Junk: NUL bytes, non-ASCII digits (`²`, Arabic-Indic, full-width), huge and negative
numbers, impossible dates, odd unicode (any code point but surrogates, which
HTTP cannot carry as UTF-8), very long strings, and raw bytes that are not
UTF-8 in query strings. Derandomized, so CI sees the same examples every run;
`EXAMPLES` per target, `TOTAL_EXAMPLES` in all (a few hundred: seconds).
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.forms import AssessmentForm
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import CriteriaSet
from tests.factories import (
    ClientFactory,
    ProgressReviewFactory,
    answers,
    form_data,
    submit_assessment,
)

pytestmark = pytest.mark.django_db

EXAMPLES: Final = 20
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE: Final = [
    "²",
    "\x00",
    "1\x00",
    "١٢",
    "１２",
    "-1",
    "99999999999",
    "9" * 30,
    "9" * 5000,
    "1e309",
    "NaN",
    "2024-02-31",
    "9999-12-31",
    "0000-00-00",
    "",
    " ",
    "\n",
    "A\r\nB",
    "\u202e",
    "<script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
]
junk = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(alphabet="\x00²١9-/ ", max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=1000, max_value=20_000).map(lambda n: "Ж" * n),
)


def fields_with_junk(names: list[str], base: dict[str, str] | None = None) -> Any:
    """POST data: `base` (valid values) with some fields replaced by junk."""
    return st.dictionaries(st.sampled_from(names), junk, max_size=len(names)).map(
        lambda bad: {**(base or {}), **bad}
    )


def query_junk(names: list[str]) -> Any:
    """A query string: junk values (URL-encoded), or raw bytes that are not UTF-8."""
    encoded = fields_with_junk(names).map(urlencode)
    raw = st.tuples(st.sampled_from(names), st.binary(max_size=30)).map(
        lambda pair: f"{pair[0]}={quote_from_bytes(pair[1])}"
    )
    return st.one_of(encoded, raw)


def no_500(response: Any) -> None:
    """The client re-raises a view's exception; a handled one must not be a 500."""
    assert response.status_code < 500, response.status_code
    assert b"Traceback" not in response.content


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


# Hypothesis runs every example inside one test: these fixtures (sign-in and
# the objects posted to) are made once per test, not once per example.


@pytest.fixture
def as_coordinator(client: Any, coordinator: Any) -> Any:
    return signed_in(client, coordinator)


@pytest.fixture
def as_clinician(client: Any, clinician: Any) -> Any:
    return signed_in(client, clinician)


@pytest.fixture
def as_criteria_admin(client: Any, criteria_admin: Any) -> Any:
    return signed_in(client, criteria_admin)


@pytest.fixture
def person(db: None) -> Any:
    return ClientFactory()


@pytest.fixture
def recommendation(coordinator: Any) -> Any:
    return submit_assessment(user=coordinator)


@pytest.fixture
def review(clinician: Any) -> Any:
    return ProgressReviewFactory(assigned_to=clinician)


# --- forms --------------------------------------------------------------------------

CLIENT_FIELDS = ["reference", "given_name", "family_name", "date_of_birth", "contact"]
CLIENT_OK = {
    "reference": "MRN-FUZZ",
    "given_name": "Ottoline",
    "family_name": "Wrexham",
    "date_of_birth": "1971-03-14",
}


@FUZZ
@given(data=fields_with_junk(CLIENT_FIELDS, CLIENT_OK))
def test_client_registration(as_coordinator, data) -> None:
    no_500(as_coordinator.post("/clients/new/", data))


@FUZZ
@given(data=fields_with_junk(CLIENT_FIELDS, CLIENT_OK))
def test_client_edit(as_clinician, person, data) -> None:
    no_500(as_clinician.post(f"/clients/{person.pk}/edit/", data))


ASSESSMENT_FIELDS = [
    *AssessmentForm().fields,
    "submit",
    "confirm_unanswered",
]


@FUZZ
@given(data=fields_with_junk(ASSESSMENT_FIELDS, form_data(answers(), submit="1")))
def test_assessment_form(as_coordinator, person, data) -> None:
    url = f"/clients/{person.pk}/assessments/new/"
    no_500(as_coordinator.post(url, data))


DECISION_FIELDS = [
    "action",
    "level",
    "reason_code",
    "safety_acknowledged",
    "rationale",
    "program",
    "basis",
]


@FUZZ
@given(data=fields_with_junk(DECISION_FIELDS, {"basis": ""}))
def test_decision_form(as_clinician, recommendation, data) -> None:
    no_500(as_clinician.post(f"/reviews/{recommendation.pk}/", data))


@FUZZ
@given(data=fields_with_junk(["assigned_to", "next"]))
def test_progress_review_reassign(as_clinician, review, data) -> None:
    no_500(as_clinician.post(f"/progress-reviews/{review.pk}/reassign/", data))


@FUZZ
@given(data=fields_with_junk(["reason"]))
def test_assessment_void(as_coordinator, recommendation, data) -> None:
    url = f"/assessments/{recommendation.assessment_id}/void/"
    no_500(as_coordinator.post(url, data))


CRITERIA_FIELDS = [*CriteriaSet.SETTING_FIELDS, "note", "_save"]


@FUZZ
@given(
    data=fields_with_junk(CRITERIA_FIELDS),
    action=st.sampled_from(["change", "preview"]),
)
def test_criteria_admin_change_form(as_criteria_admin, data, action) -> None:
    active = criteria_active()
    base = {name: str(getattr(active, name)) for name in CriteriaSet.SETTING_FIELDS}
    url = f"/admin/levelofcare/criteriaset/{active.pk}/{action}/"
    no_500(as_criteria_admin.post(url, {**base, **data}))


@FUZZ
@given(data=fields_with_junk(["q"]))
def test_client_search(as_coordinator, data) -> None:
    no_500(as_coordinator.post("/clients/", data, follow=True))


@FUZZ
@given(data=fields_with_junk(["client", "reason"]))
def test_break_the_glass(as_clinician, person, data) -> None:
    no_500(as_clinician.post("/audit/break-glass/new/", data))


@FUZZ
@given(data=fields_with_junk(["code", "token", "otp_token", "next"]))
def test_two_factor_code_forms(as_clinician, data) -> None:
    for path in ("/account/two-factor/enrol/", "/account/two-factor/verify/"):
        no_500(as_clinician.post(path, data))


@FUZZ
@given(data=fields_with_junk(["user", "username", "reason"]))
def test_two_factor_reset(as_criteria_admin, data) -> None:
    no_500(as_criteria_admin.post("/account/two-factor/reset/", data))


@FUZZ
@given(body=st.binary(max_size=2_000))
def test_csp_reports_and_the_session_clock(as_clinician, body) -> None:
    no_500(
        as_clinician.post("/csp-report/", body, content_type="application/csp-report")
    )
    no_500(as_clinician.post("/session/", body, content_type="application/json"))


# --- the API ------------------------------------------------------------------------

ANSWER_KEYS = sorted(answers())
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(ANSWER_KEYS), st.text(max_size=10)),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)
api_body = st.one_of(
    json_value.map(json.dumps),
    st.dictionaries(st.sampled_from(ANSWER_KEYS), json_value, max_size=6).map(
        lambda junk: json.dumps({**answers(), **junk})
    ),
    st.sampled_from(
        [
            "[" * 1000 + "]" * 1000,
            '{"phq9": ' + "9" * 4301 + "}",
            "{",
            "",
            "\x00",
            "NaN",
            '{"phq9": [NaN, Infinity, -Infinity, 0, 0, 0, 0, 0, 0]}',
        ]
    ),
    st.binary(max_size=200),
    st.integers(min_value=990, max_value=1200).map(lambda n: json.dumps([{}] * n)),
)


@FUZZ
@given(body=api_body)
def test_the_api(as_coordinator, body) -> None:
    response = as_coordinator.post(
        "/api/v1/evaluate", body, content_type="application/json"
    )

    no_500(response)
    assert response.status_code in {200, 400, 413}
    assert response["Content-Type"] == "application/json"


# --- list views' query parameters ---------------------------------------------------

LIST_VIEWS: Final[list[tuple[str, str, list[str]]]] = [
    ("clinician", "/reviews/", ["level", "waited", "page"]),
    ("clinician", "/progress-reviews/due/", ["review", "who", "page"]),
    ("clinician", "/notifications/", ["page"]),
    ("criteria_admin", "/audit/", ["client", "user", "from", "to", "page"]),
    ("clinician", "/audit/", ["client", "user", "from", "to", "page"]),
    ("coordinator", "/clients/", ["search", "page"]),
    ("coordinator", "/criteria/", ["version"]),
    ("coordinator", "/clients/{client}/assessments/new/", ["from"]),
]


@pytest.mark.parametrize(
    ("persona", "path", "params"),
    LIST_VIEWS,
    ids=[f"{path} as {persona}" for persona, path, _ in LIST_VIEWS],
)
def test_list_view_query_parameters(client, request, persona, path, params) -> None:
    signed_in(client, request.getfixturevalue(persona))
    url = path.format(client=ClientFactory().pk)

    @FUZZ
    @given(query=query_junk(params))
    def run(query: str) -> None:
        # In the URL, not QUERY_STRING=: the client would repeat that on
        # every redirect it follows.
        no_500(client.get(f"{url}?{query}", follow=True))

    run()
