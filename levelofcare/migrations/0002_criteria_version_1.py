from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def create_version_1(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    CriteriaSet = apps.get_model("levelofcare", "CriteriaSet")
    if not CriteriaSet.objects.exists():
        # Field defaults are the DESIGN.md "Default criteria" table.
        CriteriaSet.objects.create(
            version=1,
            is_active=True,
            change_note="Version 1: locatr's default criteria (DESIGN.md).",
        )


class Migration(migrations.Migration):
    dependencies = [("levelofcare", "0001_initial")]

    operations = [migrations.RunPython(create_version_1, migrations.RunPython.noop)]
