"""Backfill the actor snapshots of rows written before 0006: the username and full
name are copied from the user as the user is *now* (the names they had at the
time were never stored, so this is the best record there is). Rows with no user
(history written by a command or a migration) stay NULL: "system"."""

from django.conf import settings
from django.db import migrations
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Trim


def _user_columns(apps):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    full_name = Trim(
        Concat("first_name", Value(" "), "last_name", output_field=CharField())
    )
    users = User.objects.annotate(snapshot_name=full_name)

    def column(name, fk):
        return Subquery(
            users.filter(pk=OuterRef(fk)).values(name)[:1], output_field=CharField()
        )

    return column


def backfill(apps, schema_editor):
    column = _user_columns(apps)
    RecordView = apps.get_model("intake", "RecordView")
    RecordView.objects.filter(username__isnull=True).update(
        username=column("username", "user_id"),
        full_name=column("snapshot_name", "user_id"),
    )
    for name in ("HistoricalClient", "HistoricalAssessment"):
        model = apps.get_model("intake", name)
        pending = model.objects.filter(history_username__isnull=True)
        pending.filter(history_user__isnull=False).update(
            history_username=column("username", "history_user_id"),
            history_full_name=column("snapshot_name", "history_user_id"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_actor_snapshots"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
