"""factory_boy factories and test data builders: the one home of test factories.

Answers come from `tests.baseline` (complete, outpatient); the factories here build
the models around them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from intake.models import Assessment
from levelofcare import rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import (
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
    RecommendationReason,
)
from levelofcare.reports import facts
from tests.baseline import BASELINE, answers

__all__ = [
    "OUTPATIENT_ANSWERS",
    "PASSWORD",
    "PHQ9_5",
    "PHQ9_12",
    "PHQ9_20",
    "AssessmentFactory",
    "ClientFactory",
    "DecisionFactory",
    "PlacementFactory",
    "ProgressReviewFactory",
    "RecommendationFactory",
    "UserFactory",
    "active_criteria",
    "answers",
    "form_data",
    "reviews_due_at",
    "settings_of",
    "settings_post_data",
    "submit_assessment",
    "submitted_assessment",
]

PASSWORD = "correct-horse-battery-staple"

# Complete answers for an outpatient person (every question answered, nothing fires).
OUTPATIENT_ANSWERS = BASELINE

# PHQ-9 totals 12, 5 and 20 (item 9 = 0): outpatient, outpatient and IOP under
# version 1 (IOP from 15); lowering the PHQ-9 IOP threshold to 12 moves exactly one.
PHQ9_12 = [2, 2, 2, 2, 2, 1, 1, 0, 0]
PHQ9_5 = [1, 1, 1, 1, 1, 0, 0, 0, 0]
PHQ9_20 = [3, 3, 3, 3, 3, 3, 2, 0, 0]


# --- people -----------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.test")

    @factory.post_generation
    def password(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "intake.Client"

    reference = factory.Sequence(lambda n: f"MRN-{n:05d}")
    # Distinctive values, so a test can prove they never reach a reminder.
    given_name = factory.Sequence(lambda n: f"Ottoline{n}")
    family_name = factory.Sequence(lambda n: f"Wrexham{n}")
    date_of_birth = dt.date(1971, 3, 14)
    created_by = factory.SubFactory(UserFactory)


# --- assessments and recommendations ----------------------------------------------


def active_criteria() -> CriteriaSet:
    """The active criteria version (a transactional test's flush removes version 1)."""
    criteria = CriteriaSet.objects.filter(is_active=True).first()
    if criteria is None:
        criteria = CriteriaSet.objects.create(
            version=1, is_active=True, change_note="Default criteria (tests)."
        )
    return criteria


def form_data(answer_dict: dict[str, Any], **extra: str) -> dict[str, str]:
    """POST data for the assessment form that encodes `answer_dict`."""
    from intake.forms import AssessmentForm

    return AssessmentForm.data_from_answers(answer_dict, **extra)


def submit_assessment(
    *, user: Any, client: Any = None, answer_dict: dict[str, Any] | None = None
) -> Any:
    """A submitted assessment with its recommendation, through the real service."""
    from levelofcare.recommendations.services import assessment_submit

    return assessment_submit(
        assessment=None,
        client=client or ClientFactory(),
        user=user,
        answers=answers() if answer_dict is None else answer_dict,
        partial_items={},
        notes="",
    )


def submitted_assessment(
    *,
    user: Any,
    answers: dict[str, Any],
    criteria_set: CriteriaSet | None = None,
    override_level: bool = False,
    stored_level: str | None = None,
) -> Assessment:
    """A client, a submitted assessment and its recommendation (ORM only).

    The recommendation is what `rules.evaluate` gives under `criteria_set`
    (default: the active version); with `override_level`, its level is
    `stored_level` instead (e.g. to store answers that no longer validate).
    """
    criteria_set = criteria_set or criteria_active()
    client = ClientFactory(created_by=user)
    now = timezone.now()
    assessment = Assessment.objects.create(
        client=client,
        status=Assessment.Status.SUBMITTED,
        answers=answers,
        created_by=user,
        submitted_at=now,
        submitted_by=user,
    )
    result = rules.recommendation_to_dict(
        rules.evaluate(rules.answers_from_dict(answers), criteria_set.to_criteria()),
        criteria_set.version,
    )
    recommendation = Recommendation.objects.create(
        assessment=assessment,
        client=client,
        level=stored_level if override_level else result["level"],
        reasons=result["reasons"],
        notes=result["notes"],
        missing=result["missing"],
        scores=result["scores"],
        criteria=criteria_set,
    )
    recommendation_facts_write(recommendation)
    return assessment


def recommendation_facts_write(recommendation: Recommendation) -> None:
    """What `recommendation_create` copies for the reports (`reports.facts`):
    the instrument totals and the codes of the rules that fired."""
    for column, total in facts.score_totals(recommendation.scores).items():
        setattr(recommendation, column, total)
    recommendation.save(update_fields=list(facts.score_totals(recommendation.scores)))
    RecommendationReason.objects.filter(recommendation=recommendation).delete()
    RecommendationReason.objects.bulk_create(
        RecommendationReason(recommendation=recommendation, position=i, code=code)
        for i, code in enumerate(facts.reason_codes(recommendation.reasons))
    )


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "intake.Assessment"

    client = factory.SubFactory(ClientFactory)
    status = "submitted"
    created_by = factory.SelfAttribute("client.created_by")


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation
        skip_postgeneration_save = True  # `report_facts` saves what it writes

    assessment = factory.SubFactory(AssessmentFactory)
    client = factory.SelfAttribute("assessment.client")
    level = "iop"
    criteria = factory.LazyFunction(active_criteria)

    @factory.post_generation
    def report_facts(
        obj: Recommendation, create: bool, extracted: Any, **kwargs: Any
    ) -> None:
        if create:
            recommendation_facts_write(obj)


# --- decisions, placements and progress reviews -------------------------------------


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    recommendation = factory.SubFactory(RecommendationFactory)
    kind = Decision.Kind.ACCEPT
    level = factory.SelfAttribute("recommendation.level")
    decided_by = factory.SubFactory(UserFactory)


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    level = "iop"
    decision = factory.SubFactory(
        DecisionFactory, recommendation__level=factory.SelfAttribute("...level")
    )
    client = factory.SelfAttribute("decision.recommendation.client")


class ProgressReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReview

    placement = factory.SubFactory(PlacementFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    assigned_to = factory.SubFactory(UserFactory)


def reviews_due_at(due_at: dt.datetime, count: int, **kwargs: Any) -> list[Any]:
    """`count` scheduled reviews, each on its own placement, all due at `due_at`."""
    return [ProgressReviewFactory(due_at=due_at, **kwargs) for _ in range(count)]


# --- criteria admin -----------------------------------------------------------------


def settings_post_data(criteria_set: CriteriaSet, **changes: Any) -> dict[str, Any]:
    """Admin change-form POST data: the version's settings with some changed."""
    data: dict[str, Any] = {
        name: getattr(criteria_set, name) for name in CriteriaSet.SETTING_FIELDS
    }
    data["note"] = ""
    data.update(changes)
    return {k: "" if v is None else str(v) for k, v in data.items()}


def settings_of(criteria_set: CriteriaSet) -> dict[str, Any]:
    """Everything that must never change once a version is saved."""
    fresh = CriteriaSet.objects.get(pk=criteria_set.pk)
    return {
        name: getattr(fresh, name)
        for name in (*CriteriaSet.SETTING_FIELDS, "version", "change_note")
    } | {"created_at": fresh.created_at, "created_by_id": fresh.created_by_id}


# --- the program directory (issue 13) -----------------------------------------------


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "levelofcare.Program"

    name = factory.Sequence(lambda n: f"Program {n:04d}")
    level = "iop"
    days = "mon,tue,wed,thu"
    hours = "daytime"
    modality = "in_person"
    location = "12 Harbour Street"
    capacity = 10
    open_places = 3
    accepted_payers = "Acme Health\nMedicaid"
