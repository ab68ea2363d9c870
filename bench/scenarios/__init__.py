"""The scenarios, in the order they run (reads first, then writes).

Each module has NAME, KEYS (the result keys it fills) and run(bench) -> dict; it calls
the project's functions directly. A scenario that raises is reported as an error and its
keys stay null. To add one: write a module here and list it below. A module with ONLY_WHEN_NAMED
(the campaign) runs only when --only names it.
"""

from bench.scenarios import (
    campaign,
    civil_statistics,
    claim,
    duplicates,
    extract,
    http_inbox,
    inbox,
    legacy_import,
    province_report,
    search,
    transitions,
    viewflow_queue,
)

SCENARIOS = [
    inbox,
    viewflow_queue,
    search,
    duplicates,
    province_report,
    civil_statistics,
    extract,
    http_inbox,
    claim,
    transitions,
    legacy_import,
    campaign,
]
