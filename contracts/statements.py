"""The payment statement of a contract (bảng kê, biên bản nghiệm thu) and its closing summary
(thanh lý): volumes of the lots decided in a period by item kind × unit price, the rejected lots
set against what was handed over, and the ceiling. Computing is separate from rendering; the
renderers are pure (no database writes)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from contracts.models import Contract, HandoverLot, ItemKind, LotCase, LotStatus, UnitPrice
from registry.models import EventType
from vietnamese.words import amount_in_words

KIND_FIELD = {
    ItemKind.CASE_KEYED: "keyed",
    ItemKind.PAGE_SCANNED: "pages",
    ItemKind.CASE_ATTACHED: "attached",
}
KINDS_VI = {
    ItemKind.CASE_KEYED: "Hồ sơ nhập liệu",
    ItemKind.PAGE_SCANNED: "Trang quét",
    ItemKind.CASE_ATTACHED: "Hồ sơ gắn tệp",
}
UNITS_VI = {ItemKind.CASE_KEYED: "hồ sơ", ItemKind.PAGE_SCANNED: "trang", ItemKind.CASE_ATTACHED: "hồ sơ"}


def price_row(prices: list[UnitPrice], kind: str, phase: int | None, event_type: str) -> UnitPrice | None:
    """The most specific price: for the phase and event type, the phase, the event type, then any."""
    for want_phase, want_type in ((phase, event_type), (phase, ""), (None, event_type), (None, "")):
        for p in prices:
            if p.kind == kind and p.phase == want_phase and p.event_type == want_type:
                return p
    return None


def price_of(prices: list[UnitPrice], kind: str, phase: int | None, event_type: str) -> int | None:
    row = price_row(prices, kind, phase, event_type)
    return row.price if row else None


@dataclass
class Line:
    kind: str
    phase: int | None
    event_type: str
    quantity: int
    price: int | None
    amount: int

    @property
    def kind_vi(self) -> str:
        return KINDS_VI[ItemKind(self.kind)]

    @property
    def unit_vi(self) -> str:
        return UNITS_VI[ItemKind(self.kind)]

    @property
    def kind_label(self) -> str:
        return str(ItemKind(self.kind).label)

    @property
    def scope_label(self) -> str:
        """The price's scope in the active language (the PDF and Excel use `scope_vi`)."""
        from django.utils.translation import gettext as _

        parts = [
            _("phase %(n)s") % {"n": self.phase} if self.phase else "",
            EventType(self.event_type).label if self.event_type else "",
        ]
        return ", ".join(str(p) for p in parts if p) or "–"

    @property
    def scope_vi(self) -> str:
        parts = [
            f"giai đoạn {self.phase}" if self.phase else "",
            EventType(self.event_type).label if self.event_type else "",
        ]
        return ", ".join(str(p) for p in parts if p) or "–"


@dataclass
class LotRow:
    lot: HandoverLot
    cases: int
    volumes: dict[str, int]
    amount: int


@dataclass
class Statement:
    contract: Contract
    date_from: date | None
    date_to: date | None
    lines: list[Line]
    lots: list[LotRow]  # every lot decided in the period, accepted or returned
    handed_over: dict[str, int]  # volumes of the lots decided in the period, by item kind
    rejected: dict[str, int]  # of those, in returned lots (not paid)
    accepted: dict[str, int]  # handed over minus rejected
    total: int  # accepted volume × unit prices
    previous: int  # accepted before the period (same prices)
    payable: int  # the total, within what the ceiling leaves after `previous`
    unpriced: list[Line] = field(default_factory=list)

    @property
    def ceiling_left(self) -> int:
        return max(self.contract.ceiling - self.previous - self.payable, 0)

    @property
    def payable_words(self) -> str:
        return amount_in_words(self.payable) + " đồng"

    @property
    def accepted_lots(self) -> list[LotRow]:
        return [r for r in self.lots if r.lot.status == LotStatus.ACCEPTED]

    @property
    def returned_lots(self) -> list[LotRow]:
        return [r for r in self.lots if r.lot.status == LotStatus.RETURNED]

    @property
    def volume_labels(self) -> list[tuple[str, int, int, int]]:
        """(item kind in the active language, handed over, in rejected lots, accepted) for the page."""
        return [(str(k.label), self.handed_over[k], self.rejected[k], self.accepted[k]) for k in ItemKind]

    @property
    def volume_rows(self) -> list[tuple[str, str, int, int, int]]:
        return [
            (KINDS_VI[k], UNITS_VI[k], self.handed_over[k], self.rejected[k], self.accepted[k])
            for k in ItemKind
        ]


