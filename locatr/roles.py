"""The three roles (Django groups) and the permissions each one holds.

The data migration `locatr/migrations/0001_roles.py` creates the groups; the same
`roles_sync` runs after every `migrate` so permissions of new models are attached.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

COORDINATORS = "Intake coordinators"
CLINICIANS = "Clinicians"
CRITERIA_ADMINS = "Criteria admins"
# Filled by admins; receives overdue-review escalations (no permissions of its own).
# Created by the data migration levelofcare 0014; REMINDER_ESCALATION_GROUP may name
# another group.
CLINICAL_LEADS = "Clinical leads"

# "app_label.codename" of every permission a role needs (DESIGN.md, "Who uses it").
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    COORDINATORS: (
        "intake.view_client",
        "intake.add_client",
        "intake.change_client",
        "intake.view_assessment",
        "intake.add_assessment",
        "intake.change_assessment",
        "levelofcare.view_recommendation",
        "levelofcare.view_placement",
        "levelofcare.view_decision",
        "levelofcare.view_program",
    ),
    CLINICIANS: (
        "intake.view_client",
        "intake.add_client",
        "intake.change_client",
        "intake.view_assessment",
        "intake.add_assessment",
        "intake.change_assessment",
        "levelofcare.view_recommendation",
        "levelofcare.view_decision",
        "levelofcare.add_decision",
        "levelofcare.view_placement",
        "levelofcare.view_progressreview",
        "levelofcare.change_progressreview",
        "levelofcare.view_own_audit",
        "levelofcare.view_program",
    ),
    CRITERIA_ADMINS: (
        "levelofcare.view_criteriaset",
        "levelofcare.add_criteriaset",
        "levelofcare.change_criteriaset",
        "levelofcare.view_audit",
        "levelofcare.reset_second_factor",
        "levelofcare.view_outboxemail",
        "levelofcare.view_program",
        "levelofcare.add_program",
        "levelofcare.change_program",
    ),
}


def roles_sync(*, group_model: Any, permission_model: Any) -> None:
    """Create the groups and give each exactly the permissions that exist so far."""
    for group_name, perm_names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        wanted = []
        for name in perm_names:
            app_label, codename = name.split(".", 1)
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def sync_roles_after_migrate(**kwargs: Any) -> None:
    from django.contrib.auth.models import Group, Permission

    roles_sync(group_model=Group, permission_model=Permission)


def user_roles(user: User | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(user.groups.values_list("name", flat=True))
