"""Refuse TRUNCATE on the access log too, unless the session says it is the test runner.

The test runner empties tables with TRUNCATE between browser tests; it sets the session parameter
``youthrisk.allow_audit_truncate = on`` (config/settings/test.py). Production never sets it, and its
application role should not own the table either (docs/operations.md).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION casework_auditentry_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('youthrisk.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER casework_auditentry_no_truncate
    BEFORE TRUNCATE ON casework_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION casework_auditentry_refuse_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS casework_auditentry_no_truncate ON casework_auditentry;
DROP FUNCTION IF EXISTS casework_auditentry_refuse_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0003_audit_delete_action")]

    operations = [migrations.RunPython(forward, backward)]
