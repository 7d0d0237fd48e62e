"""Reads of the audit trail: every history row, sign-in and record view."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Trim, Trunc
from django.utils import timezone

from intake.models import Assessment, Client, RecordView
from levelofcare.models import (
    AuthEvent,
    BreakGlassAccess,
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)

# How long a break-the-glass reason opens a client's audit trail (within the
# session that gave it).
BREAK_GLASS_MINUTES: Final = 60


def audit_client_is_own(*, user: Any, client_reference: str) -> bool:
    """Whether the client is in the user's caseload: the user decided on the
    client, or holds a *scheduled* progress review of the client.

    Reassigning a review to oneself brings its client into one's caseload, and
    reassigning it back takes it out again, but no longer silently: every
    reassignment is on the client's timeline (from, to, by whom) and notifies the
    previous assignee. Outside the caseload the trail opens only after breaking
    the glass (`break_glass_active`).
    """
    return (
        Decision.objects.filter(
            recommendation__client__reference=client_reference, decided_by=user
        ).exists()
        or ProgressReview.objects.filter(
            placement__client__reference=client_reference,
            assigned_to=user,
            status=ProgressReview.Status.SCHEDULED,
        ).exists()
    )


def break_glass_active(
    *,
    user: Any,
    client_reference: str,
    access_ids: Iterable[int],
    now: datetime | None = None,
) -> BreakGlassAccess | None:
    """The user's latest break-the-glass access to this client among `access_ids`
    (those the session gave) that is younger than `BREAK_GLASS_MINUTES`, if any."""
    now = now or timezone.now()
    return (
        BreakGlassAccess.objects.filter(
            pk__in=list(access_ids),
            user=user,
            client__reference=client_reference,
            at__gt=now - timedelta(minutes=BREAK_GLASS_MINUTES),
        )
        .order_by("-at", "-id")
        .first()
    )


def break_glass_accesses() -> QuerySet[BreakGlassAccess]:
    """Every break-the-glass access, newest first, with its client's reference."""
    return BreakGlassAccess.objects.select_related("client").order_by("-at", "-id")


# The history models the audit trail reads, by the record label it shows, with
# the path from a history row to its client's reference (None: not a client's).
_HISTORY_SOURCES: tuple[tuple[Any, str, str | None], ...] = (
    (Client.history.model, "client", "reference"),
    (Assessment.history.model, "assessment", "client__reference"),
    (Recommendation.history.model, "recommendation", "client__reference"),
    (Decision.history.model, "decision", "recommendation__client__reference"),
    (Placement.history.model, "placement", "client__reference"),
    (ProgressReview.history.model, "progress review", "placement__client__reference"),
    (CriteriaSet.history.model, "criteria", None),
)
_HISTORY_MODELS: dict[str, Any] = {label: model for model, label, _ in _HISTORY_SOURCES}
_NONE = Value(None, output_field=IntegerField())


def _decision_record() -> Case:
    """A decision's audit label names its kind, e.g. "decision: decided without a
    recommendation", so such decisions are not read as overrides."""
    return Case(
        *(
            When(kind=value, then=Value(f"decision: {label.lower()}"))
            for value, label in Decision.Kind.choices
        ),
        default=Value("decision"),
        output_field=CharField(),
    )


# Columns of every audit row, in order (a UNION matches columns by position).
# `who` and `who_name` are the username and full name as they were at the time.
COLUMNS = (
    "at",
    "who",
    "action",
    "record",
    "object_id",
    "ref",
    "n",
    "history_id",
    "who_name",
)
_TEXT: CharField[str, str] = CharField()


def _current_name(user_path: str) -> Trim:
    """A user's full name as it is now (the fallback for a row whose snapshot
    was not recorded): `get_full_name()` in SQL."""
    return Trim(
        Concat(
            f"{user_path}__first_name",
            Value(" "),
            f"{user_path}__last_name",
            output_field=_TEXT,
        )
    )


