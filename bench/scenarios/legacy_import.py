"""Legacy-style bulk import: records/s and peak memory of the import of issue 10.

Needs an importer that takes a legacy export (Excel sheet per book in the
Ministry's column names, TCVN3/VNI text) — to be plugged in with issue 10: add its
entry point to CANDIDATES and build its input file in `make_input` (a generated
file of `rows` records). Peak memory is the importer process's max RSS, measured
by running it in a child process.
"""

from __future__ import annotations

from bench.capabilities import require

NAME = "legacy_import"
KEYS = ["import_records_per_s", "import_peak_rss_mb"]
CANDIDATES = [
    ("transfer.legacy_import", "legacy_import"),
    ("registry.legacy_import", "legacy_import"),
    ("registry.imports", "legacy_import"),
]


def run(bench) -> dict:
    _importer, where = require(CANDIDATES, "no legacy importer (issue 10)")
    raise NotImplementedError(
        f"{where} exists: write bench/scenarios/legacy_import.make_input for its file format"
    )
