"""Client references: ASCII letters, digits and "-" only (issue 11).

A reference goes into reminder emails; one with a line break once broke a whole
batch. Every existing reference that breaks the rule is rewritten (each run of
other characters becomes "-", kept unique by a suffix), a history row records
the change, and each one is printed, old -> new. Only references are printed:
they are clinic IDs, not names. There is no way back (the history keeps the old
references).
"""

import re

from django.core.validators import RegexValidator
from django.db import migrations, models
from django.utils import timezone

VALID = re.compile(r"\A[A-Za-z0-9-]+\Z")
INVALID_RUN = re.compile(r"[^A-Za-z0-9-]+")
MAX_LENGTH = 40
REASON = "Reference rewritten: letters, digits and - only (migration intake 0008)"


def cleaned_reference(old, pk):
    """`old` with each run of other characters replaced by "-"."""
    return INVALID_RUN.sub("-", old.strip())[:MAX_LENGTH] or f"CLIENT-{pk}"


def unique_reference(base, taken):
    """`base`, or `base-2`, `base-3`... (within the length limit): not in `taken`."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[: MAX_LENGTH - len(suffix)] + suffix
    return candidate


def rewrite_references(apps, schema_editor):
    Client = apps.get_model("intake", "Client")
    HistoricalClient = apps.get_model("intake", "HistoricalClient")
    fields = [f.attname for f in Client._meta.concrete_fields]
    taken = set(Client.objects.values_list("reference", flat=True))
    bad = [
        client
        for client in Client.objects.order_by("pk").iterator()
        if not VALID.fullmatch(client.reference)
    ]
    changed = []
    for client in bad:
        old = client.reference
        new = unique_reference(cleaned_reference(old, client.pk), taken)
        taken.add(new)
        # update(), not save(): no signal, and the history row below says why.
        Client.objects.filter(pk=client.pk).update(reference=new)
        client.reference = new
        HistoricalClient.objects.create(
            **{name: getattr(client, name) for name in fields},
            history_date=timezone.now(),
            history_type="~",
            history_change_reason=REASON,
            history_user=None,
        )
        changed.append((old, new))
    if changed:
        # ASCII only (ascii() escapes the old reference's line breaks and other
        # signs), so the output survives any terminal's encoding.
        print(
            f"\n  intake 0008: {len(changed)} client reference(s) rewritten "
            "(letters, digits and - only), old -> new:"
        )
        for old, new in changed:
            print(f"    {ascii(old)} -> {new}")


REFERENCE_FIELD = dict(
    help_text="The clinic's own reference. Used in reminders instead of the name.",
    max_length=40,
    validators=[
        RegexValidator(
            "\\A[A-Za-z0-9-]+\\Z",
            "Use letters, digits and - only (no spaces or other signs).",
            code="invalid_reference",
        )
    ],
    verbose_name="clinic reference / MRN",
)


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0007_actor_snapshots_backfill"),
    ]

    operations = [
        migrations.RunPython(rewrite_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="client",
            name="reference",
            field=models.CharField(unique=True, **REFERENCE_FIELD),
        ),
        migrations.AlterField(
            model_name="historicalclient",
            name="reference",
            field=models.CharField(db_index=True, **REFERENCE_FIELD),
        ),
    ]
