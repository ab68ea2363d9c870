"""Reports as Excel workbooks or PDFs: the frozen daily and period reports, the civil-data table and the
written condition report of the books. Pure: reads the report, writes nothing.

Text on these documents is Vietnamese (they are sent up the hierarchy as they are).
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from registry.book_condition import DEFECT_KEYS
from registry.models import AdministrativeUnit, EventType, RegisterBook, UnitLevel
from reports.condition import ConditionReport
from reports.models import Action, PeriodReport
from reports.selectors import (
    LINE_FIELDS,
    ReportSummary,
    derive,
    report_status,
    report_summary,
    reports_below,
)
from vietnamese.words import number_in_words

# (key, heading) of the figures columns, in order.
COLUMNS: list[tuple[str, str]] = [
    ("books", "Số sổ"),
    ("declared_cases", "Số trường hợp theo sổ"),
    ("slots", "Đã thu thập"),
    ("d_scan", "Quét trong ngày"),
    ("d_enter", "Nhập trong ngày"),
    ("d_review", "Kiểm tra trong ngày"),
    ("d_approve", "Phê duyệt trong ngày"),
    ("d_return", "Trả lại trong ngày"),
    ("d_transfer", "Chuyển CSDL trong ngày"),
    ("digitized", "Lũy kế đã nhập"),
    ("done", "Lũy kế đã phê duyệt"),
    ("st_transferred", "Lũy kế đã chuyển"),
    ("remaining", "Còn lại"),
    ("pct_done", "Tỷ lệ hoàn thành (%)"),
]
PERIOD_COLUMNS = [(key, head.replace("trong ngày", "trong kỳ")) for key, head in COLUMNS]
SHEETS = ["Tổng hợp", "Theo loại và giai đoạn", "Chi tiết đơn vị", "Chỉ tiêu", "Khó khăn, đề xuất"]
EVENT_TYPES_VI: dict[str, str] = {
    EventType.BIRTH: "Khai sinh",
    EventType.MARRIAGE: "Kết hôn",
    EventType.DEATH: "Khai tử",
    EventType.PARENTAGE: "Nhận cha, mẹ, con",
    EventType.GUARDIANSHIP: "Giám hộ",
    EventType.GUARDIANSHIP_END: "Chấm dứt giám hộ",
    EventType.AMENDMENT: "Thay đổi, cải chính, bổ sung hộ tịch",
    EventType.DIVORCE_NOTE: "Ghi chú ly hôn",
    EventType.MARITAL_STATUS: "Xác nhận tình trạng hôn nhân",
    EventType.ADOPTION: "Nuôi con nuôi",
}
ACTIONS_VI = {
    Action.COLLECT: "Thu thập (trường hợp)",
    Action.SCAN: "Quét",
    Action.ENTER: "Nhập dữ liệu",
    Action.ATTACH: "Gắn tệp quét",
    Action.REVIEW: "Kiểm tra",
    Action.APPROVE: "Phê duyệt",
    Action.TRANSFER: "Chuyển CSDL",
}
PER_VI = {"day": "mỗi ngày", "period": "cả đợt (đến ngày báo cáo)"}


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
LEVEL_SHEETS = [("commune", "Cấp xã"), ("district", "Cấp huyện"), ("province", "Cấp tỉnh")]


def period_name(report: PeriodReport) -> str:
    if report.kind == PeriodReport.Kind.MONTH:
        return f"THÁNG {report.start:%m/%Y}"
    if report.kind == PeriodReport.Kind.QUARTER:
        return f"QUÝ {ROMAN[(report.start.month - 1) // 3 + 1]}/{report.start.year}"
    return f"NĂM {report.start.year}"


def report_title(summary: ReportSummary) -> list[str]:
    report = summary.report
    as_of = timezone.localtime(report.cutoff_at)
    if isinstance(report, PeriodReport):
        return [
            f"BÁO CÁO TIẾN ĐỘ SỐ HÓA SỔ HỘ TỊCH {period_name(report)}",
            f"Đơn vị: {report.unit.name}",
            f"Từ ngày {report.start:%d/%m/%Y} đến ngày {report.end:%d/%m/%Y};"
            f" số liệu tính đến {as_of:%H:%M %d/%m/%Y}",
        ]
    return [
        "BÁO CÁO TIẾN ĐỘ SỐ HÓA SỔ HỘ TỊCH",
        f"Đơn vị: {report.unit.name}",
        f"Ngày {as_of:%d/%m/%Y}, số liệu tính đến {as_of:%H:%M}"
        f" (trong ngày: từ {timezone.localtime(report.period_start):%H:%M %d/%m/%Y})",
        *(
            [
                f"Mốc nhật ký kiểm toán: {report.audit_anchor}"
                f" (ghi lúc {timezone.localtime(report.audit_anchor_at):%H:%M %d/%m/%Y})"
            ]
            if report.audit_anchor and report.audit_anchor_at
            else []
        ),
    ]


def phase_label(phase: int | None) -> str:
    return f"Giai đoạn {phase}" if phase else "Chưa xác định"


def _write_table(
    ws,
    title: list[str],
    first_heads: list[str],
    rows: list[tuple[list, dict]],
    total: dict,
    columns: list[tuple[str, str]] = COLUMNS,
) -> None:
    bold = Font(bold=True)
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=i == 1, size=13 if i == 1 else 11)
    head_row = len(title) + 2
    heads = [*first_heads, *(h for _, h in columns)]
    fill = PatternFill("solid", fgColor="E8ECF2")
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(row=head_row, column=col, value=text)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    r = head_row
    for labels, values in rows:
        r += 1
        for col, value in enumerate([*labels, *(values.get(k) for k, _ in columns)], start=1):
            ws.cell(row=r, column=col, value=value)
    r += 1
    ws.cell(row=r, column=1, value="Tổng cộng").font = bold
    for col, (key, _) in enumerate(columns, start=len(first_heads) + 1):
        ws.cell(row=r, column=col, value=total.get(key)).font = bold
    for col in range(1, len(heads) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 28 if col <= len(first_heads) else 13
    ws.freeze_panes = ws.cell(row=head_row + 1, column=len(first_heads) + 1)


def report_xlsx(report) -> bytes:
    """The report as a workbook: summary per unit below, per event type and phase, per unit, and targets."""
    summary = report_summary(report)
    title = report_title(summary)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEETS[0]
    _write_table(ws, title, ["Đơn vị"], [([u.name], v) for u, v in summary.by_child], summary.total)
    _write_table(
        wb.create_sheet(SHEETS[1]),
        title,
        ["Loại việc", "Giai đoạn"],
        [([EVENT_TYPES_VI.get(t, t), phase_label(p)], v) for t, p, v in summary.by_type_phase],
        summary.total,
    )
    _write_table(
        wb.create_sheet(SHEETS[2]),
        title,
        ["Đơn vị", "Cấp"],
        [([u.name, u.get_level_display()], v) for u, v in summary.by_unit],
        summary.total,
    )
    ws = wb.create_sheet(SHEETS[3])
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text)
    heads = ["Đơn vị / cá nhân", "Chỉ tiêu", "Tính theo", "Phải đạt", "Đã đạt", "Tỷ lệ (%)"]
    head_row = len(title) + 2
    for col, text in enumerate(heads, start=1):
        ws.cell(row=head_row, column=col, value=text).font = Font(bold=True)
    for r, t in enumerate(summary.targets, start=head_row + 1):
        pct = round(100 * t.done / t.target, 1) if t.target else None
        values = [
            t.holder,
            ACTIONS_VI.get(t.action, t.action),
            PER_VI.get(t.per, t.per),
            t.target,
            t.done,
            pct,
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value)
    ws.column_dimensions["A"].width = 28
    ws = wb.create_sheet(SHEETS[4])
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text)
    head_row = len(title) + 2
    for col, text in enumerate(["Đơn vị", "Tình trạng báo cáo", "Khó khăn, vướng mắc, đề xuất"], start=1):
        ws.cell(row=head_row, column=col, value=text).font = Font(bold=True)
    for r, values in enumerate(signoff_rows(report), start=head_row + 1):
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABC", (28, 40, 80), strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


STATUS_VI = {
    "confirmed": "Đã xác nhận",
    "submitted": "Đã gửi",
    "overdue": "Chưa gửi, quá hạn",
    "draft": "Chưa gửi",
}


def signoff_rows(report) -> list[list[str]]:
    """[unit, sign-off, narrative] of the report and of every report below it that day (Vietnamese)."""
    rows = []
    for r in [report, *reports_below(report)]:
        code, _label = report_status(r)
        status = STATUS_VI[code]
        if r.submitted_late:
            status += " (muộn)"
        if not r.started:
            status = "Chưa bắt đầu (chưa đăng ký sổ); " + status.lower()
        if r.submitted_at:
            who = r.submitted_by.get_full_name() or r.submitted_by.username
            status += f", {who} gửi lúc {timezone.localtime(r.submitted_at):%H:%M %d/%m/%Y}"
        rows.append([r.unit.name, status, r.narrative or "–"])
    return rows


def _font_dir() -> tuple[Path, bool]:
    """The project's fonts (printing/fonts) if shipped, else Debian's DejaVu as a fallback."""
    shipped = Path(settings.BASE_DIR) / "printing" / "fonts"
    if (shipped / "DejaVuSans.ttf").exists():
        return shipped, True
    return Path("/usr/share/fonts/truetype/dejavu"), False


def _pdf_fonts() -> dict[str, str]:
    font_dir, _shipped = _font_dir()
    return {
        "font_regular": (font_dir / "DejaVuSans.ttf").as_uri(),
        "font_bold": (font_dir / "DejaVuSans-Bold.ttf").as_uri(),
    }


def report_pdf(report) -> bytes:
    """The report as an A4 landscape PDF (summary per unit below, per event type and phase, targets)."""
    from weasyprint import HTML

    summary = report_summary(report)
    html = render_to_string(
        "reports/report_pdf.html",
        {
            "summary": summary,
            "title": report_title(summary),
            "columns": PERIOD_COLUMNS if isinstance(report, PeriodReport) else COLUMNS,
            "by_child": [(u.name, [v.get(k) for k, _ in COLUMNS]) for u, v in summary.by_child],
            "by_type": [
                (f"{EVENT_TYPES_VI.get(t, t)} – {phase_label(p)}", [v.get(k) for k, _ in COLUMNS])
                for t, p, v in summary.by_type_phase
            ],
            "total": [summary.total.get(k) for k, _ in COLUMNS],
            "targets": [
                (t.holder, ACTIONS_VI.get(t.action, t.action), PER_VI.get(t.per, t.per), t.target, t.done)
                for t in summary.targets
            ],
            "signoff": signoff_rows(report) if not isinstance(report, PeriodReport) else [],
            **_pdf_fonts(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def civil_stats_xlsx(unit, table, rows_label: str, snapshot) -> bytes:
    """The civil-data cross table as a workbook (Vietnamese headings, totals)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Thống kê hộ tịch"
    as_of = f"{timezone.localtime(snapshot.built_at):%H:%M %d/%m/%Y}" if snapshot else "chưa tổng hợp"
    ws.cell(row=1, column=1, value="THỐNG KÊ DỮ LIỆU HỘ TỊCH ĐÃ SỐ HÓA").font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=f"Đơn vị: {unit.name}")
    ws.cell(row=3, column=1, value=f"Số liệu tính đến {as_of}")
    head = 5
    bold = Font(bold=True)
    ws.cell(row=head, column=1, value=rows_label).font = bold
    for col, (_key, label) in enumerate(table.column_keys, start=2):
        ws.cell(row=head, column=col, value=label).font = bold
    total_col = len(table.column_keys) + 2
    ws.cell(row=head, column=total_col, value="Tổng cộng").font = bold
    r = head
    for key, label in table.row_keys:
        r += 1
        ws.cell(row=r, column=1, value=label)
        for col, (ckey, _label) in enumerate(table.column_keys, start=2):
            ws.cell(row=r, column=col, value=table.cells.get((key, ckey), 0))
        ws.cell(row=r, column=total_col, value=table.row_totals.get(key, 0)).font = bold
    r += 1
    ws.cell(row=r, column=1, value="Tổng cộng").font = bold
    for col, (ckey, _label) in enumerate(table.column_keys, start=2):
        ws.cell(row=r, column=col, value=table.column_totals.get(ckey, 0)).font = bold
    ws.cell(row=r, column=total_col, value=table.total).font = bold
    ws.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def period_report_xlsx(report: PeriodReport) -> bytes:
    """A period report as a Department of Justice sends it upward: a summary, one sheet per level
    (every unit of that level with its totals), per event type and phase, and plan against actual."""
    summary = report_summary(report)
    title = report_title(summary)
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    _write_table(
        ws, title, ["Đơn vị"], [([u.name], v) for u, v in summary.by_child], summary.total, PERIOD_COLUMNS
    )
    units = [report.unit, *(r.unit for r in reports_below(report))]
    for level, sheet in LEVEL_SHEETS:
        # every unit of the level in the report, with its whole subtree's figures (zeros if not started)
        rows = []
        for unit in sorted((u for u in units if u.level == level), key=lambda u: u.name):
            inside = [v for u, v in summary.by_unit if u.path.startswith(unit.path)]
            rows.append(
                (unit, derive({key: sum(int(v.get(key) or 0) for v in inside) for key in LINE_FIELDS}))
            )
        if not rows:
            continue
        total = derive({key: sum(int(v.get(key) or 0) for _, v in rows) for key in LINE_FIELDS})
        _write_table(
            wb.create_sheet(sheet), title, ["Đơn vị"], [([u.name], v) for u, v in rows], total, PERIOD_COLUMNS
        )
    _write_table(
        wb.create_sheet("Theo loại và giai đoạn"),
        title,
        ["Loại việc", "Giai đoạn"],
        [([EVENT_TYPES_VI.get(t, t), phase_label(p)], v) for t, p, v in summary.by_type_phase],
        summary.total,
        PERIOD_COLUMNS,
    )
    ws = wb.create_sheet("Kế hoạch – thực hiện")
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text)
    heads = ["Đơn vị", "Chỉ tiêu", "Tính theo", "Kế hoạch trong kỳ", "Thực hiện", "Tỷ lệ (%)"]
    head_row = len(title) + 2
    for col, text in enumerate(heads, start=1):
        ws.cell(row=head_row, column=col, value=text).font = Font(bold=True)
    for r, t in enumerate(summary.targets, start=head_row + 1):
        pct = round(100 * t.done / t.target, 1) if t.target else None
        values = [
            t.holder,
            ACTIONS_VI.get(t.action, t.action),
            PER_VI.get(t.per, t.per),
            t.target,
            t.done,
            pct,
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value)
    ws.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the written condition report of the books (seed 001) ---------------------------------------

