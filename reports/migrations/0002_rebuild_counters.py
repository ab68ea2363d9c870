"""Fill the progress counters from records and audit rows already in the database (idempotent)."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from reports.services import progress_rebuild

    progress_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_progress_counters_quotas_reports"),
        ("audit", "0001_initial"),
        ("registry", "0002_seed_digitization_phases"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
