"""Issue 13: the program directory, referrals (places taken and released,
waitlists), service gaps, the review page's ranked matches, and the pages'
query counts with 500 programs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.test import Client as HttpClient
from django.urls import reverse

from intake.models import Client, RecordView
from levelofcare.errors import DecisionError, ProgramFull
from levelofcare.models import Decision, Placement, Program, WaitlistEntry
from levelofcare.programs.selectors import programs_directory
from levelofcare.programs.services import waitlist_leave
from levelofcare.recommendations import services
from levelofcare.recommendations.forms import DecisionForm
from tests.factories import (
    PHQ9_20,
    ClientFactory,
    ProgramFactory,
    answers,
    submit_assessment,
)

pytestmark = pytest.mark.django_db

IOP = answers(phq9=PHQ9_20)
IOP_WORKING = answers(
    phq9=PHQ9_20, work_or_school_commitment=True, can_attend_3_days_week=False
)
OUTPATIENT = answers()
INPATIENT = answers(harm_to_others="intent")
PROGRAMS = reverse("levelofcare:program_list")


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _review(rec: Any) -> str:
    return reverse("levelofcare:review", args=[rec.pk])


def _decide(http: HttpClient, rec: Any, **data: str) -> Any:
    latest = rec.decisions.order_by("-decided_at", "-pk").first()
    data.setdefault("basis", str(latest.pk) if latest else "")
    return http.post(_review(rec), data)


def _open_places(program: Program) -> int:
    program.refresh_from_db()
    return program.open_places


# --- referrals: places taken and released ---------------------------------------------


def test_a_referral_takes_an_open_place_and_the_placement_records_the_program(
    coordinator: Any, clinician: Any
) -> None:
    program = ProgramFactory(level="iop", open_places=2)
    rec = submit_assessment(user=coordinator, answer_dict=IOP)

    decision = services.decision_record(
        recommendation=rec, user=clinician, level="iop", referred_program=program
    )

    assert decision.referred_program == program
    placement = Placement.objects.get(decision=decision)
    assert (placement.program, placement.level, placement.indicated_level) == (
        program,
        "iop",
        "iop",
    )
    assert placement.service_gap == ""
    assert _open_places(program) == 1
    assert program.history.first().open_places == 1  # audited, not a silent UPDATE


def test_the_place_is_released_when_the_placement_ends(
    coordinator: Any, clinician: Any
) -> None:
    iop, outpatient = (
        ProgramFactory(open_places=1),
        ProgramFactory(level="outpatient", open_places=5),
    )
    patient = ClientFactory()
    first = submit_assessment(user=coordinator, client=patient, answer_dict=IOP)
    services.decision_record(
        recommendation=first, user=clinician, level="iop", referred_program=iop
    )
    assert _open_places(iop) == 0

    later = submit_assessment(user=coordinator, client=patient, answer_dict=OUTPATIENT)
    services.decision_record(
        recommendation=later,
        user=clinician,
        level="outpatient",
        referred_program=outpatient,
    )

    assert _open_places(iop) == 1
    assert _open_places(outpatient) == 4
    assert Placement.objects.get(client=patient, ended_at__isnull=True).program == (
        outpatient
    )


def test_a_released_place_never_exceeds_the_capacity(
    coordinator: Any, clinician: Any
) -> None:
    program = ProgramFactory(capacity=3, open_places=1)
    patient = ClientFactory()
    rec = submit_assessment(user=coordinator, client=patient, answer_dict=IOP)
    services.decision_record(
        recommendation=rec, user=clinician, level="iop", referred_program=program
    )
    # An admin lowered the capacity to what is free meanwhile.
    Program.objects.filter(pk=program.pk).update(capacity=0, open_places=0)
    later = submit_assessment(user=coordinator, client=patient, answer_dict=OUTPATIENT)
    services.decision_record(recommendation=later, user=clinician, level="outpatient")

    assert _open_places(program) == 0


def test_a_referral_to_a_full_program_records_nothing_unless_it_joins_the_waitlist(
    coordinator: Any, clinician: Any
) -> None:
    program = ProgramFactory(open_places=0)
    rec = submit_assessment(user=coordinator, answer_dict=IOP)

    with pytest.raises(ProgramFull) as full:
        services.decision_record(
            recommendation=rec, user=clinician, level="iop", referred_program=program
        )
    assert "Join the waitlist" in str(full.value)
    assert not Decision.objects.exists() and not Placement.objects.exists()

    decision = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=program,
        join_waitlist=True,
    )
    entry = WaitlistEntry.objects.get()
    assert (entry.program, entry.client_id, entry.decision) == (
        program,
        rec.client_id,
        decision,
    )
    placement = Placement.objects.get()
    assert placement.program is None and placement.level == "iop"
    assert programs_directory().get(pk=program.pk).waitlist_length == 1
    assert _open_places(program) == 0


def test_a_place_taken_from_the_waitlist_takes_the_client_off_it(
    coordinator: Any, clinician: Any
) -> None:
    program = ProgramFactory(open_places=0)
    patient = ClientFactory()
    rec = submit_assessment(user=coordinator, client=patient, answer_dict=IOP)
    first = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=program,
        join_waitlist=True,
    )
    Program.objects.filter(pk=program.pk).update(open_places=1)  # a place opened

    services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=program,
        rationale="A place opened.",
        corrects=first,
    )

    entry = WaitlistEntry.objects.get()
    assert entry.left_at is not None and entry.left_reason == "placed"
    assert programs_directory().get(pk=program.pk).waitlist_length == 0
    assert Placement.objects.get(ended_at__isnull=True).program == program


def test_leaving_a_waitlist_shortens_it(coordinator: Any, clinician: Any) -> None:
    program = ProgramFactory(open_places=0)
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=program,
        join_waitlist=True,
    )
    assert waitlist_leave(program=program, client_id=rec.client_id)
    assert not waitlist_leave(program=program, client_id=rec.client_id)
    assert programs_directory().get(pk=program.pk).waitlist_length == 0
    assert WaitlistEntry.objects.get().left_reason == "withdrawn"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"program": "Elsewhere"}, "not both"),
        ({"level": "outpatient"}, "choose one at the level you decide"),
        ({"is_active": False}, "no longer active"),
    ],
)
def test_a_referral_must_be_one_program_active_at_the_level(
    coordinator: Any, clinician: Any, kwargs: dict[str, Any], message: str
) -> None:
    program = ProgramFactory(
        level=kwargs.get("level", "iop"), is_active=kwargs.get("is_active", True)
    )
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    with pytest.raises(DecisionError, match=message):
        services.decision_record(
            recommendation=rec,
            user=clinician,
            level="iop",
            referred_program=program,
            program=kwargs.get("program", ""),
        )
    assert not Decision.objects.exists()


# --- service gaps ---------------------------------------------------------------------


def test_a_service_gap_places_at_the_chosen_level_and_waits_for_the_program(
    coordinator: Any, clinician: Any
) -> None:
    evening = ProgramFactory(name="Evening IOP", hours="evening", open_places=0)
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)

    decision = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=evening,
        service_gap=Decision.ServiceGap.FULL,
        placed_level="outpatient",
    )

    assert (decision.kind, decision.level, decision.service_gap) == (
        "accept",
        "iop",
        "full",
    )
    placement = Placement.objects.get()
    assert (placement.level, placement.indicated_level, placement.service_gap) == (
        "outpatient",
        "iop",
        "full",
    )
    assert placement.program is None
    assert WaitlistEntry.objects.get().program == evening
    # Reports count gaps by indicated level and month in SQL.
    counted = list(
        Placement.objects.exclude(service_gap="")
        .annotate(month=TruncMonth("started_at"))
        .values("indicated_level", "month")
        .annotate(gaps=Count("id"))
    )
    assert [(row["indicated_level"], row["gaps"]) for row in counted] == [("iop", 1)]


@pytest.mark.parametrize(
    ("gap", "placed", "message"),
    [
        ("", "outpatient", "only with a service gap"),
        ("full", "", "Choose the level the client is placed at"),
        ("full", "iop", "Choose the level the client is placed at"),
        ("bored", "outpatient", "Choose why no program"),
    ],
)
def test_a_service_gap_needs_its_reason_and_another_level(
    coordinator: Any, clinician: Any, gap: str, placed: str, message: str
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    with pytest.raises(DecisionError, match=message):
        services.decision_record(
            recommendation=rec,
            user=clinician,
            level="iop",
            service_gap=gap,
            placed_level=placed,
        )
    assert not Decision.objects.exists()


def test_a_gap_below_an_inpatient_level_needs_the_safety_acknowledgement(
    coordinator: Any, clinician: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT)
    gap = {"service_gap": "no_program", "placed_level": "iop"}
    with pytest.raises(DecisionError, match="safety criteria"):
        services.decision_record(
            recommendation=rec, user=clinician, level="inpatient", **gap
        )
    decision = services.decision_record(
        recommendation=rec,
        user=clinician,
        level="inpatient",
        safety_acknowledged=True,
        **gap,
    )
    assert decision.safety_acknowledged
    assert Placement.objects.get().level == "iop"


# --- the review page --------------------------------------------------------------


def _iop_programs() -> dict[str, Program]:
    return {
        "daytime": ProgramFactory(name="Daytime IOP"),
        "evening": ProgramFactory(name="Evening IOP", hours="evening"),
        "virtual": ProgramFactory(name="Virtual IOP", modality="virtual"),
        "full": ProgramFactory(
            name="Another evening IOP", hours="evening", open_places=0
        ),
    }


def test_the_review_page_ranks_evening_and_virtual_first_for_a_working_client(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    _iop_programs()
    ProgramFactory(name="Outpatient clinic", level="outpatient")
    patient = ClientFactory(payer="Acme Health")
    rec = submit_assessment(user=coordinator, client=patient, answer_dict=IOP_WORKING)

    response = as_clinician.get(_review(rec))

    ranked = [r.program.name for r in response.context["matches"].ranked]
    assert ranked == [
        "Evening IOP",
        "Virtual IOP",
        "Another evening IOP",
        "Daytime IOP",
    ]
    html = response.content.decode()
    assert "evening: fits a work, school or caregiving commitment" in html
    assert "accepts Acme Health" in html
    assert "Outpatient clinic" not in html
    # The IOP schedule note links to these matches.
    assert 'data-testid="iop-schedule-matches" href="#programs"' in html


def test_the_review_page_shows_another_levels_programs_on_request(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    ProgramFactory(name="Outpatient clinic", level="outpatient")
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = as_clinician.get(_review(rec) + "?programs=outpatient")
    assert [r.program.name for r in response.context["matches"].ranked] == [
        "Outpatient clinic"
    ]
    assert response.context["matches"].gap is None


def test_accepting_with_a_ranked_program_refers_the_client(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    programs = _iop_programs()
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)

    response = _decide(
        as_clinician, rec, action="accept", program_choice=str(programs["evening"].pk)
    )

    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.referred_program == programs["evening"]
    assert decision.program == ""
    assert Placement.objects.get().program == programs["evening"]
    page = as_clinician.get(response["Location"]).content.decode()
    assert "Evening IOP" in page  # the client's page, at a glance


def test_a_full_program_is_refused_next_to_the_waitlist_box_then_joined(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    programs = _iop_programs()
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    choice = {"action": "accept", "program_choice": str(programs["full"].pk)}

    refused = _decide(as_clinician, rec, **choice)

    assert refused.status_code == 409
    assert refused.context["form"].errors["join_waitlist"] == [
        str(ProgramFull(programs["full"], waitlist_length=0))
    ]
    assert not Decision.objects.exists()
    joined = _decide(as_clinician, rec, join_waitlist="on", **choice)
    assert joined.status_code == 302
    assert WaitlistEntry.objects.get().program == programs["full"]


def test_a_program_outside_the_directory_is_still_typed(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    missing = _decide(as_clinician, rec, action="accept", program_choice="other")
    assert missing.status_code == 400
    assert missing.context["form"].errors["program"] == [
        "Type the name of the program."
    ]
    response = _decide(
        as_clinician, rec, action="accept", program_choice="other", program="Elsewhere"
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.program, decision.referred_program) == ("Elsewhere", None)


def test_recording_a_service_gap_from_the_review_page(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    full = ProgramFactory(name="Only IOP", open_places=0)
    ProgramFactory(name="Outpatient clinic", level="outpatient")
    ProgramFactory(name="Inpatient unit", level="inpatient")
    rec = submit_assessment(user=coordinator, answer_dict=IOP)

    page = as_clinician.get(_review(rec))
    form = page.context["form"]
    assert page.context["matches"].gap.value == "full"
    assert form["service_gap"].initial == "full"
    # Nearest first; at the same distance the higher (safer) level first.
    assert [v for v, _ in form.fields["placed_level"].choices] == [
        "inpatient",
        "outpatient",
    ]
    missing = _decide(as_clinician, rec, action="accept", program_choice="gap")
    assert missing.status_code == 400
    assert set(missing.context["form"].errors) == {"service_gap", "placed_level"}

    response = _decide(
        as_clinician,
        rec,
        action="accept",
        program_choice="gap",
        service_gap="full",
        placed_level="outpatient",
        gap_waitlist=str(full.pk),
    )

    assert response.status_code == 302
    placement = Placement.objects.get()
    assert (placement.level, placement.indicated_level, placement.service_gap) == (
        "outpatient",
        "iop",
        "full",
    )
    chart = as_clinician.get(response["Location"]).content.decode()
    assert (
        "Service gap:</strong> Programs at this level are full; IOP (intensive "
        "outpatient) indicated, placed at Outpatient until a place opens."
    ) in chart
    assert "Waiting for a place in <strong>Only IOP</strong>" in chart
    # The timeline says so too: the decision's gap and the placement's level.
    assert "; service gap: programs at this level are full" in chart
    assert "(service gap: IOP (intensive outpatient) indicated)" in chart


def test_review_page_queries_stay_constant_with_500_programs(
    as_clinician: HttpClient, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)
    Program.objects.bulk_create(
        Program(
            name=f"IOP {n:03d}",
            level="iop",
            days="mon,wed",
            hours="evening" if n % 2 else "daytime",
            modality="in_person",
            capacity=10,
            open_places=n % 3,
            accepted_payers="Acme Health",
        )
        for n in range(500)
    )
    WaitlistEntry.objects.create(
        program=Program.objects.first(), client=rec.client, added_by=coordinator
    )
    as_clinician.get(_review(rec))  # warm the session and permission caches
    with django_assert_max_num_queries(30) as captured:
        response = as_clinician.get(_review(rec))
    matches = response.context["matches"]
    assert len(matches.ranked) == 500
    # The form offers the best 15 (all fit 2 days a week: open places first).
    assert len(matches.shown) == len(response.context["form"].programs) == 15
    assert all(r.program.open_places > 0 for r in matches.shown)
    assert "485 more programs at this level rank lower" in response.content.decode()
    program_queries = [
        q for q in captured.captured_queries if 'FROM "levelofcare_program"' in q["sql"]
    ]
    assert len(program_queries) == 2  # the ranked programs, the levels with room


# --- /programs/ -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Daytime IOP", "Evening IOP", "Outpatient clinic", "Virtual IOP"]),
        ("?level=outpatient", ["Outpatient clinic"]),
        ("?modality=virtual", ["Virtual IOP"]),
        ("?hours=evening", ["Evening IOP"]),
        ("?level=iop&hours=daytime", ["Daytime IOP", "Virtual IOP"]),
        (
            "?level=nonsense",
            ["Daytime IOP", "Evening IOP", "Outpatient clinic", "Virtual IOP"],
        ),
    ],
)
def test_the_directory_filters_by_level_modality_and_schedule(
    as_clinician: HttpClient, query: str, expected: list[str]
) -> None:
    ProgramFactory(name="Daytime IOP")
    ProgramFactory(name="Evening IOP", hours="evening")
    ProgramFactory(name="Virtual IOP", modality="virtual")
    ProgramFactory(name="Outpatient clinic", level="outpatient")
    ProgramFactory(name="Closed IOP", is_active=False)
    response = as_clinician.get(PROGRAMS + query)
    assert response.status_code == 200
    assert [p.name for p in response.context["page"].object_list] == expected


def test_the_directory_shows_places_waitlist_and_payers(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    program = ProgramFactory(name="Full IOP", capacity=8, open_places=0)
    for patient in ClientFactory.create_batch(2):
        WaitlistEntry.objects.create(
            program=program, client=patient, added_by=coordinator
        )
    html = as_clinician.get(PROGRAMS).content.decode()
    assert "<strong>Full</strong> (8 places)" in html
    assert "Waitlist: 2" in html
    assert "Acme Health, Medicaid" in html


def test_the_directory_is_not_open_to_anonymous_visitors(client: HttpClient) -> None:
    response = client.get(PROGRAMS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_directory_queries_stay_constant_with_500_programs(
    as_clinician: HttpClient, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    programs = Program.objects.bulk_create(
        Program(name=f"P {n:03d}", level="iop", capacity=5, open_places=0)
        for n in range(500)
    )
    patients = ClientFactory.create_batch(3)
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(program=p, client=c, added_by=coordinator)
        for p in programs[:50]
        for c in patients
    )
    as_clinician.get(PROGRAMS)
    with django_assert_max_num_queries(8):
        response = as_clinician.get(PROGRAMS + "?page=2")
    assert response.context["page"].paginator.count == 500
    assert all(p.waitlist_length == 0 for p in response.context["page"].object_list)
    first = as_clinician.get(PROGRAMS).context["page"].object_list
    assert {p.waitlist_length for p in first} == {3}


# --- admin, client payer, demo data -------------------------------------------------


def test_criteria_admins_keep_the_directory_in_admin_with_history(
    client: HttpClient, criteria_admin: Any
) -> None:
    client.force_login(criteria_admin)
    data = {
        "name": "Evening IOP, Harbour Street",
        "level": "iop",
        "days": ["mon", "thu", "tue"],
        "hours": "evening",
        "modality": "hybrid",
        "location": "12 Harbour Street",
        "capacity": "10",
        "open_places": "11",
        "accepted_payers": "Acme Health",
        "is_active": "on",
    }
    add = reverse("admin:levelofcare_program_add")
    refused = client.post(add, data)
    assert refused.status_code == 200
    assert "Open places cannot be more than the capacity." in refused.content.decode()

    response = client.post(add, {**data, "open_places": "4"})

    assert response.status_code == 302
    program = Program.objects.get()
    assert (program.days, program.open_places) == ("mon,tue,thu", 4)
    assert program.history.get().history_user == criteria_admin
    change = client.get(reverse("admin:levelofcare_program_change", args=[program.pk]))
    assert change.context["adminform"].form["days"].value() == ["mon", "tue", "thu"]
    delete = reverse("admin:levelofcare_program_delete", args=[program.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def _admin_edit(client: HttpClient, program: Program, **changes: str) -> Any:
    """Open the program's admin form, let `changes` happen, post it back."""
    url = reverse("admin:levelofcare_program_change", args=[program.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() is not None
    }
    data["initial-open_places"] = str(form["open_places"].value())
    data["is_active"] = "on"
    return data, url


def _admin_form_open_while_a_place_is_taken(
    client: HttpClient, coordinator: Any, clinician: Any
) -> Any:
    """A program with 3 of 10 places open; its admin form is opened, then a
    referral takes one place (2 open) before the form is posted back."""
    program = ProgramFactory(name="Evening IOP", capacity=10, open_places=3)
    data, url = _admin_edit(client, program)
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)
    services.decision_record(
        recommendation=rec, user=clinician, level="iop", referred_program=program
    )
    return program, data, url


