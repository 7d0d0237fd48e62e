"""Backfill the actor snapshots of rows written before 0011: the username and full
name are copied from the user as the user is *now* (the names they had at the
time were never stored, so this is the best record there is). History rows with
no user (a command or a migration) stay NULL: "system". Sign-in
rows keep the username they stored; failed sign-ins (no user) get no name."""

from django.conf import settings
from django.db import migrations
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Concat, Trim

HISTORY_MODELS = (
    "HistoricalCriteriaSet",
    "HistoricalRecommendation",
    "HistoricalDecision",
    "HistoricalPlacement",
    "HistoricalProgressReview",
)


def backfill(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    users = User.objects.annotate(
        snapshot_name=Trim(
            Concat("first_name", Value(" "), "last_name", output_field=CharField())
        )
    )

    def column(name, fk):
        return Subquery(
            users.filter(pk=OuterRef(fk)).values(name)[:1], output_field=CharField()
        )

    AuthEvent = apps.get_model("levelofcare", "AuthEvent")
    pending = AuthEvent.objects.filter(full_name__isnull=True)
    pending.filter(user__isnull=True).update(full_name="")
    pending.filter(user__isnull=False).update(
        full_name=column("snapshot_name", "user_id")
    )
    for name in HISTORY_MODELS:
        model = apps.get_model("levelofcare", name)
        pending = model.objects.filter(history_username__isnull=True)
        pending.filter(history_user__isnull=False).update(
            history_username=column("username", "history_user_id"),
            history_full_name=column("snapshot_name", "history_user_id"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("levelofcare", "0011_break_glass_reassignments_actor_snapshots"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
