"""The escalation group: admins fill it; overdue reviews escalate to its members."""

from django.db import migrations

CLINICAL_LEADS = "Clinical leads"  # locatr.roles.CLINICAL_LEADS, frozen here


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=CLINICAL_LEADS)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("levelofcare", "0013_outbox_digests_preferences"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