def test_an_admin_edit_keeps_places_taken_while_the_form_was_open(
    client: HttpClient, criteria_admin: Any, clinician: Any, coordinator: Any
) -> None:
    client.force_login(criteria_admin)
    program, data, url = _admin_form_open_while_a_place_is_taken(
        client, coordinator, clinician
    )
    # The admin edits the location only.
    assert client.post(url, {**data, "location": "Harbour St"}).status_code == 302
    program.refresh_from_db()
    assert (program.location, program.open_places) == ("Harbour St", 2)


def test_an_admin_change_of_open_places_applies_as_a_difference(
    client: HttpClient, criteria_admin: Any, clinician: Any, coordinator: Any
) -> None:
    client.force_login(criteria_admin)
    program, data, url = _admin_form_open_while_a_place_is_taken(
        client, coordinator, clinician
    )
    # The admin saw 3 and typed 5 (two more places): 2 left + 2 = 4.
    assert client.post(url, {**data, "open_places": "5"}).status_code == 302
    program.refresh_from_db()
    assert program.open_places == 4
    # Lowering the capacity below the open places caps them.
    data, url = _admin_edit(client, program)
    assert (
        client.post(url, {**data, "capacity": "3", "open_places": "3"}).status_code
        == 302
    )
    program.refresh_from_db()
    assert (program.capacity, program.open_places) == (3, 3)


