"""Small server-side SVG charts for the reports (standard library only).

Accessible by construction: `role="img"` with a `<title>` and `<desc>` (the
table next to the chart holds every number), a `viewBox` so it scales to any
width, and every series drawn with its own pattern and named in the legend, so
nothing is told by colour alone. All text is escaped here; the caller may mark
the result safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from levelofcare.reports.tables import Table

WIDTH: Final = 720
PLOT_HEIGHT: Final = 220
TOP: Final = 16
LEFT: Final = 56
RIGHT: Final = 12
LEGEND_ROW: Final = 22
# Group labels are turned 40 degrees; room for them, from their length.
CHAR_WIDTH: Final = 7.0
SIN_40: Final = 0.643
COS_40: Final = 0.766

# One fill per series: (pattern body, colour). Patterns differ in shape, not
# only in colour (solid, diagonal lines, dots, cross-hatch, horizontal and
# vertical lines): the service gaps by reason have six series.
PATTERNS: Final = (
    ('<rect width="8" height="8" fill="{c}"/>', "#1f4e79"),
    (
        '<rect width="8" height="8" fill="#fff"/>'
        '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{c}" '
        'stroke-width="2"/>',
        "#b35900",
    ),
    (
        '<rect width="8" height="8" fill="#fff"/><circle cx="4" cy="4" r="2" '
        'fill="{c}"/>',
        "#2e6b30",
    ),
    (
        '<rect width="8" height="8" fill="#fff"/>'
        '<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{c}" stroke-width="1.5"/>',
        "#6a1b9a",
    ),
    (
        '<rect width="8" height="8" fill="#fff"/>'
        '<path d="M0,4 h8" stroke="{c}" stroke-width="2"/>',
        "#444444",
    ),
    (
        '<rect width="8" height="8" fill="#fff"/>'
        '<path d="M4,0 v8" stroke="{c}" stroke-width="2"/>',
        "#8b1a1a",
    ),
)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]  # None: no bar (unknown or suppressed)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2 or 5 times a power of 10)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _number(value: float, unit: str) -> str:
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".strip()


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
) -> str:
    """Grouped bars: one group per label, one bar per series, a legend below."""
    groups = max(len(labels), 1)
    longest = max((len(label) for label in labels), default=0) * CHAR_WIDTH
    left = max(LEFT, round(longest * COS_40 - (WIDTH - LEFT) / groups / 2 + 8))
    label_height = round(longest * SIN_40) + 28
    plot_width = WIDTH - left - RIGHT
    group_width = plot_width / groups
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1.0)
    top_value = _nice_max(
        max((v for s in series for v in s.values if v is not None), default=0.0)
    )
    legend_rows = len(series)
    height = TOP + PLOT_HEIGHT + label_height + legend_rows * LEGEND_ROW + 8
    base = TOP + PLOT_HEIGHT
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        "<defs>",
    ]
    for i in range(len(series)):
        body, colour = PATTERNS[i % len(PATTERNS)]
        out.append(
            f'<pattern id="{chart_id}-p{i}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse">{body.format(c=colour)}</pattern>'
        )
    out.append("</defs>")
    # Axis and grid: 0, half, top.
    for fraction in (0.0, 0.5, 1.0):
        y = base - fraction * PLOT_HEIGHT
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#999" stroke-width="{1 if fraction == 0 else 0.5}"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#222">'
            f"{escape(_number(top_value * fraction, unit))}</text>"
        )
    for g, label in enumerate(labels):
        x0 = left + g * group_width + group_width * 0.1
        for i, s in enumerate(series):
            value = s.values[g] if g < len(s.values) else None
            if value is None or value <= 0:
                continue
            h = value / top_value * PLOT_HEIGHT
            x = x0 + i * bar_width
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_width:.1f}" '
                f'height="{h:.1f}" fill="url(#{chart_id}-p{i})" '
                f'stroke="{PATTERNS[i % len(PATTERNS)][1]}" stroke-width="1">'
                f"<title>{escape(s.name)}, {escape(label)}: "
                f"{escape(_number(value, unit))}</title></rect>"
            )
        cx = left + (g + 0.5) * group_width
        out.append(
            f'<text x="{cx:.1f}" y="{base + 14}" font-size="11" fill="#222" '
            f'text-anchor="end" transform="rotate(-40 {cx:.1f} {base + 14})">'
            f"{escape(label)}</text>"
        )
    legend_top = base + label_height
    for i, s in enumerate(series):
        y = legend_top + i * LEGEND_ROW
        out.append(
            f'<rect x="{left}" y="{y}" width="16" height="16" '
            f'fill="url(#{chart_id}-p{i})" '
            f'stroke="{PATTERNS[i % len(PATTERNS)][1]}"/>'
        )
        out.append(
            f'<text x="{left + 24}" y="{y + 13}" font-size="13" fill="#222">'
            f"{escape(s.name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def table_chart(table: Table, *, chart_id: str) -> str:
    """The chart a report table asks for (its `chart`), from its cells (a
    suppressed or unknown cell draws no bar). Empty when it asks for none."""
    spec = table.chart
    if spec is None:
        return ""
    labels = [" · ".join(row[i].text for i in spec.labels) for row in table.rows]
    series = [
        Series(table.columns[i], tuple(row[i].number for row in table.rows))
        for i in spec.series
    ]
    names = ", ".join(s.name for s in series)
    return bar_chart(
        chart_id=chart_id,
        title=f"Chart: {table.title}",
        description=(
            f"Bar chart of {names} for each row of the table "
            f"“{table.title}”; the table holds the exact numbers."
        ),
        labels=labels,
        series=series,
        unit=spec.unit,
    )
