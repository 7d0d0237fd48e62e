from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        # Connects the history snapshot receiver (who acted, as they were then).
        from intake import signals  # noqa: F401