def test_the_client_form_records_the_payer(
    client: HttpClient, coordinator: Any
) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("intake:client_create"),
        {
            "reference": "MRN-PAYER",
            "given_name": "Ada",
            "family_name": "Example",
            "date_of_birth": "1990-01-01",
            "payer": "  Acme   Health ",
        },
    )
    assert response.status_code == 302
    assert Client.objects.get().payer == "Acme Health"


def test_demo_iop_client_with_a_work_commitment_sees_evening_and_virtual_first(
    client: HttpClient,
) -> None:
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    assert Program.objects.count() == 6
    levels = set(Program.objects.values_list("level", flat=True))
    assert levels == {"inpatient", "iop", "outpatient"}
    full = Program.objects.get(open_places=0)
    assert programs_directory().get(pk=full.pk).waitlist_length == 2
    rec = Client.objects.get(reference="DEMO-002").recommendations.get()
    client.force_login(_demo("clinician"))
    ranked = client.get(_review(rec)).context["matches"].ranked
    assert [
        r.program.hours == "evening" or r.program.modality == "virtual" for r in ranked
    ] == [True, True, False]
    assert ranked[0].program.name == "Evening IOP, Harbour Street"


def _demo(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_no_inpatient_bed_a_gap_below_it_asks_for_the_acknowledgement_on_the_page(
    as_clinician: HttpClient, coordinator: Any, clinician: Any
) -> None:
    ProgramFactory(name="Daytime IOP")
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT)
    RecordView.objects.create(user=clinician, client=rec.client, view_name="review")
    gap = {
        "action": "accept",
        "program_choice": "gap",
        "service_gap": "no_program",
        "placed_level": "iop",
    }

    refused = _decide(as_clinician, rec, **gap)

    assert refused.status_code == 400
    assert refused.context["form"].errors["safety_acknowledged"] == [
        DecisionForm.SAFETY_GAP
    ]
    assert _decide(as_clinician, rec, safety_acknowledged="on", **gap).status_code == (
        302
    )
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.safety_acknowledged) == (
        "accept",
        "inpatient",
        True,
    )
    assert Placement.objects.get().level == "iop"


