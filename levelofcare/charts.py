"""Charts drawn on the server as SVG: no JavaScript, no CDN, safe under the CSP.

Standard library only (no Django). Two parts:

- **A small generic core** other charts can reuse: `escape` (every text node and
  attribute value goes through it), `element` (one SVG element as a string),
  `LinearScale` (data to drawing units) and `ticks`.
- **The score trend chart** (`trend_chart`): an instrument's totals over time on
  its severity bands, with the level of care at each point as a strip under it.
  Nothing is signalled by colour alone: each band carries its name, each point
  its total, each strip segment the level's abbreviation (and a pattern), and a
  legend spells the abbreviations out. The caller renders `TrendChart.svg` as
  safe HTML: every piece of text in it was escaped here.

The drawing is `viewBox`-sized (480 units wide, fonts of 13-15 units), so it
scales to the width of its container and stays readable on a 390 px phone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

__all__ = [
    "BandLike",
    "LevelKey",
    "LinearScale",
    "TrendChart",
    "TrendPoint",
    "element",
    "escape",
    "short_date",
    "ticks",
    "trend_chart",
]

# --- generic core -----------------------------------------------------------------

# Month abbreviations, the same in every locale.
_MONTHS: Final = tuple(
    "JanFebMarAprMayJunJulAugSepOctNovDec"[i : i + 3] for i in range(0, 36, 3)
)
_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def escape(text: object) -> str:
    """`text` fit for an SVG/HTML text node or a double-quoted attribute value."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def _number(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros ("12.5", "40")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def element(tag: str, attrs: dict[str, object] | None = None, *children: str) -> str:
    """One element: attribute values are escaped (numbers rounded); `children`
    are already-built markup (use `escape` for text). An attribute whose value
    is None is left out."""
    parts = [tag]
    for name, value in (attrs or {}).items():
        if value is None:
            continue
        shown = _number(value) if isinstance(value, float) else str(value)
        parts.append(f'{name}="{escape(shown)}"')
    opening = " ".join(parts)
    if not children:
        return f"<{opening}/>"
    return f"<{opening}>{''.join(children)}</{tag}>"


@dataclass(frozen=True)
class LinearScale:
    """Maps the data interval [low, high] onto the drawing interval [start, end]
    (`end` may be below `start`: a y axis grows upwards). A zero-width domain
    maps everything to the middle."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        fraction = (value - self.low) / (self.high - self.low)
        return self.start + fraction * (self.end - self.start)


def ticks(high: int, *, step: int) -> list[int]:
    """0, step, 2*step ... up to `high`, and `high` itself when it is far enough
    from the last multiple (more than half a step)."""
    values = list(range(0, high + 1, step))
    if high - values[-1] > step // 2:
        values.append(high)
    return values


def short_date(day: date, *, with_year: bool = False) -> str:
    """ "3 Mar" (or "3 Mar 2026"), the same in every locale."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


# --- the score trend chart --------------------------------------------------------


class BandLike(Protocol):
    """A severity band as the catalogue declares it: totals up to `top`."""

    @property
    def top(self) -> int: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class LevelKey:
    """A level of care as the strip names it: `short` inside a segment, `name`
    in the legend. Levels are passed most intensive first; each gets its own
    pattern by position."""

    key: str  # "inpatient"
    short: str  # "IP"
    name: str  # "Inpatient"


@dataclass(frozen=True)
class TrendPoint:
    """One total on a day, with the level of care at that point (None: none yet)
    and whether that level was decided (True) or only recommended (False)."""

    on: date
    total: int
    level: str | None = None
    decided: bool = True


@dataclass(frozen=True)
class TrendChart:
    svg: str  # markup; every text in it is escaped
    title: str  # "PHQ-9 totals over time"
    summary: str  # "PHQ-9 from 17 on 3 Mar to 8 on 14 Apr; response"


