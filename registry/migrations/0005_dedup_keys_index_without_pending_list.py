"""The dedup-key GIN index without a pending list: searches no longer scan unmerged entries.

Altered in place (no rebuild): later writes go straight into the index, and what is pending
now is merged at once.
"""

import django.contrib.postgres.indexes
from django.db import migrations, models


def _index(**options):
    return django.contrib.postgres.indexes.GinIndex(
        condition=models.Q(("state__in", ["rejected", "duplicate"]), _negated=True),
        fields=["dedup_keys"],
        name="record_dedup_keys",
        **options,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", '0004_dedup_keys_and_pairs'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="civilrecord", name="record_dedup_keys"),
                migrations.AddIndex(model_name="civilrecord", index=_index(fastupdate=False)),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX record_dedup_keys SET (fastupdate = off);"
                    "SELECT gin_clean_pending_list('record_dedup_keys'::regclass);",
                    reverse_sql="ALTER INDEX record_dedup_keys RESET (fastupdate);",
                ),
            ],
        ),
    ]