DEFECTS_VI = {
    "torn": "Rách",
    "faded": "Mờ, phai chữ",
    "water_damaged": "Ẩm, ngấm nước",
    "missing_pages": "Mất trang",
    "needs_restoration": "Cần tu bổ trước khi số hóa",
}
CONDITION_VI = {"good": "Tốt", "worn": "Cũ, sờn", "damaged": "Hư hỏng, khó đọc một phần"}
CONDITION_COLUMNS: list[tuple[str, str]] = [
    ("books", "Số sổ"),
    ("assessed", "Đã đánh giá"),
    ("not_assessed", "Chưa đánh giá"),
    ("any_defect", "Có hư hỏng"),
    *DEFECTS_VI.items(),
    ("missing_page_total", "Tổng số trang bị mất"),
    *((grade, f"Tình trạng chung: {label.lower()}") for grade, label in CONDITION_VI.items()),
]
_PLACE_PREFIXES = ("Thành phố ", "Tỉnh ", "Huyện ", "Quận ", "Thị xã ", "Xã ", "Phường ", "Thị trấn ")


def report_authority(unit: AdministrativeUnit) -> tuple[str, str]:
    """The two header lines naming who reports: the justice department or office, or the commune."""
    if unit.level == UnitLevel.PROVINCE:
        return f"UBND {unit.name}".upper(), "SỞ TƯ PHÁP"
    if unit.level == UnitLevel.DISTRICT:
        return f"UBND {unit.name}".upper(), "PHÒNG TƯ PHÁP"
    return "ỦY BAN NHÂN DÂN", unit.name.upper()


