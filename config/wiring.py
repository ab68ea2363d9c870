"""What each step does beyond its own service, in the order it runs: the one place hooks are wired.

Lower layers expose typed hook lists (`workflows.hooks`, `registry.services.SLOTS_CREATED_HOOKS`)
and call them inside their transactions; the apps above them provide the hooks. Reading this
file answers "what does approve do?" without following `AppConfig.ready()` methods.

A transition (`workflows.services`): lock the record, check the actor's role, ask the state
machine, save, write the audit row — then, in this order:

==========================  =========================================================
attach                      the scan gets its canonical name (scans)
every transition            the record's viewflow process moves along (workflows)
enter/amend/attach/return/  the supervisors' open likely-duplicate pairs are refreshed
reject/mark_duplicate       (duplicates)
approve                     the record enters the transfer outbox (transfer)
enter/amend/reject/         the record's people are matched with the latest population
mark_duplicate/cross_out/   extract: findings opened, updated or closed as agreed; residents
restore                     pending on its now complete book judged again (transfer)
every transition            the progress counters move (reports)
==========================  =========================================================

A late scan's check (`workflows.late_scan`) passes or returns it: the scan records the outcome,
and a passed scan goes to the national database.

Approve is also refused while an approval check objects (an undecided likely duplicate).

Audit changes are worded by `registry.change_labels` (record history, audit trail); values of
apps above registry are labelled by them (`VALUE_LABELS`: the workflow stage of a work item).
"""

from __future__ import annotations

from contracts.selectors import contract_paths_of
from duplicates.services import approval_check as undecided_duplicate
from duplicates.services import data_saved_hook as duplicate_pairs_follow_data
from duplicates.services import transition_hook as duplicate_pairs_follow
from permissions.scoping import ASSIGNED_WORK, CONTRACT_PATHS, AssignedWork, ContractPaths
from registry.change_labels import VALUE_LABELS
from registry.services import (
    BOOK_CHANGED_HOOKS,
    SLOTS_CREATED_HOOKS,
    SLOTS_REMOVED_HOOKS,
    BookChangedHook,
    SlotsCreatedHook,
    SlotsRemovedHook,
)
from reports.services import (
    progress_count_arbitration,
    progress_count_imported,
    progress_count_slots,
    progress_count_transition,
    progress_drop_slots,
    progress_follow_book,
)
from scans.intake import scan_late_outcome
from scans.naming import scan_name_on_attach
from transfer.reconciliation import (
    reconciliation_on_data_saved,
    reconciliation_on_import,
    reconciliation_on_transition,
)
from transfer.services import transfer_on_import, transfer_on_late_scan, transfer_on_transition
from workflows.flows import (
    process_follow,
    processes_drop_for_slots,
    processes_start_for_import,
    processes_start_for_slots,
    tasks_follow_book,
)
from workflows.history import stage_label
from workflows.hooks import (
    APPROVAL_CHECKS,
    ARBITRATION_HOOKS,
    DATA_SAVED_HOOKS,
    IMPORT_HOOKS,
    LATE_SCAN_HOOKS,
    TRANSITION_HOOKS,
    ApprovalCheck,
    ArbitrationHook,
    DataSavedHook,
    ImportHook,
    LateScanHook,
    TransitionHook,
)
from workflows.inbox import held_records_q

TRANSITIONS: list[TransitionHook] = [
    scan_name_on_attach,  # attach: rename the case's PDF by the naming rule
    process_follow,  # complete the viewflow task of the stage and open the next one
    duplicate_pairs_follow,  # closing, or entry/amendment that changed its person: refresh its pairs
    transfer_on_transition,  # approve: put the record in the outbox, same transaction
    reconciliation_on_transition,  # data in or out: match its people with the population extract
    progress_count_transition,  # move the unit × state × day counters
]

# The arbitrator of a double keying settled a case (`workflows.keying.keying_arbitrate`).
ARBITRATED: list[ArbitrationHook] = [
    progress_count_arbitration,  # each keyer's overruled fields count against their work (quality)
]

# A record's data saved without a transition (a draft; a correction from the reconciliation list).
DATA_SAVED: list[DataSavedHook] = [
    duplicate_pairs_follow_data,  # a record entered before: refresh its pairs if its person changed
    reconciliation_on_data_saved,  # match its people again: findings follow the data
]

APPROVAL: list[ApprovalCheck] = [
    undecided_duplicate,  # an open likely duplicate above the threshold blocks approval
]

# New empty case slots of a book (book registration, slots added later).
SLOTS_CREATED: list[SlotsCreatedHook] = [
    processes_start_for_slots,  # each slot gets its viewflow process and first work item
    progress_count_slots,  # counted as collected
]

# Empty slots removed from a book (the closing total was wrong), before their rows go.
SLOTS_REMOVED: list[SlotsRemovedHook] = [
    processes_drop_for_slots,  # their passes and work items go (refused while someone holds one)
    progress_drop_slots,  # no longer counted as collected
]

# A book's metadata corrected (year, phase, event type, registering unit).
BOOK_CHANGED: list[BookChangedHook] = [
    tasks_follow_book,  # work items keep the book's year, phase, type and the approval level
    progress_follow_book,  # counters move to the book's new year, phase and type
]

# A batch of imported cases (`workflows.services.records_import`): transition hooks in bulk.
IMPORTED: list[ImportHook] = [
    processes_start_for_import,  # cases with work left get their process at the right stage
    transfer_on_import,  # cases imported as approved go to the outbox
    reconciliation_on_import,  # their people are matched with the population extract
    progress_count_imported,  # counters for the imported states
]

# What counts as a contractor's assigned work (`permissions.scoping.assigned_work_q`): the cases
# they may see, only while assigned.
ASSIGNED: list[AssignedWork] = [
    held_records_q,  # the work items they hold in the inbox (claimed, or returned to them)
]

# The units contract staff are confined to (`permissions.scoping.contract_paths`): their books,
# queue and the cases still in the contractor's hands; 404 elsewhere.
CONTRACT_UNITS: list[ContractPaths] = [
    contract_paths_of,  # the units of the open contracts whose staff they are (contracts)
]

# The check of a late scan (a scan added to an approved or transferred case) ended
# (`workflows.late_scan`): passed, returned to whoever uploaded it, or cancelled.
LATE_SCAN: list[LateScanHook] = [
    scan_late_outcome,  # the scan records the outcome; a passed one is now the case's scan
    transfer_on_late_scan,  # passed: the national database gets the scan (once)
]

# Labels of audit change values that belong to apps above registry, by change key.
CHANGE_VALUES = {
    "stage": stage_label,  # a work item's stage, the stage a return sends the record back to
}


def wire() -> None:
    """Fill the hook lists (idempotent: replaces their content, so a second call changes nothing)."""
    TRANSITION_HOOKS[:] = TRANSITIONS
    ARBITRATION_HOOKS[:] = ARBITRATED
    DATA_SAVED_HOOKS[:] = DATA_SAVED
    APPROVAL_CHECKS[:] = APPROVAL
    SLOTS_CREATED_HOOKS[:] = SLOTS_CREATED
    SLOTS_REMOVED_HOOKS[:] = SLOTS_REMOVED
    BOOK_CHANGED_HOOKS[:] = BOOK_CHANGED
    IMPORT_HOOKS[:] = IMPORTED
    ASSIGNED_WORK[:] = ASSIGNED
    CONTRACT_PATHS[:] = CONTRACT_UNITS
    LATE_SCAN_HOOKS[:] = LATE_SCAN
    VALUE_LABELS.clear()
    VALUE_LABELS.update(CHANGE_VALUES)