def _as_then(snapshot: str, user_path: str, current: str = "username") -> Coalesce:
    """A snapshot column, else (not recorded: NULL) the user's value now."""
    now_value = (
        _current_name(user_path)
        if current == "full_name"
        else F(f"{user_path}__{current}")
    )
    return Coalesce(F(snapshot), now_value, output_field=_TEXT)


def _by(username: str, snapshot: str, user_path: str) -> Q:
    """Rows of whoever was called `username` then, or is called so now."""
    return Q(**{snapshot: username}) | Q(**{f"{user_path}__username": username})


def _of_client(
    qs: QuerySet[Any], model: Any, ref_path: str, reference: str
) -> QuerySet[Any]:
    """History rows of the client with this reference."""
    if model is Client.history.model:
        # By the client, not the reference it had then: a corrected reference
        # keeps the rows from before the correction.
        clients = Client.objects.filter(reference=reference)
        return qs.filter(id__in=clients.values("id"))
    return qs.filter(**{ref_path: reference})


def audit_events(
    *,
    client_reference: str = "",
    username: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Any]:
    """Every audit row (history of records, sign-ins, record views, break-the-
    glass accesses) as one union of `COLUMNS`, newest first. People are named as
    they were at the time (the rows' snapshots), not as they are now.

    1. History rows: one row each (`history_id` set, `n` = 1).
    2. Record views: one row per person, client, page and minute, with the count
       of views in it (`n`); `at` is the last of them.
    3. Sign-ins, sign-outs and failed sign-ins: one row each.
    4. Break-the-glass accesses: one row each (`object_id` is the access).
    """

    def within(qs: QuerySet[Any], at_field: str) -> QuerySet[Any]:
        if since:
            qs = qs.filter(**{f"{at_field}__gte": since})
        if until:
            qs = qs.filter(**{f"{at_field}__lt": until})
        return qs

    sources: list[QuerySet[Any]] = []
    for model, label, ref_path in _HISTORY_SOURCES:
        qs = model.objects.all()
        if client_reference:
            if ref_path is None:
                continue
            qs = _of_client(qs, model, ref_path, client_reference)
        if username:
            qs = qs.filter(_by(username, "history_username", "history_user"))
        sources.append(
            within(qs, "history_date")
            .annotate(
                at=F("history_date"),
                who=_as_then("history_username", "history_user"),
                who_name=_as_then("history_full_name", "history_user", "full_name"),
                action=F("history_type"),
                record=(
                    _decision_record()
                    if model is Decision.history.model
                    else Value(label, output_field=CharField())
                ),
                object_id=F("id"),
                ref=F(ref_path) if ref_path else Value("", output_field=CharField()),
                n=Value(1, output_field=IntegerField()),
                entry=F("history_id"),
            )
            .values_list(*COLUMNS[:-2], "entry", "who_name")
        )
    views = RecordView.objects.all()
    auth = AuthEvent.objects.all()
    glass = BreakGlassAccess.objects.all()
    if client_reference:
        views = views.filter(client__reference=client_reference)
        auth = auth.none()
        glass = glass.filter(client__reference=client_reference)
    if username:
        views = views.filter(_by(username, "username", "user"))
        auth = auth.filter(_by(username, "username", "user"))
        glass = glass.filter(_by(username, "username", "user"))
    sources.append(
        within(views, "viewed_at")
        .annotate(minute=Trunc("viewed_at", "minute"))
        .values("minute", "user_id", "username", "full_name", "view_name", "client_id")
        .annotate(
            last=Max("viewed_at"),
            who=_as_then("username", "user"),
            who_name=_as_then("full_name", "user", "full_name"),
            action=Value("viewed", output_field=CharField()),
            record=F("view_name"),
            object_id=F("client_id"),
            ref=F("client__reference"),
            n=Count("id"),
            entry=_NONE,
        )
        .values_list(
            "last",
            "who",
            "action",
            "record",
            "object_id",
            "ref",
            "n",
            "entry",
            "who_name",
        )
    )
    sources.append(
        within(auth, "at")
        .annotate(
            who=F("username"),
            who_name=_as_then("full_name", "user", "full_name"),
            action=F("kind"),
            record=Value("sign-in", output_field=CharField()),
            object_id=F("id"),
            ref=Value("", output_field=CharField()),
            n=Value(1, output_field=IntegerField()),
            entry=_NONE,
        )
        .values_list(*COLUMNS[:-2], "entry", "who_name")
    )
    sources.append(
        within(glass, "at")
        .annotate(
            who=F("username"),
            who_name=F("full_name"),
            action=Value("break_glass", output_field=CharField()),
            record=Value("audit trail", output_field=CharField()),
            object_id=F("id"),
            ref=F("client__reference"),
            n=Value(1, output_field=IntegerField()),
            entry=_NONE,
        )
        .values_list(*COLUMNS[:-2], "entry", "who_name")
    )
    # Members of a UNION may not carry their models' default ordering.
    first, *rest = [qs.order_by() for qs in sources]
    return first.union(*rest, all=True).order_by("-at")