def _counted(n: int, noun: str = "sổ") -> str:
    """12 → "12 (mười hai) sổ": numbers on the written report are given in figures and in words."""
    figures = f"{n:,}".replace(",", ".")
    return f"{figures} ({number_in_words(n)}) {noun}" if n < 1_000_000 else f"{figures} {noun}"


def condition_summary(report: ConditionReport) -> list[str]:
    """The summary paragraphs of the written report, counts in figures and words (Vietnamese)."""
    t = report.total
    phase = f" thuộc giai đoạn {report.phase}" if report.phase else ""
    as_of = f"{report.generated_at:%d/%m/%Y}"
    lines = [
        f"Tính đến ngày {as_of}, {report.unit.name} đang quản lý {_counted(t['books'])} hộ tịch{phase}; "
        f"đã đánh giá hiện trạng {_counted(t['assessed'])}, chưa đánh giá {_counted(t['not_assessed'])}."
    ]
    if t["assessed"]:
        kinds = "; ".join(f"{DEFECTS_VI[key].lower()}: {_counted(t[key])}" for key in DEFECT_KEYS)
        lines.append(
            f"Trong số sổ đã đánh giá, {_counted(t['any_defect'])} có hư hỏng ({kinds}). "
            f"Một sổ có thể có nhiều loại hư hỏng."
        )
        if t["missing_page_total"]:
            lines.append(
                f"Tổng số trang bị mất đã xác định được: {_counted(t['missing_page_total'], 'trang')}."
            )
    return lines


