from django.apps import AppConfig


class LevelOfCareConfig(AppConfig):
    name = "levelofcare"
    verbose_name = "Level of care"

    def ready(self) -> None:
        # Connects the audit receivers (sign-in, sign-out, failed sign-in).
        from levelofcare.audit import signals  # noqa: F401