def _bounds(date_from: date | None, date_to: date | None) -> dict[str, datetime]:
    tz = timezone.get_current_timezone()
    out = {}
    if date_from:
        out["decided_at__gte"] = datetime.combine(date_from, time.min, tzinfo=tz)
    if date_to:
        out["decided_at__lte"] = datetime.combine(date_to, time.max, tzinfo=tz)
    return out


def _priced(contract: Contract, lot_ids: list[int], prices: list[UnitPrice]) -> tuple[dict, dict[int, int]]:
    """(quantities by (kind, phase, event type), amount by lot) of the lots' cases."""
    quantities: dict[tuple[str, int | None, str], int] = defaultdict(int)
    by_lot: dict[int, int] = defaultdict(int)
    rows = (
        LotCase.objects.filter(lot_id__in=lot_ids)
        .values("lot_id", "phase", "event_type")
        .annotate(keyed=Sum("keyed"), pages=Sum("pages"), attached=Sum("attached"))
        .order_by()
    )
    for values in rows:
        row: dict[str, Any] = dict(values)
        for kind, column in KIND_FIELD.items():
            qty = row[column] or 0
            if qty:
                quantities[(kind, row["phase"], row["event_type"])] += qty
                by_lot[row["lot_id"]] += qty * (price_of(prices, kind, row["phase"], row["event_type"]) or 0)
    return quantities, by_lot


def payment_statement(
    *, contract: Contract, date_from: date | None = None, date_to: date | None = None
) -> Statement:
    """The statement of the lots decided from `date_from` to `date_to` (both included; None: the
    whole contract, for its closing). Accepted volume = handed over − in rejected lots; the amount
    is each accepted quantity × its unit price; the payable amount stops at the ceiling."""
    prices = list(contract.prices.all())
    decided = list(
        HandoverLot.objects.filter(
            contract=contract,
            status__in=[LotStatus.ACCEPTED, LotStatus.RETURNED],
            **_bounds(date_from, date_to),
        )
        .select_related("replaces")
        .order_by("decided_at", "number")
    )
    accepted_ids = [lot.pk for lot in decided if lot.status == LotStatus.ACCEPTED]
    quantities, _by_lot = _priced(contract, accepted_ids, prices)
    # One line per price of the contract that applies (the volumes it prices summed), and one per
    # (kind, phase, event type) that no price covers.
    by_price: dict[tuple[str, int | None, str], tuple[int, int | None]] = {}
    for (kind, phase, event_type), qty in quantities.items():
        row = price_row(prices, kind, phase, event_type)
        key = (kind, row.phase, row.event_type) if row else (kind, phase, event_type)
        before, _price = by_price.get(key, (0, None))
        by_price[key] = (before + qty, row.price if row else None)
    order = list(ItemKind)
    lines = [
        Line(kind, phase, event_type, qty, price, qty * (price or 0))
        for (kind, phase, event_type), (qty, price) in sorted(
            by_price.items(), key=lambda i: (order.index(ItemKind(i[0][0])), i[0][1] or 0, i[0][2])
        )
    ]
    volumes = {
        lot_id: row
        for lot_id, *row in LotCase.objects.filter(lot__in=decided)
        .values("lot_id")
        .annotate(n=Count("pk"), k=Sum("keyed"), p=Sum("pages"), a=Sum("attached"))
        .values_list("lot_id", "n", "k", "p", "a")
        .order_by()
    }
    _q, amounts = _priced(contract, [lot.pk for lot in decided], prices)
    lots = []
    handed = dict.fromkeys(ItemKind.values, 0)
    rejected = dict.fromkeys(ItemKind.values, 0)
    for lot in decided:
        n, k, p, a = volumes.get(lot.pk, (0, 0, 0, 0))
        vol: dict[str, int] = {
            ItemKind.CASE_KEYED: k or 0,
            ItemKind.PAGE_SCANNED: p or 0,
            ItemKind.CASE_ATTACHED: a or 0,
        }
        for kind, qty in vol.items():
            handed[kind] += qty
            if lot.status == LotStatus.RETURNED:
                rejected[kind] += qty
        lots.append(
            LotRow(lot, n or 0, vol, amounts.get(lot.pk, 0) if lot.status == LotStatus.ACCEPTED else 0)
        )
    total = sum(line.amount for line in lines)
    previous = 0
    if date_from is not None:
        earlier = HandoverLot.objects.filter(
            contract=contract,
            status=LotStatus.ACCEPTED,
            decided_at__lt=_bounds(date_from, None)["decided_at__gte"],
        )
        _q2, prev_amounts = _priced(contract, list(earlier.values_list("pk", flat=True)), prices)
        previous = sum(prev_amounts.values())
    payable = min(total, max(contract.ceiling - previous, 0))
    return Statement(
        contract=contract,
        date_from=date_from,
        date_to=date_to,
        lines=lines,
        lots=lots,
        handed_over=handed,
        rejected=rejected,
        accepted={k: handed[k] - rejected[k] for k in ItemKind.values},
        total=total,
        previous=previous,
        payable=payable,
        unpriced=[line for line in lines if line.price is None],
    )


