from django.apps import AppConfig


class LevelOfCareConfig(AppConfig):
    name = "levelofcare"
    verbose_name = "Level of care"
