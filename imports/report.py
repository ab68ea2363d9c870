"""The row-by-row report of an import job as an Excel sheet: row, Ministry column, problem, fix."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from imports.models import ImportJob
from imports.selectors import import_rows_with_problems


def import_report_xlsx(job: ImportJob) -> bytes:
    """One line per problem of every row of the job's last check or import."""
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Problems")[:31]
    sheet.append([_("Row"), _("Field (Ministry column)"), _("Problem"), _("How to fix it"), _("Row status")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in import_rows_with_problems(job).iterator(chunk_size=2000):
        for column, problem, fix in row.problems:
            sheet.append([row.row_no, column, problem, fix, row.get_status_display()])
    for letter, width in zip("ABCDE", (8, 24, 60, 60, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
