"""Reads of the program directory: the filtered list, the programs matched to a
recommendation, the levels with room. A fixed number of queries, whatever the
number of programs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from levelofcare.models import LevelChoices, Program, Recommendation, WaitlistEntry
from levelofcare.programs import matching


def programs_with_waitlist() -> QuerySet[Program]:
    """Programs, each with `waitlist_length` counted from its open waitlist rows."""
    return Program.objects.annotate(
        waitlist_length=Count("waitlist", filter=Q(waitlist__left_at__isnull=True))
    )


def client_waitlists(*, client_id: int) -> list[WaitlistEntry]:
    """The client's open waitlist entries, each with its program and its place in
    line (`position`: 1 is next): one query."""
    ahead = (
        WaitlistEntry.objects.filter(
            program_id=OuterRef("program_id"),
            left_at__isnull=True,
            added_at__lt=OuterRef("added_at"),
        )
        .order_by()
        .values("program_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        WaitlistEntry.objects.filter(client_id=client_id, left_at__isnull=True)
        .select_related("program")
        .annotate(
            position=Coalesce(Subquery(ahead, output_field=IntegerField()), 0) + 1
        )
        .order_by("added_at", "pk")
    )


def programs_directory(
    *, level: str = "", modality: str = "", hours: str = "", active_only: bool = True
) -> QuerySet[Program]:
    """The directory as staff read it: active programs (unless asked otherwise),
    filtered by level, modality and hours; most intensive level first, then name."""
    programs = programs_with_waitlist()
    if active_only:
        programs = programs.filter(is_active=True)
    if level:
        programs = programs.filter(level=level)
    if modality:
        programs = programs.filter(modality=modality)
    if hours:
        programs = programs.filter(hours=hours)
    return programs.order_by("name", "id")


def program_facts(program: Program) -> matching.ProgramFacts:
    """What matching needs of a program (annotated by `programs_with_waitlist`)."""
    return matching.ProgramFacts(
        id=program.pk,
        name=program.name,
        level=program.level,
        hours=program.hours,
        modality=program.modality,
        days_per_week=len(program.day_codes),
        open_places=program.open_places,
        waitlist_length=getattr(program, "waitlist_length", 0),
        accepted_payers=program.payer_list,
        is_active=program.is_active,
    )


def client_needs(*, recommendation: Recommendation) -> matching.ClientNeeds:
    """The schedule answers of the recommendation's assessment and the client's
    payer (joined by `recommendation_for_review`: no query)."""
    answers = recommendation.assessment.answers or {}
    can_attend = answers.get("can_attend_3_days_week")
    return matching.ClientNeeds(
        work_or_school_commitment=answers.get("work_or_school_commitment") is True,
        can_attend_3_days_week=can_attend if isinstance(can_attend, bool) else None,
        payer=recommendation.client.payer,
    )


# The review page offers the best few; the rest are in the directory.
MATCHES_SHOWN: Final = 15


@dataclass(frozen=True)
class RankedProgram:
    """A program of the directory with its place in the ranking and why."""

    program: Program
    match: matching.Match


@dataclass(frozen=True)
class ProgramMatches:
    """The programs at one level ranked for a client, the gap to record if none
    fits, and the levels the client could be placed at instead (nearest first)."""

    level: str
    needs: matching.ClientNeeds
    ranked: list[RankedProgram]
    gap: matching.GapReason | None
    placement_levels: list[str]

    @property
    def shown(self) -> list[RankedProgram]:
        """The best `MATCHES_SHOWN`: the choices of the decision form."""
        return self.ranked[:MATCHES_SHOWN]

    @property
    def not_shown(self) -> int:
        return max(0, len(self.ranked) - MATCHES_SHOWN)

    @property
    def level_label(self) -> str:
        return str(dict(LevelChoices.choices)[self.level])


def programs_matching(*, recommendation: Recommendation, level: str) -> ProgramMatches:
    """The active programs at `level` ranked for the recommendation's client.

    Two queries whatever the number of programs: the programs at the level (with
    their waitlists counted) and the levels that have room.
    """
    needs = client_needs(recommendation=recommendation)
    programs = {
        p.pk: p for p in programs_with_waitlist().filter(level=level, is_active=True)
    }
    matches = matching.programs_ranked(
        (program_facts(p) for p in programs.values()), needs=needs, level=level
    )
    return ProgramMatches(
        level=level,
        needs=needs,
        ranked=[RankedProgram(programs[m.program.id], m) for m in matches],
        gap=matching.service_gap(matches),
        placement_levels=matching.placement_levels(
            indicated=level, with_room=levels_with_room()
        ),
    )


def levels_with_room() -> set[str]:
    """Levels with at least one active program with an open place (one query)."""
    return set(
        Program.objects.filter(is_active=True, open_places__gt=0)
        .order_by()
        .values_list("level", flat=True)
        .distinct()
    )