def dong(value: int | None) -> str:
    """An amount as Vietnamese papers write it: 1.234.500."""
    return "–" if value is None else f"{value:,}".replace(",", ".")


def period_vi(statement: Statement) -> str:
    if statement.date_from is None and statement.date_to is None:
        return "toàn bộ thời gian thực hiện hợp đồng"
    start = f"{statement.date_from:%d/%m/%Y}" if statement.date_from else "đầu hợp đồng"
    end = f"{statement.date_to:%d/%m/%Y}" if statement.date_to else "nay"
    return f"từ {start} đến {end}"


def statement_xlsx(statement: Statement) -> bytes:
    """The statement as an Excel workbook: the amounts by item kind and price, and the lots."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    ws = book.active
    ws.title = "Bang ke thanh toan"
    c = statement.contract
    ws.append(["BẢNG KÊ KHỐI LƯỢNG NGHIỆM THU VÀ GIÁ TRỊ THANH TOÁN"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Hợp đồng số {c.number} – {c.contractor.name}"])
    ws.append([f"Kỳ: {period_vi(statement)}"])
    ws.append([])
    ws.append(
        [
            "Loại sản phẩm",
            "Phạm vi",
            "Đơn vị tính",
            "Khối lượng nghiệm thu",
            "Đơn giá (đồng)",
            "Thành tiền (đồng)",
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    for line in statement.lines:
        ws.append([line.kind_vi, line.scope_vi, line.unit_vi, line.quantity, line.price, line.amount])
    ws.append(["Tổng cộng", "", "", None, None, statement.total])
    ws.append(["Đã nghiệm thu trước kỳ", "", "", None, None, statement.previous])
    ws.append(["Giá trị thanh toán kỳ này (trong trần hợp đồng)", "", "", None, None, statement.payable])
    for row in ws.iter_rows(min_row=ws.max_row - 2):
        row[0].font = bold
    ws.append(["Bằng chữ: " + statement.payable_words])
    for col, width in zip("ABCDEF", (34, 28, 12, 22, 16, 20), strict=True):
        ws.column_dimensions[col].width = width
    lots = book.create_sheet("Cac lo")
    lots.append(
        [
            "Lô",
            "Ngày bàn giao",
            "Số hồ sơ",
            "Cỡ mẫu",
            "Ac",
            "Re",
            "Hồ sơ lỗi",
            "Kết quả",
            "Hạt giống (seed)",
            "Nhập liệu",
            "Trang quét",
            "Gắn tệp",
            "Thành tiền (đồng)",
        ]
    )
    for cell in lots[1]:
        cell.font = bold
    for row in statement.lots:
        lot = row.lot
        lots.append([
            lot.number, timezone.localtime(lot.handed_over_at).strftime("%d/%m/%Y"), row.cases,
            lot.sample_size,
            lot.accept_no, lot.reject_no, lot.nonconforming,
            "Đạt" if lot.status == LotStatus.ACCEPTED else "Không đạt, trả lại",
            str(lot.seed), row.volumes[ItemKind.CASE_KEYED], row.volumes[ItemKind.PAGE_SCANNED],
            row.volumes[ItemKind.CASE_ATTACHED], row.amount,
        ])  # fmt: skip
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _font_dir() -> Path:
    return Path(settings.BASE_DIR) / "printing" / "fonts"


def statement_pdf(statement: Statement, *, closing: bool = False) -> bytes:
    """The acceptance record (biên bản nghiệm thu) of the period, or with `closing` the contract's
    liquidation record (biên bản thanh lý): lots, sample results, volumes, amounts, signatures."""
    from weasyprint import HTML

    fonts = _font_dir()
    html = render_to_string(
        "contracts/statement_pdf.html",
        {
            "s": statement,
            "c": statement.contract,
            "closing": closing,
            "period": period_vi(statement),
            "today": timezone.localdate(),
            "font_regular": (fonts / "LiberationSerif-Regular.ttf").as_uri(),
            "font_bold": (fonts / "LiberationSerif-Bold.ttf").as_uri(),
            "font_italic": (fonts / "LiberationSerif-Italic.ttf").as_uri(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
