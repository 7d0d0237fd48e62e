from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def record_version_1(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Give version 1 (made by a data migration) its row in the criteria history."""
    CriteriaSet = apps.get_model("levelofcare", "CriteriaSet")
    History = apps.get_model("levelofcare", "HistoricalCriteriaSet")
    v1 = CriteriaSet.objects.filter(version=1).first()
    if v1 is None or History.objects.filter(id=v1.pk).exists():
        return
    fields = {
        f.attname: getattr(v1, f.attname)
        for f in CriteriaSet._meta.concrete_fields
    }
    History.objects.create(
        **fields,
        history_date=v1.created_at,
        history_type="+",
        history_change_reason="Version 1: default criteria (data migration)",
    )


class Migration(migrations.Migration):
    dependencies = [("levelofcare", "0002_criteria_version_1")]

    operations = [migrations.RunPython(record_version_1, migrations.RunPython.noop)]
