"""factory_boy factories for the models tests need."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-staple"


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
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    created_by = factory.SubFactory(UserFactory)


# Complete answers for an outpatient person (every question answered, nothing fires).
OUTPATIENT_ANSWERS: dict[str, Any] = {
    "cssrs": {"wish_dead": False, "suicidal_thoughts": False, "behavior_ever": False},
    "harm_to_others": "none",
    "phq9": [1, 1, 0, 1, 0, 0, 1, 0, 0],
    "gad7": [1, 0, 1, 0, 0, 1, 0],
    "impaired_judgement": False,
    "can_care_for_self": True,
    "safe_housing": True,
    "support_at_home": True,
    "needs_medical_detox": False,
    "needs_24h_medical_monitoring": False,
    "work_or_school_commitment": True,
    "can_attend_3_days_week": True,
    "discharged_inpatient_days_ago": None,
    "weeks_weekly_therapy_without_improvement": None,
}


def answers(**changes: Any) -> dict[str, Any]:
    """OUTPATIENT_ANSWERS with some keys changed (a value of ... removes the key)."""
    data = {
        k: (dict(v) if isinstance(v, dict) else v)
        for k, v in OUTPATIENT_ANSWERS.items()
    }
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


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
