"""Issue 13: two referrals racing for a program's last place, on real PostgreSQL
(two transactions at once): one takes it, the other is told the program is full
and offered the waitlist; nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest

from levelofcare.errors import ProgramFull
from levelofcare.models import Decision, Placement, Program, WaitlistEntry
from levelofcare.recommendations import services
from tests.concurrency import at_once
from tests.factories import PHQ9_20, ProgramFactory, answers, submit_assessment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_referrals_for_the_last_place_one_wins_the_other_is_offered_the_waitlist(
    coordinator: Any, clinician: Any, other_clinician: Any
) -> None:
    program = ProgramFactory(name="Evening IOP", hours="evening", open_places=1)
    first = submit_assessment(user=coordinator, answer_dict=answers(phq9=PHQ9_20))
    second = submit_assessment(user=coordinator, answer_dict=answers(phq9=PHQ9_20))

    def refer(rec: Any, user: Any) -> str:
        try:
            services.decision_record(
                recommendation=rec, user=user, level="iop", referred_program=program
            )
        except ProgramFull as full:
            return f"full, waitlist {full.waitlist_length}"
        return "placed"

    outcomes = at_once(
        lambda: refer(first, clinician), lambda: refer(second, other_clinician)
    )

    assert sorted(outcomes) == ["full, waitlist 0", "placed"]
    program.refresh_from_db()
    assert program.open_places == 0
    # The loser's whole decision rolled back: one decision, one placement.
    assert Decision.objects.count() == 1
    placement = Placement.objects.get()
    assert placement.program == program
    loser = second if outcomes[0] == "placed" else first
    assert not loser.decisions.exists()

    # Offered the waitlist, the loser joins it.
    services.decision_record(
        recommendation=loser,
        user=clinician,
        level="iop",
        referred_program=program,
        join_waitlist=True,
    )
    entry = WaitlistEntry.objects.get()
    assert entry.client_id == loser.client_id and entry.left_at is None
    assert Program.objects.get(pk=program.pk).open_places == 0
