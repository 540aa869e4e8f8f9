"""An index on a school record's student (``school_code/student_no``), on PostgreSQL: linking a day's police
contacts brings the timelines of the youth it touched in line, which reads their school records by student
(``linkage.timeline.sync_events``); without it that read scanned every absence (issue 15, part 5). The
expression is the one the query uses, character for character."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS sourcerecord_school_student ON integrations_sourcerecord "
    "(((\"values\"->>'school_code') || '/' || (\"values\"->>'student_no'))) "
    "WHERE is_current AND feed IN ('school.absences', 'school.dropouts', 'school.incidents', 'school.counselling')"
)
DROP = "DROP INDEX IF EXISTS sourcerecord_school_student"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0010_linkage_keys")]

    operations = [migrations.RunPython(create, drop)]
