"""Make the access log append-only in the database itself, so no application bug or shell can rewrite it.

PostgreSQL: a trigger raises on UPDATE or DELETE of any row. TRUNCATE is left to the database owner (it is
how the test runner resets tables; ordinary application roles are not granted it in production, see
docs/operations.md). SQLite (the demo default) gets the equivalent triggers.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION casework_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER casework_auditentry_append_only
    BEFORE UPDATE OR DELETE ON casework_auditentry
    FOR EACH ROW EXECUTE FUNCTION casework_auditentry_refuse_change();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS casework_auditentry_append_only ON casework_auditentry;
DROP FUNCTION IF EXISTS casework_auditentry_refuse_change();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER casework_auditentry_no_update BEFORE UPDATE ON casework_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER casework_auditentry_no_delete BEFORE DELETE ON casework_auditentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;""",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS casework_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS casework_auditentry_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
