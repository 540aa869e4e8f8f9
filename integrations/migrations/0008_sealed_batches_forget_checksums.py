"""One-off (review 4, F3 and F9): a batch that held a sealed record forgets the file's SHA-256, and a failed
batch's error no longer quotes a header that was a person's data (docs/sealing.md, "File names")."""

from django.db import migrations

REPEATED = "header repeats column name(s):"


def forget(apps, schema_editor) -> None:
    from casework.identifiers import redact_national_ids
    from integrations.feeds.contract import FEEDS

    ImportBatch = apps.get_model("integrations", "ImportBatch")
    SourceRecord = apps.get_model("integrations", "SourceRecord")
    QuarantinedRow = apps.get_model("integrations", "QuarantinedRow")
    sealed = set(
        SourceRecord.objects.filter(sealed_at__isnull=False).values_list("batch_id", flat=True).distinct()
    )
    sealed |= set(QuarantinedRow.objects.filter(status="sealed").values_list("batch_id", flat=True).distinct())
    sealed |= set(ImportBatch.objects.filter(sealed__gt=0).values_list("pk", flat=True))
    ImportBatch.objects.filter(pk__in=sealed).exclude(checksum="").update(checksum="")
    known = {name for spec in FEEDS.values() for name in spec.column_map}
    for pk, error in ImportBatch.objects.exclude(error="").values_list("pk", "error").iterator():
        new = redact_national_ids(error)
        if new.startswith(REPEATED):
            names = [n.strip() for n in new[len(REPEATED) :].split(",")]
            kept = [n for n in names if n.lower() in known]
            new = f"{REPEATED} " + "; ".join(kept + (["other names withheld"] if len(kept) < len(names) else []))
        if new != error:
            ImportBatch.objects.filter(pk=pk).update(error=new)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0007_mask_stored_file_names")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
