from django.apps import AppConfig


class LevelOfCareConfig(AppConfig):
    name = "levelofcare"
    verbose_name = "Level of care"

    def ready(self) -> None:
        from levelofcare import signals  # noqa: F401  (connects the audit receivers)
