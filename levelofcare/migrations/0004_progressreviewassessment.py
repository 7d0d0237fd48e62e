# The link between a progress review and its reassessment moves from intake to
# levelofcare (apps depend one way: levelofcare -> intake). Step 1 of 3: the new
# table. Step 2 (0005) copies the links; step 3 (intake 0004) drops the old column.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0003_assessment_partial_items"),
        ("levelofcare", "0003_criteria_version_1_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgressReviewAssessment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False
                    ),
                ),
                (
                    "assessment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="progress_review_link",
                        to="intake.assessment",
                    ),
                ),
                (
                    "progress_review",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assessment_links",
                        to="levelofcare.progressreview",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
