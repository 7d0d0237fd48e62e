"""Reads of the audit trail: every history row, sign-in and record view."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Trunc

from intake.models import Assessment, Client, RecordView
from levelofcare.models import (
    AuthEvent,
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)


def audit_client_is_own(*, user: Any, client_reference: str) -> bool:
    """Whether the user decided on, or holds a progress review of, this client."""
    return (
        Decision.objects.filter(
            recommendation__client__reference=client_reference, decided_by=user
        ).exists()
        or ProgressReview.objects.filter(
            placement__client__reference=client_reference, assigned_to=user
        ).exists()
    )


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
COLUMNS = ("at", "who", "action", "record", "object_id", "ref", "n", "history_id")


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
    """Every audit row (history of records, sign-ins, record views) as one union of
    `COLUMNS`, newest first.

    1. History rows: one row each (`history_id` set, `n` = 1).
    2. Record views: one row per person, client, page and minute, with the count
       of views in it (`n`); `at` is the last of them.
    3. Sign-ins, sign-outs and failed sign-ins: one row each.
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
            qs = qs.filter(history_user__username=username)
        sources.append(
            within(qs, "history_date")
            .annotate(
                at=F("history_date"),
                who=F("history_user__username"),
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
            .values_list(*COLUMNS[:-1], "entry")
        )
    views = RecordView.objects.all()
    auth = AuthEvent.objects.all()
    if client_reference:
        views = views.filter(client__reference=client_reference)
        auth = auth.none()
    if username:
        views = views.filter(user__username=username)
        auth = auth.filter(username=username)
    sources.append(
        within(views, "viewed_at")
        .annotate(minute=Trunc("viewed_at", "minute"))
        .values("minute", "user__username", "view_name", "client_id")
        .annotate(
            last=Max("viewed_at"),
            who=F("user__username"),
            action=Value("viewed", output_field=CharField()),
            record=F("view_name"),
            object_id=F("client_id"),
            ref=F("client__reference"),
            n=Count("id"),
            entry=_NONE,
        )
        .values_list(
            "last", "who", "action", "record", "object_id", "ref", "n", "entry"
        )
    )
    sources.append(
        within(auth, "at")
        .annotate(
            who=F("username"),
            action=F("kind"),
            record=Value("sign-in", output_field=CharField()),
            object_id=F("id"),
            ref=Value("", output_field=CharField()),
            n=Value(1, output_field=IntegerField()),
            entry=_NONE,
        )
        .values_list(*COLUMNS[:-1], "entry")
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


def audit_rows(rows: Sequence[tuple[Any, ...]]) -> list[AuditRow]:
    """The page's rows of `audit_events` with people's names and, for each edit,
    the fields it changed (by verbose name) against the record's previous history
    row. Queries: one for the names plus two per kind of record on the page, not
    per row."""
    usernames = {row[1] for row in rows if row[1]}
    names = {
        username: full_name
        for username, full_name in _full_names(usernames)
        if full_name
    }
    changes = _changes(
        (row[3], row[7]) for row in rows if row[2] == "~" and row[7] is not None
    )
    return [
        AuditRow(
            at=at,
            username=who or "",
            full_name=names.get(who or "", ""),
            action=action,
            record=record,
            object_id=object_id,
            reference=ref or "",
            count=n,
            history_id=entry,
            changes=changes.get((record.split(":")[0], entry), []),
        )
        for at, who, action, record, object_id, ref, n, entry in rows
    ]


def _full_names(usernames: set[str]) -> Iterable[tuple[str, str]]:
    if not usernames:
        return []
    users = get_user_model().objects.filter(username__in=usernames)
    return [(user.get_username(), user.get_full_name()) for user in users]


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
