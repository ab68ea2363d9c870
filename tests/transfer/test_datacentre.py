"""The provincial data-centre copy and its verification."""

import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import birth_input
from transfer.export_services import ExportRefused, datacentre_export_to_folder
from transfer.exports import verify_copy
from transfer.models import ExportJob
from workflows import services as wf


@pytest.fixture
def copy(world, tmp_path):
    records = [world.record("approved"), world.record("transferred"), world.record("entered")]
    dest = tmp_path / "copy"
    job, manifest = datacentre_export_to_folder(unit=world.province, dest=dest, actor=world.admin)
    return dest, manifest, records, job


def test_a_full_copy_holds_every_record_its_scans_and_a_manifest(copy):
    dest, manifest, records, job = copy
    lines = [json.loads(line) for line in (dest / "records.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in lines) == sorted(r.pk for r in records)
    assert manifest["records"] == 3 and manifest["kind"] == "full"
    for line in lines:
        for scan in line["scans"]:
            assert (dest / scan["path"]).read_bytes().startswith(b"%PDF-")
    assert verify_copy(dest) == []
    assert verify_copy(dest, manifest_sha256=job.manifest_sha256) == []
    call_command("verify_export", str(dest))


def test_a_tampered_copy_fails_verification(copy):
    dest, _manifest, _records, _job = copy
    path = dest / "records.jsonl"
    path.write_text(path.read_text().replace("Nguyễn", "Nguyen", 1))
    problems = verify_copy(dest)
    assert problems == ["records.jsonl: altered (SHA-256 or size differs from the manifest)."]
    with pytest.raises(CommandError, match="does NOT match its manifest"):
        call_command("verify_export", str(dest))


def test_missing_extra_and_rewritten_manifest_are_caught(copy):
    dest, _manifest, _records, job = copy
    next(dest.glob("scans/*.pdf")).unlink()
    (dest / "scans" / "extra.pdf").write_bytes(b"%PDF-1.4")
    problems = verify_copy(dest)
    assert any(p.endswith(": missing.") for p in problems)
    assert "scans/extra.pdf: not listed in the manifest." in problems
    manifest_file = dest / "manifest.json"
    manifest_file.write_text(manifest_file.read_text().replace('"records": 3', '"records": 2'))
    assert any("SHA-256 differs" in p for p in verify_copy(dest, manifest_sha256=job.manifest_sha256))


def test_an_incremental_copy_holds_what_changed_since_the_last_copy(copy, world, tmp_path):
    _dest, _manifest, records, _job = copy
    approved = records[0]
    wf.record_amend(record=approved, actor=world.admin, data=birth_input(name="Lê Văn Minh"), reason="Sổ ghi")
    _job, manifest = datacentre_export_to_folder(
        unit=world.province, dest=tmp_path / "incr", incremental=True, actor=world.admin
    )
    assert manifest["kind"] == "incremental"
    lines = [json.loads(line) for line in (tmp_path / "incr" / "records.jsonl").read_text().splitlines()]
    assert [r["id"] for r in lines] == [approved.pk]
    assert verify_copy(tmp_path / "incr") == []


def test_an_incremental_copy_needs_a_full_one_first(world, tmp_path):
    with pytest.raises(ExportRefused, match="make a full copy first"):
        datacentre_export_to_folder(unit=world.province, dest=tmp_path / "x", incremental=True)


def test_the_copy_requested_on_the_page_is_a_zip_that_verifies(world, client, tmp_path):
    world.record("approved")
    client.force_login(world.admin)
    response = client.post(
        reverse("transfer_datacentre"), {"unit": world.province.pk, "kind": "datacentre_full"}
    )
    assert response.status_code == 302
    job = ExportJob.objects.get(kind="datacentre_full")
    assert job.status == "done"
    target = tmp_path / "copy.zip"
    target.write_bytes(job.file.read())
    assert verify_copy(target, manifest_sha256=job.manifest_sha256) == []
    with zipfile.ZipFile(target) as archive:
        assert {"manifest.json", "SHA256SUMS", "records.jsonl", "books.jsonl"} <= set(archive.namelist())
