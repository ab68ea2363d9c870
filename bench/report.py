"""The table printed after a run, with the targets of issue 9 (2 cores, 1,000,000 records)."""

from __future__ import annotations

from typing import Any

# key: (label, unit, comparison, target)
TARGETS: dict[str, tuple[str, str, str, float]] = {
    "inbox_clerk_p95_ms": ("Inbox, commune clerk, first page p95", "ms", "<=", 50),
    "inbox_province_p95_ms": ("Inbox, province admin, first page p95", "ms", "<=", 50),
    "viewflow_queue_p95_ms": ("viewflow built-in queue, clerk, p95", "ms", "", 0),
    "viewflow_queue_province_p95_ms": ("viewflow built-in queue, province admin, p95", "ms", "", 0),
    "viewflow_ratio": ("viewflow queue p95 / our inbox p95 (clerk)", "×", "", 0),
    "search_p95_ms": ("Search by name without diacritics p95", "ms", "<=", 100),
    "claims_per_s": ("Claim next, 16 concurrent clerks", "/s", ">=", 500),
    "claims_race_per_s": ("Claims racing on the first page, 16 clerks", "/s", "", 0),
    "double_claims": ("Double claims", "", "==", 0),
    "transitions_per_s": ("Stage transitions through the services", "/s", ">=", 1000),
    "raw_sql_per_s": ("Same row writes as raw SQL (limit)", "/s", "", 0),
    "transitions_ratio": ("Services / raw SQL", "", ">=", 0.30),
    "dup_check_p95_ms": ("Duplicate check at entry p95", "ms", "<=", 10),
    "province_report_ms": ("Province daily report", "ms", "<=", 500),
    "civil_stats_p95_ms": ("Civil-data statistics, province, p95", "ms", "<=", 200),
    "import_records_per_s": ("Legacy import", "rec/s", ">=", 5000),
    "import_peak_rss_mb": ("Legacy import peak RSS", "MB", "", 0),
    "import_rss_10k_mb": ("Legacy import peak RSS, first 10,000 rows only", "MB", "", 0),
    "extract_p50_ms": ("Extract render p50", "ms", "<=", 150),
    "batch500_s": ("Batch of 500 extracts", "s", "", 0),
    "http_inbox_req_s": ("HTTP list page, 16 clients", "req/s", ">=", 150),
    "http_inbox_p95_ms": ("HTTP list page p95", "ms", "", 0),
    "web_rss_mb": ("Web worker RSS under load (max)", "MB", "<=", 300),
}


def verdict(key: str, value: Any) -> str:
    _label, _unit, op, target = TARGETS[key]
    if value is None:
        return "n/a"
    if not op:
        return ""
    ok = {"<=": value <= target, ">=": value >= target, "==": value == target}[op]
    return "ok" if ok else "MISSED"


# A null value whose scenario gave no reason (e.g. nothing seeded to measure it on).
NOT_MEASURED = "n/a (not measured)"


def format_value(value: Any, missing: str = NOT_MEASURED) -> str:
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table_lines(results: dict[str, Any], missing: dict[str, str] | None = None) -> list[str]:
    """The Markdown table; `missing` says, per key, why a null value is null (default: not measured)."""
    missing = missing or {}
    lines = [
        f"Benchmark: {results.get('records', 0):,} records, {results.get('cores')} cores, "
        f"commit {results.get('commit')}, PostgreSQL {results.get('postgres', '?')}",
        "",
        "| Scenario | Key | Value | Target | |",
        "|---|---|---:|---|---|",
    ]
    for key, (label, unit, op, target) in TARGETS.items():
        if key not in results:
            continue
        value = results[key]
        target_text = f"{op} {target:g} {unit}".strip() if op else ""
        unit_text = f" {unit}" if value is not None and unit else ""
        lines.append(
            f"| {label} | `{key}` | {format_value(value, missing.get(key, NOT_MEASURED))}{unit_text} "
            f"| {target_text} | {verdict(key, value)} |"
        )
    return lines


def print_table(results: dict[str, Any], statuses: dict[str, str], missing: dict[str, str]) -> None:
    print()
    for line in table_lines(results, missing):
        print(line)
    print()
    for name, status in statuses.items():
        if status != "ok":
            print(f"  {name}: {status}")
