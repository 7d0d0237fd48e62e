"""Factories for placements and progress reviews (the chain a placement needs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from levelofcare.models import (
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)
from tests.factories import UserFactory


def active_criteria() -> CriteriaSet:
    """The active criteria version (a transactional test's flush removes version 1)."""
    criteria = CriteriaSet.objects.filter(is_active=True).first()
    if criteria is None:
        criteria = CriteriaSet.objects.create(
            version=1, is_active=True, change_note="Default criteria (tests)."
        )
    return criteria


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "intake.Client"

    reference = factory.Sequence(lambda n: f"REF-{n:05d}")
    # Distinctive values, so a test can prove they never reach a reminder.
    given_name = factory.Sequence(lambda n: f"Ottoline{n}")
    family_name = factory.Sequence(lambda n: f"Wrexham{n}")
    date_of_birth = dt.date(1971, 3, 14)
    created_by = factory.SubFactory(UserFactory)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "intake.Assessment"

    client = factory.SubFactory(ClientFactory)
    status = "submitted"
    created_by = factory.SelfAttribute("client.created_by")


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    assessment = factory.SubFactory(AssessmentFactory)
    client = factory.SelfAttribute("assessment.client")
    level = "iop"
    criteria = factory.LazyFunction(active_criteria)


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
