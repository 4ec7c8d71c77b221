# Scans are kept where STORAGES["scans"] says (a folder or an S3 bucket); the table is unchanged.

from django.db import migrations, models

import accessions.scans.models
import accessions.scans.storage


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0020_split_agent_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="scan",
            name="file",
            field=models.FileField(
                editable=False,
                storage=accessions.scans.storage.scan_storage,
                upload_to=accessions.scans.models.original_path,
            ),
        ),
    ]
