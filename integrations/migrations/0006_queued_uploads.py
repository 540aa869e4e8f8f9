import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0005_sealed_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="progress",
            field=models.JSONField(blank=True, default=dict, verbose_name="progress"),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Importing"),
                    ("completed", "Completed"),
                    ("duplicate", "Identical file already imported"),
                    ("failed", "File could not be read"),
                ],
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.CreateModel(
            name="FeedUpload",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("data", models.BinaryField()),
                ("encoding", models.CharField(blank=True, max_length=16)),
                (
                    "batch",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="upload",
                        to="integrations.importbatch",
                    ),
                ),
            ],
            options={
                "verbose_name": "queued upload",
                "verbose_name_plural": "queued uploads",
            },
        ),
    ]
