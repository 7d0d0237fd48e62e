"""Where Django's admin autodiscovery looks: the admins live by concern."""

from levelofcare.criteria.admin import CriteriaSetAdmin

__all__ = ["CriteriaSetAdmin"]
