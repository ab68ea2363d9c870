"""Small server-rendered SVG charts: no JavaScript library, nothing loaded from outside."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

STATE_COLORS = {
    "collected": "#c9ced6",
    "scanned": "#9db4d6",
    "entered": "#6f93c9",
    "attached": "#4d76b5",
    "reviewed": "#2f5c9e",
    "approved": "#3a9a5b",
    "transferred": "#1f7a3a",
    "rejected": "#d98c8c",
    "duplicate": "#b85c5c",
    "crossed_out": "#9e9e9e",
}
SERIES_COLORS = ["#8fa9d0", "#2f5c9e", "#1f7a3a", "#9a6700", "#6f42c1"]


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    labels: list[str], series: list[tuple[str, list[int]]], *, title: str, width: int = 760, height: int = 230
) -> SafeString:
    """Grouped vertical bars: a group per label (e.g. a day), a bar per series (e.g. entered, approved)."""
    left, right, top, bottom = 44, 10, 28, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for _, values in series for v in values), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):
        value = top_value * i // 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value}</text>')
    every = max(1, len(labels) // 15)
    for g, label in enumerate(labels):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top_value if top_value else 0
            color = SERIES_COLORS[s % len(SERIES_COLORS)]
            parts.append(
                f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{escape(label)} · {escape(name)}: {value}</title></rect>"
            )
        if g % every == 0:
            parts.append(
                f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle" class="tick">{escape(label)}</text>'
            )
    x = left
    for s, (name, _values) in enumerate(series):
        color = SERIES_COLORS[s % len(SERIES_COLORS)]
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}" class="tick">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def stacked_bars(
    rows: list[tuple[str, dict[str, int]]], states: list[tuple[str, str]], *, title: str, width: int = 760
) -> SafeString:
    """One horizontal bar per row (e.g. a unit), split by state, as shares of the row's cases."""
    row_h, left, top = 22, 180, 28
    height = top + row_h * len(rows) + 34
    plot_w = width - left - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, counts) in enumerate(rows):
        y = top + i * row_h
        total = sum(counts.get(s, 0) for s, _ in states)
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" class="tick">{escape(label[:28])}</text>'
        )
        x = float(left)
        for state, state_label in states:
            n = counts.get(state, 0)
            if not n or not total:
                continue
            w = plot_w * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{STATE_COLORS[state]}">'
                f"<title>{escape(label)} · {escape(state_label)}: {n}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{left + plot_w + 6}" y="{y + 15}" class="tick">{total}</text>')
    x, y = 0, height - 12
    for state, state_label in states:
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{STATE_COLORS[state]}"/>')
        parts.append(f'<text x="{x + 13}" y="{y}" class="tick">{escape(state_label)}</text>')
        x += 22 + 6.5 * len(str(state_label))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
