"""levelofcare.charts: the server-drawn trend chart, table-driven (no database)."""

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from intake.catalogue import INSTRUMENTS
from levelofcare import charts
from levelofcare.charts import LevelKey, TrendPoint

NS = {"svg": "http://www.w3.org/2000/svg"}
PHQ9 = INSTRUMENTS["phq9"]
GAD7 = INSTRUMENTS["gad7"]
LEVELS = (
    LevelKey("inpatient", "IP", "Inpatient"),
    LevelKey("iop", "IOP", "Intensive outpatient"),
    LevelKey("outpatient", "OP", "Outpatient"),
)


def _chart(points, *, instrument=PHQ9, name="PHQ-9", verdict="", levels=LEVELS):
    return charts.trend_chart(
        chart_id="phq9-trend",
        name=name,
        points=points,
        bands=instrument.bands,
        max_total=instrument.max_total,
        levels=levels,
        verdict=verdict,
    )


def _tree(chart):
    return ET.fromstring(chart.svg)  # noqa: S314 - our own markup


def _texts(root, cls):
    return [
        "".join(g.itertext()).strip()
        for g in root.iter(f"{{{NS['svg']}}}g")
        if g.get("class") == cls
    ]


THREE = [
    TrendPoint(date(2026, 3, 3), 17, "iop", True),
    TrendPoint(date(2026, 3, 24), 12, "iop", True),
    TrendPoint(date(2026, 4, 14), 8, "outpatient", False),
]


@pytest.mark.parametrize(
    ("instrument", "expected"),
    [
        (
            PHQ9,
            [
                ("minimal", 0, 4.5),
                ("mild", 4.5, 9.5),
                ("moderate", 9.5, 14.5),
                ("moderately severe", 14.5, 19.5),
                ("severe", 19.5, 27),
            ],
        ),
        (
            GAD7,
            [
                ("minimal", 0, 4.5),
                ("mild", 4.5, 9.5),
                ("moderate", 9.5, 14.5),
                ("severe", 14.5, 21),
            ],
        ),
    ],
)
def test_each_band_is_a_named_rectangle_between_its_totals(instrument, expected):
    root = _tree(_chart(THREE, instrument=instrument))
    y = charts.LinearScale(
        0, instrument.max_total, charts.PLOT_TOP + charts.PLOT_HEIGHT, charts.PLOT_TOP
    )
    bands = [
        g for g in root.iter(f"{{{NS['svg']}}}g") if g.get("class") == "chart-band"
    ]
    assert [g.get("data-band") for g in bands] == [name for name, _, _ in expected]
    for group, (name, low, high) in zip(bands, expected, strict=True):
        rect = group.find("svg:rect", NS)
        assert float(rect.get("y")) == pytest.approx(y(high), abs=0.01)
        assert float(rect.get("y")) + float(rect.get("height")) == pytest.approx(
            y(low), abs=0.02
        )
        # The band is named in text, not by its colour alone.
        assert group.find("svg:text", NS).text == name


def test_each_point_is_a_marker_at_its_date_and_total_with_its_value_written():
    root = _tree(_chart(THREE))
    points = [
        g for g in root.iter(f"{{{NS['svg']}}}g") if g.get("class") == "chart-point"
    ]
    assert [(g.get("data-date"), g.get("data-total")) for g in points] == [
        ("2026-03-03", "17"),
        ("2026-03-24", "12"),
        ("2026-04-14", "8"),
    ]
    xs = [float(g.find("svg:circle", NS).get("cx")) for g in points]
    ys = [float(g.find("svg:circle", NS).get("cy")) for g in points]
    assert xs[0] < xs[1] < xs[2]
    # Equal gaps in time, equal gaps on the axis.
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.02)
    assert ys[0] < ys[1] < ys[2]  # lower totals sit lower
    assert [g.find("svg:text", NS).text for g in points] == ["17", "12", "8"]
    assert points[0].find("svg:title", NS).text == (
        "3 Mar 2026: PHQ-9 17 (moderately severe), Intensive outpatient"
    )
    assert points[2].find("svg:title", NS).text == (
        "14 Apr 2026: PHQ-9 8 (mild), Outpatient (recommended)"
    )
    line = root.find(".//svg:polyline", NS)
    assert len(line.get("points").split()) == 3


def test_the_level_strip_names_each_level_and_marks_the_undecided_one():
    root = _tree(_chart(THREE))
    assert _texts(root, "chart-level") == ["IOP", "IOP", "OP*"]
    # Each segment is filled with its level's pattern, not a colour alone.
    fills = [
        g.find("svg:rect", NS).get("fill")
        for g in root.iter(f"{{{NS['svg']}}}g")
        if g.get("class") == "chart-level"
    ]
    assert fills == [
        "url(#phq9-trend-level-iop)",
        "url(#phq9-trend-level-iop)",
        "url(#phq9-trend-level-outpatient)",
    ]
    # The legend spells out the levels used (only those) and the mark.
    assert _texts(root, "chart-legend-item") == [
        "IOP: Intensive outpatient",
        "OP: Outpatient",
    ]
    legend = "".join(root.find(".//svg:g[@class='chart-legend']", NS).itertext())
    assert "* recommended, not (yet) decided" in legend


