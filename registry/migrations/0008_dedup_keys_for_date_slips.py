"""Blocking keys that survive one slip in a full date of birth (issue 18).

A record with a full date now has "d<day><month>" (any year), "<year>m<month>" and
"<year>d<day>" keys instead of "<year>-<day><month>": every record is re-keyed here, in
batches of 5,000 by id (`registry.matching.dedup_keys_rebuild`, the function behind
`manage.py dedup_rekey`). On an empty database there is nothing to do. Going back needs
no step: the previous code re-keys with `manage.py dedup_rekey`.
"""

from django.db import migrations


def rekey(apps, schema_editor):
    from registry.matching import dedup_keys_rebuild

    dedup_keys_rebuild(apps=apps)


class Migration(migrations.Migration):
    # Batches commit on their own (dedup_keys_rebuild opens one transaction per batch).
    atomic = False

    dependencies = [
        ("registry", "0007_record_not_in_book"),
    ]

    operations = [
        migrations.RunPython(rekey, migrations.RunPython.noop, elidable=True),
    ]
