"""One-off (insider review 9, F3): a court notice kept in the quarantine keeps its number and the court's case,
not the name, birth date or national ID of the person it names, and its reasons no longer quote values
(``integrations.feeds.importing.kept_in_quarantine`` does it for new rows). Self-contained on purpose."""

import re

from django.db import migrations

KEPT = ("notice_no", "court_case_no", "effective_on")
QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
COLUMN = re.compile(r"([\w/ ]+): ")
WITHHELD = "breaks the contract (the value is not kept: the notice names a person)"


def _reason(reason: str) -> str:
    column = COLUMN.match(reason)
    return f"{column.group(1)}: {WITHHELD}" if column else QUOTED.sub("…", reason)


def forget(apps, schema_editor) -> None:
    QuarantinedRow = apps.get_model("integrations", "QuarantinedRow")
    for row in QuarantinedRow.objects.filter(feed="court.sealing").iterator():
        raw = row.raw if isinstance(row.raw, dict) else {}
        kept = {k: v for k, v in raw.items() if k in KEPT}
        reasons = [_reason(str(r)) for r in (row.reasons or [])]
        if kept != row.raw or reasons != row.reasons:
            QuarantinedRow.objects.filter(pk=row.pk).update(raw=kept, reasons=reasons)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0008_sealed_batches_forget_checksums")]
    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
