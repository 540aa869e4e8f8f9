# Audit actions for account security: second factor, lockouts, session timeouts, password changes.
# Placed after the access-grants migration (written at the same time) so the graph stays linear.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0010_access_grants"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(choices=[('view', 'View'), ('list', 'List or search'), ('create', 'Create'), ('update', 'Update'), ('delete', 'Delete'), ('export', 'Export'), ('login', 'Login'), ('logout', 'Logout'), ('login_failed', 'Failed login'), ('denied', 'Access refused'), ('merge', 'Merge youth records'), ('split', 'Split a youth record'), ('reverse', 'Reverse a merge or split'), ('link', 'Record linkage'), ('seal', 'Seal records'), ('otp_enrolled', 'Second factor enrolled'), ('otp_verified', 'Second factor verified'), ('otp_failed', 'Second factor refused'), ('otp_reset', 'Second factor reset'), ('lockout', 'Sign-in locked out'), ('unlock', 'Sign-in unlocked'), ('session_timeout', 'Signed out by session timeout'), ('password_change', 'Password changed'), ('break_glass', 'Opened a record by stating a purpose')], db_index=True, max_length=16, verbose_name="action"),
        ),
    ]