def test_the_chart_is_an_image_titled_and_described_for_screen_readers():
    chart = _chart(THREE, verdict="response")
    root = _tree(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "phq9-trend-title phq9-trend-desc"
    assert root.get("viewBox").startswith("0 0 480 ")
    assert root.get("width") == "100%"
    assert root.find("svg:title", NS).text == "PHQ-9 totals over time"
    assert root.find("svg:desc", NS).text == (
        "PHQ-9 from 17 on 3 Mar to 8 on 14 Apr; response"
    )
    assert chart.summary == "PHQ-9 from 17 on 3 Mar to 8 on 14 Apr; response"


@pytest.mark.parametrize(
    ("points", "verdict", "summary"),
    [
        ([], "", "No PHQ-9 scores yet"),
        ([TrendPoint(date(2026, 3, 3), 17, "iop")], "", "PHQ-9 17 on 3 Mar"),
        (
            [TrendPoint(date(2025, 12, 30), 9), TrendPoint(date(2026, 1, 6), 4)],
            "remission",
            "PHQ-9 from 9 on 30 Dec 2025 to 4 on 6 Jan 2026; remission",
        ),
    ],
)
def test_summary_in_words(points, verdict, summary):
    assert _chart(points, verdict=verdict).summary == summary


def test_an_empty_series_draws_the_bands_and_says_there_are_no_scores():
    root = _tree(_chart([]))
    assert root.find(".//svg:polyline", NS) is None
    assert root.find(".//svg:g[@class='chart-point']/svg:circle", NS) is None
    assert "No PHQ-9 scores yet." in "".join(root.itertext())
    assert len(_texts(root, "chart-band")) == 5
    assert _texts(root, "chart-level") == []


def test_one_point_sits_in_the_middle_without_a_line():
    root = _tree(_chart([TrendPoint(date(2026, 3, 3), 17, "inpatient")]))
    assert root.find(".//svg:polyline", NS) is None
    circle = root.find(".//svg:g[@class='chart-point']/svg:circle", NS)
    assert float(circle.get("cx")) == pytest.approx(
        (charts.PLOT_LEFT + charts.PLOT_RIGHT) / 2
    )
    assert _texts(root, "chart-level") == ["IP"]
    # The whole strip is that one level.
    rect = root.find(".//svg:g[@class='chart-level']/svg:rect", NS)
    assert float(rect.get("width")) == charts.PLOT_RIGHT - charts.PLOT_LEFT


def test_every_text_is_escaped():
    hostile = LevelKey("iop", "<b>&", 'Intensive "outpatient" <script>')
    chart = charts.trend_chart(
        chart_id="x",
        name="<PHQ-9>",
        points=[TrendPoint(date(2026, 3, 3), 17, "iop", False)],
        bands=PHQ9.bands,
        max_total=PHQ9.max_total,
        levels=[hostile],
        verdict="<i>response</i>",
    )
    assert "<script>" not in chart.svg
    assert "<b>" not in chart.svg
    assert "<i>" not in chart.svg
    root = ET.fromstring(chart.svg)  # noqa: S314 - still well-formed
    assert root.find("svg:desc", NS).text == "<PHQ-9> 17 on 3 Mar; <i>response</i>"
    assert _texts(root, "chart-level") == ["<b>&*"]


@pytest.mark.parametrize("bad", ["", "1abc", 'x" onload="alert(1)', "a b"])
def test_a_chart_id_must_be_a_plain_identifier(bad):
    with pytest.raises(ValueError, match="chart_id"):
        charts.trend_chart(
            chart_id=bad, name="PHQ-9", points=[], bands=PHQ9.bands, max_total=27
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a<b", "a&lt;b"), ('"&', "&quot;&amp;"), ("'", "&#x27;"), (3, "3")],
)
def test_escape(value, expected):
    assert charts.escape(value) == expected


@pytest.mark.parametrize(
    ("high", "step", "expected"),
    [(27, 5, [0, 5, 10, 15, 20, 25]), (21, 5, [0, 5, 10, 15, 20]), (9, 5, [0, 5, 9])],
)
def test_ticks(high, step, expected):
    assert charts.ticks(high, step=step) == expected


def test_linear_scale_maps_ends_and_a_flat_domain_to_the_middle():
    scale = charts.LinearScale(0, 10, 100, 0)
    assert (scale(0), scale(5), scale(10)) == (100, 50, 0)
    assert charts.LinearScale(3, 3, 0, 40)(3) == 20


def test_many_points_label_five_dates_and_drop_the_written_values():
    points = [TrendPoint(date(2026, 1, 1 + i), i % 27) for i in range(20)]
    root = _tree(_chart(points, levels=()))
    axis_texts = list(root.find(".//svg:g[@class='chart-axes']", NS).itertext())
    assert sum(1 for t in axis_texts if "Jan" in t) == 5
    first = root.find(".//svg:g[@class='chart-point']", NS)
    assert first.find("svg:text", NS) is None


def test_charts_import_no_django():
    code = "import levelofcare.charts, sys; print('django' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_a_band_name_moves_right_when_the_first_point_would_cover_it():
    root = _tree(
        _chart([TrendPoint(date(2026, 3, 3), 18), TrendPoint(date(2026, 3, 24), 2)])
    )
    anchors = {
        g.get("data-band"): g.find("svg:text", NS).get("text-anchor")
        for g in root.iter(f"{{{NS['svg']}}}g")
        if g.get("class") == "chart-band"
    }
    assert anchors == {
        "minimal": "start",
        "mild": "start",
        "moderate": "start",
        "moderately severe": "end",  # the first point, 18, sits at its top left
        "severe": "start",
    }
