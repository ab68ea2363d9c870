"""Every action the audit trail records, with the label people read.

The values are the codes stored in `AuditEvent.action` (and covered by the row hashes), so
they never change; the labels are what every page shows. `audit.services` refuses a code
that is not listed here, so a new action needs a member (and its Vietnamese translation).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Record transitions (workflows.services): the event of the state machine.
    SCAN = "scan", _("Scan")
    ENTER = "enter", _("Enter data")
    ATTACH = "attach", _("Attach scan")
    REVIEW = "review", _("Pass review")
    APPROVE = "approve", _("Approve")
    TRANSFER = "transfer", _("Transfer")
    TRANSFER_REFUSED = "transfer_refused", _("Refused by the national database")
    RETURN = "return", _("Return for rework")
    REJECT = "reject", _("Reject")
    MARK_DUPLICATE = "mark_duplicate", _("Close as duplicate")
    AMEND = "amend", _("Edit after approval")
    CROSS_OUT = "cross_out", _("Crossed out in the book")
    RESTORE = "restore", _("Not crossed out: restored")
    # Record data and work items (workflows).
    EDIT = "edit", _("Data saved")
    IMPORT = "import", _("Imported from a file")
    APPROVE_PAGE = "approve_page", _("Page approved")
    TASK_CLAIM = "task_claim", _("Work item claimed")
    TASK_CLAIM_EXPIRED = "task_claim_expired", _("Claim expired")
    TASK_RELEASE = "task_release", _("Work item released")
    TASK_REASSIGN = "task_reassign", _("Work item reassigned")
    # Reading and refusals.
    VIEW_RECORD = "view_record", _("Record viewed")
    SEARCH = "search", _("Records searched")
    DENIED = "denied", _("Access refused")
    # Units, books and roles (registry, permissions).
    UNITS_LOAD = "units_load", _("Administrative units loaded")
    UNITS_LINK_SUCCESSORS = "units_link_successors", _("Units linked to their successors")
    BOOK_REGISTER = "book_register", _("Register book recorded")
    BOOK_EDIT = "book_edit", _("Register book corrected")
    BOOK_SLOTS_ADD = "book_slots_add", _("Case slots added to a book")
    BOOK_SLOTS_REMOVE = "book_slots_remove", _("Empty case slots removed from a book")
    BOOK_ASSESS = "book_assess", _("Book condition assessed")
    REREGISTRATION_MARK = "reregistration_mark", _("Marked as a re-registration")
    ROLE_GRANT = "role_grant", _("Role granted")
    ROLE_REVOKE = "role_revoke", _("Role removed")
    # Scans (scans).
    SCAN_UPLOAD = "scan_upload", _("Scan uploaded")
    SCAN_BATCH_UPLOAD = "scan_batch_upload", _("Batch of scans uploaded")
    BOOK_SCAN_UPLOAD = "book_scan_upload", _("Scan of a whole book uploaded")
    BOOK_SPLIT_START = "book_split_start", _("Book scan split started")
    BOOK_SPLIT_RESUME = "book_split_resume", _("Book scan split resumed")
    VIEW_SCAN = "view_scan", _("Scan viewed")
    VIEW_BOOK_SCAN = "view_book_scan", _("Book scan viewed")
    DOWNLOAD_SCAN = "download_scan", _("Scan downloaded")
    SCAN_CHECK_PASS = "scan_check_pass", _("Late scan checked and accepted")
    SCAN_CHECK_RETURN = "scan_check_return", _("Late scan returned by its check")
    # Likely duplicates (duplicates).
    DUPLICATE_DECISION = "duplicate_decision", _("Likely duplicate decided")
    # Imports (imports).
    IMPORT_UPLOAD = "import_upload", _("Import file uploaded")
    IMPORT_REPORT = "import_report", _("Import report downloaded")
    # Extracts (printing).
    EXTRACT_ISSUE = "extract_issue", _("Extract issued")
    EXTRACT_REPRINT = "extract_reprint", _("Extract reprinted")
    PREVIEW_EXTRACT = "preview_extract", _("Extract previewed")
    DOWNLOAD_EXTRACT = "download_extract", _("Extract downloaded")
    DOWNLOAD_EXTRACT_BATCH = "download_extract_batch", _("Batch of extracts downloaded")
    VERIFY_EXTRACT = "verify_extract", _("Extract verified (QR code)")
    # Transfer, exports and reconciliation (transfer).
    TRANSFER_RETRY_NOW = "transfer_retry_now", _("Transfers retried now")
    EXPORT_REQUESTED = "export_requested", _("Export requested")
    EXPORT_DATACENTRE = "export_datacentre", _("Exported to the data centre")
    EXPORT_MINISTRY_XLSX = "export_ministry_xlsx", _("Ministry Excel sheet downloaded")
    EXPORT_MINISTRY_ZIP = "export_ministry_zip", _("Ministry ZIP file downloaded")
    DOWNLOAD_EXPORT = "download_export", _("Export downloaded")
    POPULATION_IMPORT = "population_import", _("Population database extract imported")
    RECONCILE_FIX_RECORD = "reconcile_fix_record", _("Corrected from the population database")
    RECONCILE_POPULATION = "reconcile_population", _("Kept after comparison with the population database")
    EXPORT_POLICE_LIST = "export_police_list", _("List for the commune police downloaded (Excel)")
    # Long jobs (jobs).
    JOB_CANCEL = "job_cancel", _("Job stopped on request")
    # Progress reports (reports).
    QUOTA_SET = "quota_set", _("Target set")
    EXPORT_REPORT_XLSX = "export_report_xlsx", _("Progress report downloaded (Excel)")
    EXPORT_REPORT_PDF = "export_report_pdf", _("Progress report downloaded (PDF)")
    EXPORT_CIVIL_STATISTICS = "export_civil_statistics", _("Civil-data statistics downloaded (Excel)")
    EXPORT_CONDITION_XLSX = "export_condition_xlsx", _("Book condition report downloaded (Excel)")
    EXPORT_CONDITION_PDF = "export_condition_pdf", _("Book condition report downloaded (PDF)")
    PLAN_SET = "plan_set", _("Rollout plan set")
    PLAN_DELETE = "plan_delete", _("Rollout plan removed")
    PHASE_LIMITS_SET = "phase_limits_set", _("Phase limits changed")
    # Double keying (workflows.keying): the setting, each keying, each arbitration.
    PHASE_KEYING_SET = "phase_keying_set", _("Double keying of a phase changed")
    BOOK_KEYING_SET = "book_keying_set", _("Double keying of a book changed")
    KEYING_SUBMIT = "keying_submit", _("Case keyed (double keying)")
    KEYING_ARBITRATE = "keying_arbitrate", _("Keying disagreement arbitrated")
    VIEW_KEYING_QUALITY = "view_keying_quality", _("Keying figures per keyer viewed")
    BOOK_REPHASE = "book_rephase", _("Book moved to another phase")
    REPORT_NARRATIVE = "report_narrative", _("Daily report narrative saved")
    REPORT_SUBMIT = "report_submit", _("Daily report submitted")
    REPORT_CONFIRM = "report_confirm", _("Daily report confirmed")
    REPORT_RETURN = "report_return", _("Daily report returned")
    # Digitization contracts and acceptance (contracts).
    CONTRACTOR_CREATE = "contractor_create", _("Contractor recorded")
    CONTRACT_CREATE = "contract_create", _("Contract recorded")
    CONTRACT_STAFF_ADD = "contract_staff_add", _("Contractor staff added to a contract")
    CONTRACT_PRICE_SET = "contract_price_set", _("Contract unit price set")
    LOT_HANDOVER = "lot_handover", _("Lot handed over for acceptance")
    LOT_SAMPLE = "lot_sample", _("Acceptance sample drawn")
    LOT_INSPECT = "lot_inspect", _("Sampled case inspected")
    LOT_ACCEPT = "lot_accept", _("Lot accepted")
    LOT_RETURN = "lot_return", _("Lot rejected and returned")
    EXPORT_STATEMENT = "export_statement", _("Payment statement downloaded")
    CONTRACT_CLOSE = "contract_close", _("Contract closed (liquidated)")
    # Accounts and logins (accounts): IP address and browser in the row's changes.
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOCKOUT = "lockout", _("Account locked after failed logins")
    ACCOUNT_UNLOCK = "account_unlock", _("Account unlocked")
    ACCOUNT_CREATE = "account_create", _("Account created")
    ACCOUNT_DEACTIVATE = "account_deactivate", _("Account deactivated")
    ACCOUNT_REACTIVATE = "account_reactivate", _("Account reactivated")
    ACCOUNT_END_SET = "account_end_set", _("Last day of use set")
    PASSWORD_RESET = "password_reset", _("Temporary password given")
    PASSWORD_CHANGE = "password_change", _("Password changed")
    TOTP_ENROL = "totp_enrol", _("Authenticator app set up")
    TOTP_REMOVE = "totp_remove", _("Authenticator app removed")
    # Personal API tokens (api): created and revoked on the user's page; a refused token.
    API_TOKEN_CREATE = "api_token_create", _("API token created")
    API_TOKEN_REVOKE = "api_token_revoke", _("API token revoked")
    API_TOKEN_REFUSED = "api_token_refused", _("API token refused")
