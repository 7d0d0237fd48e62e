"""Issue 13: matching programs to a client is a pure function. Table tests: the
schedule, the places and the payer each change the order; the gap to record
when none fits; the levels to place at instead, nearest and safest first."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from levelofcare.programs.matching import (
    ClientNeeds,
    GapReason,
    PayerFit,
    ProgramFacts,
    placement_levels,
    programs_ranked,
    service_gap,
)

DAYTIME = ProgramFacts(
    id=1,
    name="A daytime IOP",
    level="iop",
    hours="daytime",
    modality="in_person",
    days_per_week=4,
    open_places=3,
    waitlist_length=0,
    accepted_payers=("Acme Health",),
)
EVENING = replace(DAYTIME, id=2, name="B evening IOP", hours="evening")
VIRTUAL = replace(DAYTIME, id=3, name="C virtual IOP", modality="virtual")
TWO_DAYS = replace(DAYTIME, id=4, name="D two-day IOP", days_per_week=2)

WORKS = ClientNeeds(work_or_school_commitment=True, can_attend_3_days_week=True)
CANNOT_ATTEND = ClientNeeds(can_attend_3_days_week=False)
FREE = ClientNeeds(work_or_school_commitment=False, can_attend_3_days_week=True)


def _names(programs: list[ProgramFacts], needs: ClientNeeds) -> list[str]:
    return [m.program.name for m in programs_ranked(programs, needs=needs, level="iop")]


@pytest.mark.parametrize(
    ("programs", "needs", "expected"),
    [
        # --- schedule: evening and virtual first only when the client needs it ---
        pytest.param(
            [DAYTIME, EVENING, VIRTUAL],
            FREE,
            ["A daytime IOP", "B evening IOP", "C virtual IOP"],
            id="no-need-keeps-name-order",
        ),
        pytest.param(
            [DAYTIME, EVENING, VIRTUAL],
            WORKS,
            ["B evening IOP", "C virtual IOP", "A daytime IOP"],
            id="work-commitment-puts-evening-and-virtual-first",
        ),
        pytest.param(
            [DAYTIME, TWO_DAYS],
            CANNOT_ATTEND,
            ["D two-day IOP", "A daytime IOP"],
            id="cannot-attend-3-days-prefers-fewer-days",
        ),
        # --- places: open places before waitlists, shorter waitlist first ---------
        pytest.param(
            [replace(DAYTIME, open_places=0, waitlist_length=4), EVENING],
            FREE,
            ["B evening IOP", "A daytime IOP"],
            id="open-places-before-a-waitlist",
        ),
        pytest.param(
            [
                replace(DAYTIME, open_places=0, waitlist_length=6),
                replace(EVENING, open_places=0, waitlist_length=1),
            ],
            FREE,
            ["B evening IOP", "A daytime IOP"],
            id="shorter-waitlist-first",
        ),
        pytest.param(
            [replace(EVENING, open_places=0, waitlist_length=2), DAYTIME],
            WORKS,
            ["B evening IOP", "A daytime IOP"],
            id="schedule-outranks-places",
        ),
        # --- payer: a program that lists the client's payer first -----------------
        pytest.param(
            [DAYTIME, replace(EVENING, accepted_payers=("Medicaid",))],
            replace(FREE, payer="medicaid "),
            ["B evening IOP", "A daytime IOP"],
            id="payer-match-ignores-case-and-spaces",
        ),
        pytest.param(
            [DAYTIME, replace(EVENING, accepted_payers=())],
            replace(FREE, payer=""),
            ["A daytime IOP", "B evening IOP"],
            id="no-payer-on-client-no-preference",
        ),
        pytest.param(
            [replace(DAYTIME, open_places=0), replace(EVENING, accepted_payers=())],
            replace(FREE, payer="Acme Health"),
            ["B evening IOP", "A daytime IOP"],
            id="places-outrank-payer",
        ),
        # --- only active programs at the level ------------------------------------
        pytest.param(
            [
                DAYTIME,
                replace(EVENING, is_active=False),
                replace(VIRTUAL, level="outpatient"),
            ],
            WORKS,
            ["A daytime IOP"],
            id="inactive-and-other-levels-left-out",
        ),
    ],
)
def test_ranking(
    programs: list[ProgramFacts], needs: ClientNeeds, expected: list[str]
) -> None:
    assert _names(programs, needs) == expected


@pytest.mark.parametrize(
    ("program", "needs", "reasons"),
    [
        (
            EVENING,
            WORKS,
            (
                "evening: fits a work, school or caregiving commitment",
                "3 open places",
                "no payer on the client's record",
            ),
        ),
        (
            VIRTUAL,
            replace(CANNOT_ATTEND, payer="Acme Health"),
            (
                "virtual: no travel, fits someone who cannot attend 3 days a week",
                "3 open places",
                "accepts Acme Health",
            ),
        ),
        (
            replace(DAYTIME, open_places=0, waitlist_length=1),
            replace(WORKS, payer="Medicaid"),
            (
                "daytime, 4 days a week: may clash with a work, school or "
                "caregiving commitment",
                "full: waitlist of 1 person",
                "does not list Medicaid",
            ),
        ),
        (
            replace(DAYTIME, open_places=1),
            FREE,
            ("1 open place", "no payer on the client's record"),
        ),
    ],
)
def test_each_ranking_says_why(
    program: ProgramFacts, needs: ClientNeeds, reasons: tuple[str, ...]
) -> None:
    (ranked,) = programs_ranked([program], needs=needs, level="iop")
    assert ranked.reasons == reasons


def test_payer_fit_is_recorded() -> None:
    ranked = programs_ranked(
        [DAYTIME, replace(EVENING, accepted_payers=())],
        needs=replace(FREE, payer="Acme Health"),
        level="iop",
    )
    assert [m.payer for m in ranked] == [PayerFit.ACCEPTED, PayerFit.NOT_LISTED]


@pytest.mark.parametrize(
    ("programs", "needs", "gap"),
    [
        ([], WORKS, GapReason.NO_PROGRAM),
        ([DAYTIME], WORKS, GapReason.SCHEDULE),
        ([EVENING], replace(WORKS, payer="Medicaid"), GapReason.PAYER),
        ([replace(EVENING, open_places=0, waitlist_length=3)], WORKS, GapReason.FULL),
        ([DAYTIME, replace(EVENING, open_places=0)], WORKS, GapReason.FULL),
        ([DAYTIME, EVENING], WORKS, None),
        ([DAYTIME], FREE, None),
        ([DAYTIME], replace(FREE, payer=""), None),
    ],
)
def test_the_gap_to_record_when_no_program_fits(
    programs: list[ProgramFacts], needs: ClientNeeds, gap: GapReason | None
) -> None:
    assert service_gap(programs_ranked(programs, needs=needs, level="iop")) == gap


@pytest.mark.parametrize(
    ("indicated", "with_room", "expected"),
    [
        # A tie at the same distance: the higher (safer) level first.
        ("iop", {"inpatient", "outpatient", "iop"}, ["inpatient", "outpatient"]),
        ("iop", {"outpatient"}, ["outpatient"]),
        ("inpatient", {"outpatient", "iop"}, ["iop", "outpatient"]),
        ("outpatient", {"inpatient", "iop"}, ["iop", "inpatient"]),
        ("iop", set(), []),
    ],
)
def test_placement_levels_nearest_then_safer_first(
    indicated: str, with_room: set[str], expected: list[str]
) -> None:
    assert placement_levels(indicated=indicated, with_room=with_room) == expected


def test_matching_imports_no_django() -> None:
    code = (
        "import sys, levelofcare.programs.matching; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
