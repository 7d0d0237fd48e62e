from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class LocatrConfig(AppConfig):
    name = "locatr"
    verbose_name = "locatr"

    def ready(self) -> None:
        from locatr import checks  # noqa: F401 (registers the system checks)
        from locatr.middleware import session_started
        from locatr.roles import sync_roles_after_migrate

        # Permissions of models added by later migrations exist only after
        # post_migrate; keep the groups' permissions in step with ROLE_PERMISSIONS.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="locatr-roles")
        user_logged_in.connect(session_started, dispatch_uid="locatr-session-clock")