WIDTH: Final = 480
PLOT_LEFT: Final = 40
PLOT_RIGHT: Final = WIDTH - 12
PLOT_TOP: Final = 16
PLOT_HEIGHT: Final = 230
STRIP_HEIGHT: Final = 30
LEGEND_ROW: Final = 22
NOT_DECIDED_MARK: Final = "*"
# Light fills, lightest for the mildest band; each band is also named in text.
BAND_FILLS: Final = ("#f1f8f4", "#f8f9e8", "#fdf3e1", "#fbe7dc", "#f8dcdc", "#f3cfd3")
# Strip patterns by level position (most intensive first): cross-hatch,
# diagonal lines, dots.
_PATTERNS: Final = (
    '<path d="M0 0L8 8M8 0L0 8" stroke="#6c2a30" stroke-width="1.4"/>',
    '<path d="M-2 2L2 -2M0 8L8 0M6 10L10 6" stroke="#7a4300" stroke-width="1.4"/>',
    '<circle cx="4" cy="4" r="1.3" fill="#0f5132"/>',
)
_PATTERN_BACKGROUNDS: Final = ("#f6dfe1", "#fbe9d3", "#dcefe4")


def _summary(
    name: str, points: Sequence[TrendPoint], verdict: str, with_year: bool
) -> str:
    if not points:
        return f"No {name} scores yet"
    first, last = points[0], points[-1]
    if len(points) == 1:
        text = f"{name} {first.total} on {short_date(first.on, with_year=with_year)}"
    else:
        text = (
            f"{name} from {first.total} on {short_date(first.on, with_year=with_year)}"
            f" to {last.total} on {short_date(last.on, with_year=with_year)}"
        )
    return f"{text}; {verdict}" if verdict else text


