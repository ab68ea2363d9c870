"""A frozen daily report as an Excel workbook or a PDF. Pure: reads the report, writes nothing.

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

from registry.models import EventType
from reports.models import Action
from reports.selectors import ReportSummary, report_summary

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
SHEETS = ["Tổng hợp", "Theo loại và giai đoạn", "Chi tiết đơn vị", "Chỉ tiêu"]
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
    Action.SCAN: "Quét",
    Action.ENTER: "Nhập dữ liệu",
    Action.REVIEW: "Kiểm tra",
    Action.APPROVE: "Phê duyệt",
    Action.TRANSFER: "Chuyển CSDL",
}
PER_VI = {"day": "mỗi ngày", "period": "cả đợt (đến ngày báo cáo)"}


def report_title(summary: ReportSummary) -> list[str]:
    report = summary.report
    as_of = timezone.localtime(report.cutoff_at)
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
    ws, title: list[str], first_heads: list[str], rows: list[tuple[list, dict]], total: dict
) -> None:
    bold = Font(bold=True)
    for i, text in enumerate(title, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=i == 1, size=13 if i == 1 else 11)
    head_row = len(title) + 2
    heads = [*first_heads, *(h for _, h in COLUMNS)]
    fill = PatternFill("solid", fgColor="E8ECF2")
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(row=head_row, column=col, value=text)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    r = head_row
    for labels, values in rows:
        r += 1
        for col, value in enumerate([*labels, *(values.get(k) for k, _ in COLUMNS)], start=1):
            ws.cell(row=r, column=col, value=value)
    r += 1
    ws.cell(row=r, column=1, value="Tổng cộng").font = bold
    for col, (key, _) in enumerate(COLUMNS, start=len(first_heads) + 1):
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
    heads = ["Đơn vị", "Chỉ tiêu", "Tính theo", "Phải đạt", "Đã đạt", "Tỷ lệ (%)"]
    head_row = len(title) + 2
    for col, text in enumerate(heads, start=1):
        ws.cell(row=head_row, column=col, value=text).font = Font(bold=True)
    for r, t in enumerate(summary.targets, start=head_row + 1):
        pct = round(100 * t.done / t.target, 1) if t.target else None
        values = [
            t.unit.name,
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


def _font_dir() -> tuple[Path, bool]:
    """The project's fonts (printing/fonts) if shipped, else Debian's DejaVu as a fallback."""
    shipped = Path(settings.BASE_DIR) / "printing" / "fonts"
    if (shipped / "DejaVuSans.ttf").exists():
        return shipped, True
    return Path("/usr/share/fonts/truetype/dejavu"), False


def report_pdf(report) -> bytes:
    """The report as an A4 landscape PDF (summary per unit below, per event type and phase, targets)."""
    from weasyprint import HTML

    summary = report_summary(report)
    font_dir, _shipped = _font_dir()
    html = render_to_string(
        "reports/report_pdf.html",
        {
            "summary": summary,
            "title": report_title(summary),
            "columns": COLUMNS,
            "by_child": [(u.name, [v.get(k) for k, _ in COLUMNS]) for u, v in summary.by_child],
            "by_type": [
                (f"{EVENT_TYPES_VI.get(t, t)} – {phase_label(p)}", [v.get(k) for k, _ in COLUMNS])
                for t, p, v in summary.by_type_phase
            ],
            "total": [summary.total.get(k) for k, _ in COLUMNS],
            "targets": [
                (t.unit.name, ACTIONS_VI.get(t.action, t.action), PER_VI.get(t.per, t.per), t.target, t.done)
                for t in summary.targets
            ],
            "font_regular": (font_dir / "DejaVuSans.ttf").as_uri(),
            "font_bold": (font_dir / "DejaVuSans-Bold.ttf").as_uri(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
