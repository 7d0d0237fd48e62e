# Progress reviews moved from /reviews/due/ to /progress-reviews/due/ ("review"
# now means only a clinician's review of a recommendation). Rewrite the links
# stored in in-app notifications; links already emailed are answered by a
# permanent redirect (levelofcare.urls).

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Value
from django.db.models.functions import Concat, Substr

OLD = "/reviews/due/"
NEW = "/progress-reviews/due/"


def _rewrite(apps: Apps, old: str, new: str) -> None:
    Notification = apps.get_model("levelofcare", "Notification")
    Notification.objects.filter(url__startswith=old).update(
        url=Concat(Value(new), Substr("url", len(old) + 1))
    )


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _rewrite(apps, OLD, NEW)


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _rewrite(apps, NEW, OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("levelofcare", "0005_progress_review_links_copy"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
