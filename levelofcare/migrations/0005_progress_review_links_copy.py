# Step 2 of 3: copy every intake.Assessment.progress_review link into
# levelofcare.ProgressReviewAssessment, before intake 0004 removes the column.
# Reversible: going back copies the links into the column again.

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BATCH = 2000


def copy_links(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Assessment = apps.get_model("intake", "Assessment")
    Link = apps.get_model("levelofcare", "ProgressReviewAssessment")
    linked = set(Link.objects.values_list("assessment_id", flat=True))
    rows = (
        Assessment.objects.filter(progress_review__isnull=False)
        .order_by("pk")
        .values_list("pk", "progress_review_id", "created_at")
    )
    links = [
        Link(assessment_id=pk, progress_review_id=review_id, created_at=created_at)
        for pk, review_id, created_at in rows.iterator(chunk_size=BATCH)
        if pk not in linked
    ]
    Link.objects.bulk_create(links, batch_size=BATCH)


def copy_links_back(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Assessment = apps.get_model("intake", "Assessment")
    Link = apps.get_model("levelofcare", "ProgressReviewAssessment")
    for assessment_id, review_id in Link.objects.values_list(
        "assessment_id", "progress_review_id"
    ).iterator(chunk_size=BATCH):
        Assessment.objects.filter(pk=assessment_id).update(
            progress_review_id=review_id
        )


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0003_assessment_partial_items"),
        ("levelofcare", "0004_progressreviewassessment"),
    ]

    operations = [migrations.RunPython(copy_links, copy_links_back)]
