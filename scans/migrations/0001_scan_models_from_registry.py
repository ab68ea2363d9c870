# The scan models, moved here from the registry app with their tables (registry_*) kept.

import django.db.models.deletion
import scans.models
from django.conf import settings
from django.db import migrations, models


MODELS = ("scanfile", "bookscan", "scansplitjob", "scansplititem", "scanbatch", "scanbatchitem")


def _move_content_types(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=source, model__in=MODELS).update(app_label=target)


def content_types_to_scans(apps, schema_editor) -> None:
    _move_content_types(apps, "registry", "scans")


def content_types_to_registry(apps, schema_editor) -> None:
    _move_content_types(apps, "scans", "registry")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0006_scan_models_moved_to_scans_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    # The tables exist (created by registry 0001/0003 under registry_*): take them over in
    # Django's state only, and move their content types (and so their permissions) along.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='BookScan',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('file', models.FileField(max_length=255, upload_to=scans.models.book_scan_upload_to)),
                    ('sha256', models.CharField(db_index=True, max_length=64)),
                    ('size', models.BigIntegerField()),
                    ('pages', models.PositiveIntegerField()),
                    ('active_content', models.JSONField(blank=True, default=list)),
                    ('original_name', models.CharField(blank=True, max_length=255)),
                    ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                    ('book', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='scan_uploads', to='registry.registerbook')),
                    ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'book scan',
                    'verbose_name_plural': 'book scans',
                    'db_table': 'registry_bookscan',
                    'ordering': ['-uploaded_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='ScanBatch',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('status', models.CharField(choices=[('pending', 'Waiting'), ('running', 'Running'), ('done', 'Finished'), ('failed', 'Stopped by an error')], default='pending', max_length=16)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('book', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.registerbook')),
                    ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.administrativeunit')),
                ],
                options={
                    'db_table': 'registry_scanbatch',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='ScanFile',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('file', models.FileField(max_length=255, upload_to=scans.models.scan_upload_to)),
                    ('sha256', models.CharField(db_index=True, max_length=64)),
                    ('size', models.PositiveIntegerField()),
                    ('pages', models.PositiveSmallIntegerField()),
                    ('original_name', models.CharField(blank=True, max_length=255)),
                    ('canonical_name', models.CharField(blank=True, max_length=255)),
                    ('original_sha256', models.CharField(blank=True, db_index=True, max_length=64)),
                    ('source', models.CharField(choices=[('upload', 'Uploaded for the case'), ('book_split', 'Split from a book scan'), ('batch', 'Matched from a named batch')], default='upload', max_length=16)),
                    ('processing', models.JSONField(blank=True, default=dict)),
                    ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                    ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='scans', to='registry.civilrecord')),
                    ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'scan',
                    'verbose_name_plural': 'scans',
                    'db_table': 'registry_scanfile',
                    'ordering': ['-uploaded_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='ScanSplitJob',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('status', models.CharField(choices=[('pending', 'Waiting'), ('running', 'Running'), ('done', 'Finished'), ('failed', 'Stopped by an error')], default='pending', max_length=16)),
                    ('error', models.TextField(blank=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('started_at', models.DateTimeField(blank=True, null=True)),
                    ('finished_at', models.DateTimeField(blank=True, null=True)),
                    ('book_scan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='jobs', to='scans.bookscan')),
                    ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'book split',
                    'verbose_name_plural': 'book splits',
                    'db_table': 'registry_scansplitjob',
                    'ordering': ['-created_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='ScanBatchItem',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('original_name', models.CharField(max_length=255)),
                    ('sha256', models.CharField(max_length=64)),
                    ('file', models.FileField(blank=True, max_length=255, upload_to=scans.models.batch_item_upload_to)),
                    ('status', models.CharField(choices=[('pending', 'Waiting'), ('done', 'Stored'), ('refused', 'Refused'), ('unmatched', 'No matching case'), ('ambiguous', 'Several possible cases')], default='pending', max_length=16)),
                    ('candidates', models.JSONField(blank=True, default=list)),
                    ('message', models.TextField(blank=True)),
                    ('batch', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='scans.scanbatch')),
                    ('record', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.civilrecord')),
                    ('scan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='scans.scanfile')),
                ],
                options={
                    'db_table': 'registry_scanbatchitem',
                    'ordering': ['batch', 'id'],
                    'indexes': [models.Index(fields=['batch', 'status'], name='batch_item_status')],
                },
            ),
            migrations.CreateModel(
                name='ScanSplitItem',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('first_page', models.PositiveIntegerField()),
                    ('last_page', models.PositiveIntegerField()),
                    ('status', models.CharField(choices=[('pending', 'Waiting'), ('done', 'Stored'), ('refused', 'Refused'), ('unmatched', 'No matching case'), ('ambiguous', 'Several possible cases')], default='pending', max_length=16)),
                    ('message', models.TextField(blank=True)),
                    ('record', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.civilrecord')),
                    ('scan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='scans.scanfile')),
                    ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='scans.scansplitjob')),
                ],
                options={
                    'db_table': 'registry_scansplititem',
                    'ordering': ['job', 'id'],
                    'constraints': [models.UniqueConstraint(fields=('job', 'record'), name='split_item_one_per_record')],
                },
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_scans, content_types_to_registry),
    ]
