# Required fields the clerk confirmed the book does not write ("không ghi trong sổ").

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_scan_models_moved_to_scans_app'),
    ]

    operations = [
        migrations.AddField(
            model_name='civilrecord',
            name='not_in_book',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=64), blank=True, default=list, size=None),
        ),
        # A database default too, so that rows written by COPY (the bench seed, bulk loads) need not name it.
        migrations.RunSQL(
            "ALTER TABLE registry_civilrecord ALTER COLUMN not_in_book SET DEFAULT '{}'",
            "ALTER TABLE registry_civilrecord ALTER COLUMN not_in_book DROP DEFAULT",
        ),
    ]
