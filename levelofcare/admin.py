"""Where Django's admin autodiscovery looks: the admins live by concern."""

from levelofcare.criteria.admin import CriteriaSetAdmin
from levelofcare.programs.admin import ProgramAdmin
from levelofcare.progress.admin import LocatrUserAdmin, OutboxEmailAdmin

__all__ = ["CriteriaSetAdmin", "LocatrUserAdmin", "OutboxEmailAdmin", "ProgramAdmin"]
