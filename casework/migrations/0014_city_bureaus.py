"""The four bureaus every city has, so that a freshly migrated database can take the feeds at once
(import_feed, link_records, train_model, score_youth). Names are editable by an administrator; a bureau that
already exists (by kind) is left as it is."""

from django.db import migrations

BUREAUS = [
    ("police", "police", "少年警察隊", "Police juvenile unit"),
    ("committee", "committee", "少年輔導委員會", "Juvenile guidance committee"),
    ("welfare", "welfare", "社會局", "Social welfare bureau"),
    ("education", "education", "教育局", "Education bureau"),
]


def create_bureaus(apps, schema_editor):
    Bureau = apps.get_model("casework", "Bureau")
    for code, kind, zh, en in BUREAUS:
        if not Bureau.objects.filter(kind=kind).exists() and not Bureau.objects.filter(code=code).exists():
            Bureau.objects.create(code=code, kind=kind, name_zh=zh, name_en=en)


class Migration(migrations.Migration):
    dependencies = [("casework", "0013_case_assignee_changes")]

    operations = [migrations.RunPython(create_bureaus, migrations.RunPython.noop)]
