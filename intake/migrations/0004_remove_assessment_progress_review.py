# Step 3 of 3 of moving the progress-review link to levelofcare: the links were
# copied into levelofcare.ProgressReviewAssessment by levelofcare 0005, so the
# column goes. The historical model's column (HistoricalAssessment) goes too:
# django-simple-history mirrors the model's fields, and the link itself is now
# a row of its own that is never changed after it is made.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0003_assessment_partial_items"),
        ("levelofcare", "0005_progress_review_links_copy"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="assessment",
            name="progress_review",
        ),
        migrations.RemoveField(
            model_name="historicalassessment",
            name="progress_review",
        ),
    ]