def _x_labels(count: int, most: int = 5) -> list[int]:
    """Indexes of the points whose dates label the x axis: all of them up to
    `most`, else the first, the last and evenly spaced ones between."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def trend_chart(
    *,
    chart_id: str,
    name: str,
    points: Sequence[TrendPoint],
    bands: Sequence[BandLike],
    max_total: int,
    levels: Sequence[LevelKey] = (),
    verdict: str = "",
) -> TrendChart:
    """An instrument's totals over time as an SVG chart.

    1. `chart_id` prefixes every id in the drawing (two charts on a page);
       `points` are oldest first; `bands` lowest first, as the catalogue has them.
    2. Each band is a shaded rectangle from half a point above the previous
       band's top to half a point above its own (so a total sits inside its
       band), named in text at its left edge.
    3. The x axis is time: a point sits at its date; all on one day sit in the
       middle. The line joins the points; each point is a marker with its total
       written above it and a `<title>` (date, total, band, level).
    4. Under the chart, a strip shows the level at each point (segments reach
       halfway to the neighbouring points), each with its abbreviation and a
       pattern; "*" marks a level recommended and not yet decided. A legend
       under the strip spells out the abbreviations used.
    5. `role="img"` with a title and a description (`summary`: first and last
       totals and `verdict`) that screen readers announce; the data table next
       to it is the caller's.
    """
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a plain identifier, got {chart_id!r}")
    points = list(points)
    with_year = len({p.on.year for p in points}) > 1
    title = f"{name} totals over time"
    summary = _summary(name, points, verdict, with_year)
    by_key = {level.key: (i, level) for i, level in enumerate(levels)}
    used = [level for level in levels if any(p.level == level.key for p in points)]
    undecided = any(p.level is not None and not p.decided for p in points)
    legend_rows = len(used) + (1 if undecided else 0)
    strip_top = PLOT_TOP + PLOT_HEIGHT + 30
    legend_top = strip_top + STRIP_HEIGHT + 20
    height = legend_top + legend_rows * LEGEND_ROW + (4 if legend_rows else -12)

    x = LinearScale(
        (points[0].on.toordinal() if points else 0),
        (points[-1].on.toordinal() if points else 0),
        PLOT_LEFT + 18,
        PLOT_RIGHT - 18,
    )
    y = LinearScale(0, max_total, PLOT_TOP + PLOT_HEIGHT, PLOT_TOP)
    parts: list[str] = [
        element("title", {"id": f"{chart_id}-title"}, escape(title)),
        element("desc", {"id": f"{chart_id}-desc"}, escape(summary)),
    ]
    if levels:
        parts.append(_patterns(chart_id=chart_id, levels=levels))
    coords = [(x(p.on.toordinal()), y(p.total)) for p in points]
    parts.append(_bands(bands=bands, max_total=max_total, y=y, coords=coords))
    parts.append(
        _axes(points=points, max_total=max_total, x=x, y=y, with_year=with_year)
    )
    if not points:
        parts.append(
            element(
                "text",
                {
                    "x": (PLOT_LEFT + PLOT_RIGHT) / 2,
                    "y": PLOT_TOP + PLOT_HEIGHT / 2,
                    "text-anchor": "middle",
                    "font-size": 15,
                    "fill": "#212529",
                },
                escape(f"No {name} scores yet."),
            )
        )
    else:
        parts.append(
            _line_and_points(
                name=name, points=points, coords=coords, bands=bands, by_key=by_key
            )
        )
        if levels:
            parts.append(
                _level_strip(
                    chart_id=chart_id,
                    coords=[c[0] for c in coords],
                    points=points,
                    by_key=by_key,
                    top=strip_top,
                )
            )
    if legend_rows:
        parts.append(
            _legend(chart_id=chart_id, used=used, undecided=undecided, top=legend_top)
        )
    svg = element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "trend-chart",
            "id": chart_id,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "preserveAspectRatio": "xMidYMin meet",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": "system-ui, sans-serif",
        },
        *parts,
    )
    return TrendChart(svg=svg, title=title, summary=summary)


def _patterns(*, chart_id: str, levels: Sequence[LevelKey]) -> str:
    """One fill pattern per level (by position), for the strip and the legend."""
    return element(
        "defs",
        {},
        *(
            element(
                "pattern",
                {
                    "id": f"{chart_id}-level-{level.key}",
                    "width": 8,
                    "height": 8,
                    "patternUnits": "userSpaceOnUse",
                },
                element(
                    "rect",
                    {
                        "width": 8,
                        "height": 8,
                        "fill": _PATTERN_BACKGROUNDS[i % len(_PATTERN_BACKGROUNDS)],
                    },
                ),
                _PATTERNS[i % len(_PATTERNS)],
            )
            for i, level in enumerate(levels)
        ),
    )


def _label_side(
    *, text: str, top_y: float, coords: Sequence[tuple[float, float]]
) -> str:
    """Where a band's name goes: its left edge, or its right edge when a point
    (with its total written above it) would cover it there and not on the right."""

    def covered(left: float, right: float) -> bool:
        return any(
            left - 8 <= px <= right + 8 and top_y - 8 <= py <= top_y + 40
            for px, py in coords
        )

    width = 7 * len(text) + 8  # about 7 units per character at 12 units
    if not covered(PLOT_LEFT, PLOT_LEFT + width):
        return "start"
    return "end" if not covered(PLOT_RIGHT - width, PLOT_RIGHT) else "start"


def _bands(
    *,
    bands: Sequence[BandLike],
    max_total: int,
    y: LinearScale,
    coords: Sequence[tuple[float, float]] = (),
) -> str:
    """Shaded rectangles, each named at its left edge (or its right edge, out of
    the way of the points in `coords`)."""
    band_parts: list[str] = []
    previous_top = -1
    for i, band in enumerate(bands):
        low = 0.0 if previous_top < 0 else previous_top + 0.5
        high = float(max_total) if band.top >= max_total else band.top + 0.5
        previous_top = band.top
        top_y, bottom_y = y(high), y(low)
        side = _label_side(text=band.label, top_y=top_y, coords=coords)
        band_parts.append(
            element(
                "g",
                {"class": "chart-band", "data-band": band.label},
                element(
                    "rect",
                    {
                        "x": PLOT_LEFT,
                        "y": top_y,
                        "width": PLOT_RIGHT - PLOT_LEFT,
                        "height": bottom_y - top_y,
                        "fill": BAND_FILLS[i % len(BAND_FILLS)],
                    },
                ),
                element(
                    "text",
                    {
                        "x": PLOT_LEFT + 4 if side == "start" else PLOT_RIGHT - 4,
                        "y": top_y + 13,
                        "text-anchor": side,
                        "class": "chart-band-label",
                        "font-size": 12,
                        "fill": "#495057",
                    },
                    escape(band.label),
                ),
            )
        )
    return element("g", {"class": "chart-bands"}, *band_parts)


def _axes(
    *,
    points: Sequence[TrendPoint],
    max_total: int,
    x: LinearScale,
    y: LinearScale,
    with_year: bool,
) -> str:
    """The axis lines, y ticks every 5 points, and up to five dates."""
    bottom = PLOT_TOP + PLOT_HEIGHT
    line = {"stroke": "#495057"}
    axis = [
        element(
            "line",
            {"x1": PLOT_LEFT, "y1": bottom, "x2": PLOT_RIGHT, "y2": bottom, **line},
        ),
        element(
            "line",
            {"x1": PLOT_LEFT, "y1": PLOT_TOP, "x2": PLOT_LEFT, "y2": bottom, **line},
        ),
    ]
    label = {"font-size": 13, "fill": "#212529"}
    for value in ticks(max_total, step=5):
        axis.append(
            element(
                "text",
                {"x": PLOT_LEFT - 6, "y": y(value) + 5, "text-anchor": "end", **label},
                escape(value),
            )
        )
    last = len(points) - 1
    for i in _x_labels(len(points)):
        # The first and last dates reach out towards the plot's edges.
        anchor = "middle"
        if last > 0 and i in (0, last):
            anchor = "start" if i == 0 else "end"
        nudge = {"start": -12, "end": 12}.get(anchor, 0)
        axis.append(
            element(
                "text",
                {
                    "x": x(points[i].on.toordinal()) + nudge,
                    "y": bottom + 20,
                    "text-anchor": anchor,
                    **label,
                },
                escape(short_date(points[i].on, with_year=with_year)),
            )
        )
    return element("g", {"class": "chart-axes", "aria-hidden": "true"}, *axis)


def _point_title(
    *,
    name: str,
    point: TrendPoint,
    bands: Sequence[BandLike],
    by_key: dict[str, tuple[int, LevelKey]],
) -> str:
    """ "3 Mar 2026: PHQ-9 17 (moderately severe), IOP (recommended)"."""
    tip = f"{short_date(point.on, with_year=True)}: {name} {point.total}"
    band = next((b for b in bands if point.total <= b.top), None)
    if band is not None:
        tip += f" ({band.label})"
    found = by_key.get(point.level or "")
    if found is not None:
        tip += f", {found[1].name}" + ("" if point.decided else " (recommended)")
    return tip


def _line_and_points(
    *,
    name: str,
    points: Sequence[TrendPoint],
    coords: Sequence[tuple[float, float]],
    bands: Sequence[BandLike],
    by_key: dict[str, tuple[int, LevelKey]],
) -> str:
    """The line through the points, a marker per point with its total above it
    (when there are 12 points or fewer) and a tooltip title."""
    parts: list[str] = []
    if len(coords) > 1:
        parts.append(
            element(
                "polyline",
                {
                    "class": "chart-line",
                    "points": " ".join(
                        f"{_number(px)},{_number(py)}" for px, py in coords
                    ),
                    "fill": "none",
                    "stroke": "#0b3d91",
                    "stroke-width": 2.5,
                },
            )
        )
    show_values = len(points) <= 12
    for point, (px, py) in zip(points, coords, strict=True):
        children = [
            element(
                "title",
                {},
                escape(
                    _point_title(name=name, point=point, bands=bands, by_key=by_key)
                ),
            ),
            element(
                "circle",
                {
                    "cx": px,
                    "cy": py,
                    "r": 5.5,
                    "fill": "#0b3d91",
                    "stroke": "#fff",
                    "stroke-width": 1.5,
                },
            ),
        ]
        if show_values:
            children.append(
                element(
                    "text",
                    {
                        "x": px,
                        "y": py - 10,
                        "text-anchor": "middle",
                        "font-size": 14,
                        "font-weight": 700,
                        "fill": "#0b3d91",
                        "stroke": "#fff",
                        "stroke-width": 3,
                        "paint-order": "stroke",
                    },
                    escape(point.total),
                )
            )
        parts.append(
            element(
                "g",
                {
                    "class": "chart-point",
                    "data-total": point.total,
                    "data-date": point.on.isoformat(),
                },
                *children,
            )
        )
    return element("g", {"class": "chart-points"}, *parts)


def _level_strip(
    *,
    chart_id: str,
    coords: Sequence[float],
    points: Sequence[TrendPoint],
    by_key: dict[str, tuple[int, LevelKey]],
    top: float,
) -> str:
    """Segments from halfway to the previous point to halfway to the next one."""
    edges = [float(PLOT_LEFT)]
    edges += [(a + b) / 2 for a, b in itertools.pairwise(coords)]
    edges.append(float(PLOT_RIGHT))
    segments = [
        element(
            "text",
            {
                "x": PLOT_LEFT - 6,
                "y": top + 20,
                "text-anchor": "end",
                "font-size": 12,
                "fill": "#212529",
            },
            "Level",
        )
    ]
    for i, point in enumerate(points):
        left, right = edges[i], edges[i + 1]
        if right - left <= 0:
            continue
        found = by_key.get(point.level or "")
        short = "—" if found is None else found[1].short
        if found is not None and not point.decided:
            short += NOT_DECIDED_MARK
        fill = "#fff" if found is None else f"url(#{chart_id}-level-{found[1].key})"
        children = [
            element(
                "rect",
                {
                    "x": left,
                    "y": top,
                    "width": right - left,
                    "height": STRIP_HEIGHT,
                    "fill": fill,
                    "stroke": "#fff",
                    "stroke-width": 1,
                },
            )
        ]
        if right - left >= 26:
            children.append(
                element(
                    "text",
                    {
                        "x": (left + right) / 2,
                        "y": top + 20,
                        "text-anchor": "middle",
                        "font-size": 13,
                        "font-weight": 700,
                        "fill": "#212529",
                        "stroke": "#fff",
                        "stroke-width": 3,
                        "paint-order": "stroke",
                    },
                    escape(short),
                )
            )
        segments.append(
            element(
                "g",
                {"class": "chart-level", "data-level": point.level or ""},
                *children,
            )
        )
    return element(
        "g", {"class": "chart-level-strip", "aria-hidden": "true"}, *segments
    )


def _legend(
    *,
    chart_id: str,
    used: Iterable[LevelKey],
    undecided: bool,
    top: float,
) -> str:
    rows: list[str] = []
    row_top = top
    for level in used:
        rows.append(
            element(
                "g",
                {"class": "chart-legend-item"},
                element(
                    "rect",
                    {
                        "x": PLOT_LEFT,
                        "y": row_top,
                        "width": 28,
                        "height": 16,
                        "fill": f"url(#{chart_id}-level-{level.key})",
                        "stroke": "#adb5bd",
                    },
                ),
                element(
                    "text",
                    {
                        "x": PLOT_LEFT + 36,
                        "y": row_top + 13,
                        "font-size": 13,
                        "fill": "#212529",
                    },
                    escape(f"{level.short}: {level.name}"),
                ),
            )
        )
        row_top += LEGEND_ROW
    if undecided:
        rows.append(
            element(
                "text",
                {
                    "x": PLOT_LEFT,
                    "y": row_top + 13,
                    "font-size": 13,
                    "fill": "#212529",
                    "class": "chart-legend-item",
                },
                escape(f"{NOT_DECIDED_MARK} recommended, not (yet) decided"),
            )
        )
    return element("g", {"class": "chart-legend", "aria-hidden": "true"}, *rows)
