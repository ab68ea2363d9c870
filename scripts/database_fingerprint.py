"""Prints a fingerprint of a database (records, audit rows, scans with bytes checked), then verify_audit.

Used by scripts/migration-forward-check.sh to show that a migration keeps every row and file.
Run with DJANGO_SETTINGS_MODULE=config.settings and the checkout to read on PYTHONPATH.
"""

import hashlib
import json

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

RECORDS = (
    "SELECT count(*), md5(string_agg(id || state || version, ',' ORDER BY id)) FROM registry_civilrecord"
)
# The content of every audit row, not its hashes: a migration may re-hash the chains (audit 0003
# re-chains them with the key), and verify_audit below proves the new hashes hold.
AUDIT = (
    "SELECT count(*), md5(string_agg(concat_ws('|', id, stream, seq, at, kind, action, actor_id, actor_name,"
    " unit_id, object_type, object_id, record_id, changes::text, reason, ip), ',' ORDER BY id))"
    " FROM audit_auditevent"
)

# Before the scans app existed, the scan models belonged to the registry app.
ScanFile = apps.get_model("scans" if apps.is_installed("scans") else "registry", "ScanFile")
with connection.cursor() as cursor:
    cursor.execute(RECORDS)
    records = cursor.fetchone()
    cursor.execute(AUDIT)
    audit = cursor.fetchone()
scans = []
for scan in ScanFile.objects.order_by("id"):
    with scan.file.open("rb") as f:
        intact = hashlib.sha256(f.read()).hexdigest() == scan.sha256
    scans.append((scan.pk, scan.record_id, scan.sha256, intact))
listing = repr([s[:3] for s in scans]).encode()
print(
    json.dumps(
        {
            "records": records,
            "audit_rows": audit,
            "scans": len(scans),
            "scan_files_intact": all(s[3] for s in scans),
            "scans_digest": hashlib.sha256(listing).hexdigest()[:32],
        }
    )
)
call_command("verify_audit")