@dataclass(frozen=True)
class AuditRow:
    """One audit row as the audit page shows it."""

    at: datetime
    username: str
    full_name: str
    action: str
    record: str
    object_id: int
    reference: str
    count: int
    history_id: int | None
    changes: list[str] = field(default_factory=list)
    # A break-the-glass row: the reason given.
    reason: str = ""


def audit_rows(rows: Sequence[tuple[Any, ...]]) -> list[AuditRow]:
    """The page's rows of `audit_events` with, for each edit, the fields it
    changed (by verbose name) against the record's previous history row, and for
    each break-the-glass row its reason. Names are the rows' own (as they were
    then). Queries: two per kind of record edited on the page plus one for the
    reasons, not per row."""
    changes = _changes(
        (row[3], row[7]) for row in rows if row[2] == "~" and row[7] is not None
    )
    glass_ids = [row[4] for row in rows if row[2] == "break_glass"]
    reasons = (
        dict(
            BreakGlassAccess.objects.filter(pk__in=glass_ids).values_list(
                "pk", "reason"
            )
        )
        if glass_ids
        else {}
    )
    return [
        AuditRow(
            at=at,
            username=who or "",
            full_name=who_name or "",
            action=action,
            record=record,
            object_id=object_id,
            reference=ref or "",
            count=n,
            history_id=entry,
            changes=changes.get((record.split(":")[0], entry), []),
            reason=reasons.get(object_id, "") if action == "break_glass" else "",
        )
        for at, who, action, record, object_id, ref, n, entry, who_name in rows
    ]


def _changes(edits: Iterable[tuple[str, int]]) -> dict[tuple[str, int], list[str]]:
    """For each (record label, history id) of an edit, the verbose names of the
    fields that differ from the previous history row of the same record."""
    by_label: dict[str, set[int]] = defaultdict(set)
    for label, history_id in edits:
        # "decision: accepted" is a decision's row: its model is the decision's.
        by_label[label.split(":")[0]].add(history_id)
    found: dict[tuple[str, int], list[str]] = {}
    for label, ids in by_label.items():
        model = _HISTORY_MODELS[label]
        previous = (
            model.objects.filter(
                id=OuterRef("id"), history_date__lt=OuterRef("history_date")
            )
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        edits_here = list(
            model.objects.filter(history_id__in=ids).annotate(
                previous_id=Subquery(previous)
            )
        )
        olds = model.objects.in_bulk(
            [e.previous_id for e in edits_here if e.previous_id is not None]
        )
        for edit in edits_here:
            old = olds.get(edit.previous_id)
            if old is None:
                continue
            delta = edit.diff_against(old)
            found[(label, edit.history_id)] = sorted(
                str(model._meta.get_field(name).verbose_name)
                for name in delta.changed_fields
            )
    return found
