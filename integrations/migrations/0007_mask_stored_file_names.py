"""One-off: file names stored before import masked national IDs, and before a batch that held a sealed record
lost its name, are brought in line with today's rules (docs/sealing.md, "File names")."""

from django.db import migrations


def stored_name(*, feed: str, origin: str, name: str, holds_sealed: bool) -> str:
    """The name a batch may keep: national IDs masked; the neutral ``<feed>.csv`` once it held a sealed record
    (a name the platform gave it, ``(api)`` or a resubmission's, is kept)."""
    from casework.identifiers import redact_national_ids
    from integrations.linkage.sealing import file_name_after_sealing

    name = redact_national_ids(name or "")[:255]
    return file_name_after_sealing(feed, origin, name) if holds_sealed else name


def mask_file_names(apps, schema_editor) -> None:
    ImportBatch = apps.get_model("integrations", "ImportBatch")
    SourceRecord = apps.get_model("integrations", "SourceRecord")
    QuarantinedRow = apps.get_model("integrations", "QuarantinedRow")
    sealed = set(
        SourceRecord.objects.filter(sealed_at__isnull=False).values_list("batch_id", flat=True).distinct()
    )
    sealed |= set(
        QuarantinedRow.objects.filter(status="sealed").values_list("batch_id", flat=True).distinct()
    )
    sealed |= set(ImportBatch.objects.filter(sealed__gt=0).values_list("pk", flat=True))
    for pk, feed, origin, name in ImportBatch.objects.values_list(
        "pk", "feed", "origin", "file_name"
    ).iterator():
        new = stored_name(feed=feed, origin=origin, name=name, holds_sealed=pk in sealed)
        if new != name:
            ImportBatch.objects.filter(pk=pk).update(file_name=new)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0006_queued_uploads")]

    operations = [migrations.RunPython(mask_file_names, migrations.RunPython.noop)]
