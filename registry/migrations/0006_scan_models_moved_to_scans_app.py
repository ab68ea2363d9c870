# The scan models leave the registry app for the scans app (state only; tables kept).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0005_dedup_keys_index_without_pending_list'),
    ]

    # The scan models moved to the scans app: only Django's state changes here; the tables stay
    # (scans 0001 takes them over under their old names).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveField(
                model_name='scansplitjob',
                name='book_scan',
            ),
            migrations.RemoveField(
                model_name='scanbatch',
                name='book',
            ),
            migrations.RemoveField(
                model_name='scanbatch',
                name='created_by',
            ),
            migrations.RemoveField(
                model_name='scanbatch',
                name='unit',
            ),
            migrations.RemoveField(
                model_name='scanbatchitem',
                name='batch',
            ),
            migrations.RemoveField(
                model_name='scanbatchitem',
                name='record',
            ),
            migrations.RemoveField(
                model_name='scanbatchitem',
                name='scan',
            ),
            migrations.RemoveField(
                model_name='scanfile',
                name='record',
            ),
            migrations.RemoveField(
                model_name='scanfile',
                name='uploaded_by',
            ),
            migrations.RemoveField(
                model_name='scansplititem',
                name='scan',
            ),
            migrations.RemoveField(
                model_name='scansplititem',
                name='job',
            ),
            migrations.RemoveField(
                model_name='scansplititem',
                name='record',
            ),
            migrations.RemoveField(
                model_name='scansplitjob',
                name='created_by',
            ),
            migrations.DeleteModel(
                name='BookScan',
            ),
            migrations.DeleteModel(
                name='ScanBatch',
            ),
            migrations.DeleteModel(
                name='ScanBatchItem',
            ),
            migrations.DeleteModel(
                name='ScanFile',
            ),
            migrations.DeleteModel(
                name='ScanSplitItem',
            ),
            migrations.DeleteModel(
                name='ScanSplitJob',
            ),
            ],
            database_operations=[],
        ),
    ]