def book_label_vi(book: RegisterBook) -> str:
    kind = EVENT_TYPES_VI.get(book.event_type, book.event_type).lower()
    return f"Sổ {kind} {book.years_label}, quyển {book.book_no}"


def _defects_vi(book: RegisterBook) -> str:
    a = book.assessment
    parts = [DEFECTS_VI[key] for key in DEFECT_KEYS if getattr(a, key)]
    if a.missing_page_count or a.missing_page_numbers:
        pages = ", ".join(
            p
            for p in (f"{a.missing_page_count} trang" if a.missing_page_count else "", a.missing_page_numbers)
            if p
        )
        parts = [f"{p} ({pages})" if p == DEFECTS_VI["missing_pages"] else p for p in parts]
    return "; ".join(parts)


def condition_report_pdf(report: ConditionReport, *, author: str) -> bytes:
    """The written condition report (Báo cáo đánh giá hiện trạng sổ hộ tịch) as an A4 landscape PDF:
    authority header, date, summary, table per unit, books to restore, signatures."""
    from weasyprint import HTML

    upper, lower = report_authority(report.unit)
    place = next((report.unit.name[len(p) :] for p in _PLACE_PREFIXES if report.unit.name.startswith(p)), "")
    day = report.generated_at
    html = render_to_string(
        "reports/condition_pdf.html",
        {
            "authority": (upper, lower),
            "dated": f"{place or report.unit.name}, ngày {day:%d} tháng {day:%m} năm {day:%Y}",
            "phase": report.phase,
            "unit": report.unit,
            "summary": condition_summary(report),
            "columns": CONDITION_COLUMNS,
            "rows": [(u.name, [v.get(k) for k, _ in CONDITION_COLUMNS]) for u, v in report.rows],
            "total": [report.total.get(k) for k, _ in CONDITION_COLUMNS],
            "to_restore": [
                (b.custodian.name, book_label_vi(b), _defects_vi(b), b.assessment.note)
                for b in report.to_restore
            ],
            "author": author,
            **_pdf_fonts(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


BOOK_HEADS = [
    "Đơn vị lưu giữ",
    "Sổ",
    "Giai đoạn",
    "Tình trạng chung",
    *DEFECTS_VI.values(),
    "Số trang bị mất",
    "Các trang bị mất",
    "Ghi chú hiện trạng",
    "Người đánh giá",
    "Ngày đánh giá",
]


def _book_sheet(ws, title: list[str], books: list[RegisterBook]) -> None:
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=i == 1, size=13 if i == 1 else 11)
    head_row = len(title) + 2
    for col, text in enumerate(BOOK_HEADS, start=1):
        cell = ws.cell(row=head_row, column=col, value=text)
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for r, book in enumerate(books, start=head_row + 1):
        a = book.assessment
        who = a.assessed_by.get_full_name() or a.assessed_by.username if a.assessed_by else ""
        values = [
            book.custodian.name,
            book_label_vi(book),
            phase_label(book.phase),
            CONDITION_VI.get(book.condition, book.condition),
            *("x" if getattr(a, key) else "" for key in DEFECT_KEYS),
            a.missing_page_count,
            a.missing_page_numbers,
            a.note,
            who,
            f"{timezone.localtime(a.assessed_at):%d/%m/%Y}",
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value)
    for col, width in enumerate([28, 34, 16, 22], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def condition_report_xlsx(report: ConditionReport) -> bytes:
    """The condition report as a workbook: the summary per unit, the books to restore before scanning,
    and every book with a defect (Vietnamese headings)."""
    phase = f" – giai đoạn {report.phase}" if report.phase else ""
    title = [
        f"BÁO CÁO ĐÁNH GIÁ HIỆN TRẠNG SỔ HỘ TỊCH{phase.upper()}",
        f"Đơn vị: {report.unit.name}",
        f"Số liệu tính đến {report.generated_at:%H:%M %d/%m/%Y}",
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    _write_table(
        ws, title, ["Đơn vị"], [([u.name], v) for u, v in report.rows], report.total, CONDITION_COLUMNS
    )
    _book_sheet(wb.create_sheet("Sổ cần tu bổ"), title, report.to_restore)
    _book_sheet(wb.create_sheet("Sổ có hư hỏng"), title, report.with_defects)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