def test_the_gap_fields_posted_with_another_choice_are_ignored(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    # The page ranked IOP programs (the gap's level list leaves IOP out); the
    # clinician overrides to outpatient with the hidden gap fields as they were.
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="outpatient",
        reason_code="client_preference",
        rationale="Prefers weekly therapy.",
        service_gap="no_program",
        placed_level="outpatient",
        gap_waitlist="999",
    )
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert (placement.level, placement.service_gap) == ("outpatient", "")


# --- the client's waitlists -----------------------------------------------------------


def test_the_client_page_lists_waitlists_and_a_clinician_takes_the_client_off(
    client: HttpClient, coordinator: Any, clinician: Any
) -> None:
    full = ProgramFactory(name="Evening IOP", hours="evening", open_places=0)
    earlier = ClientFactory()
    WaitlistEntry.objects.create(program=full, client=earlier, added_by=coordinator)
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)
    services.decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=full,
        join_waitlist=True,
    )
    entry = WaitlistEntry.objects.get(client=rec.client)
    page = reverse("levelofcare:client_detail", args=[rec.client.pk])
    leave = reverse("levelofcare:waitlist_entry_leave", args=[entry.pk])

    client.force_login(clinician)
    chart = client.get(page).content.decode()
    assert "Waiting for a place in <strong>Evening IOP</strong>" in chart
    assert "position 2 in line" in chart  # one client was waiting before
    assert leave in chart

    client.force_login(coordinator)
    assert client.post(leave).status_code == 403  # a clinician's decision
    assert "Take off this waitlist" not in client.get(page).content.decode()

    client.force_login(clinician)
    response = client.post(leave, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert "Taken off the waitlist of Evening IOP." in response.content.decode()
    entry.refresh_from_db()
    assert entry.left_reason == WaitlistEntry.LeftReason.WITHDRAWN
    assert entry.history.first().history_user == clinician  # audited
    assert "Waiting for a place in" not in response.content.decode()
    assert programs_directory().get(pk=full.pk).waitlist_length == 1
    # Twice: nothing more happens, and the page says so.
    again = client.post(leave, follow=True).content.decode()
    assert "No longer on the waitlist of Evening IOP." in again
    assert client.get(leave).status_code == 405
