"""The SVG charts: well-formed, labelled, escaped, and true to their data."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from medborg.opendata.charts import (
    CLASS_FILLS,
    SERIES,
    area_map,
    bar_chart,
    line_chart,
    nice_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"
ZONES = Path(__file__).resolve().parents[2] / "catalog" / "demo" / "zones.geojson"
UNSAFE = "<script>&"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (the markup is built by the code under test)


def find_all(root: ET.Element, tag: str, cls: str = "") -> list[ET.Element]:
    return [
        element
        for element in root.iter(SVG + tag)
        if not cls or cls in element.get("class", "").split()
    ]


def texts(root: ET.Element, tag: str, cls: str = "") -> list[str]:
    return [
        element.findtext(SVG + "title") or element.text
        for element in find_all(root, tag, cls)
    ]


def square(west: float, south: float, size: float = 1.0) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def demo_areas(values) -> list[tuple[str, dict, float | None]]:
    features = json.loads(ZONES.read_text(encoding="utf-8"))["features"]
    return [
        (feature["properties"]["name"]["en"], feature["geometry"], value)
        for feature, value in zip(features, values, strict=True)
    ]


def luminance(colour: str) -> float:
    """Return the relative luminance of ``#rrggbb``, as WCAG 2.1 defines it."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


MONTHS = [("2026-01", 4), ("2026-02", None), ("2026-03", 2), ("2026-04", 9)]


def test_line_chart_is_an_image_labelled_by_its_title_and_description():
    root = parse(line_chart(MONTHS, chart_id="trend", title="Reports", unit="cases"))

    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("focusable") == "false"
    assert root.get("aria-labelledby") == "trend-title trend-desc"
    assert root.find(SVG + "title").get("id") == "trend-title"
    assert root.find(SVG + "desc").get("id") == "trend-desc"


def test_chart_scales_with_its_container():
    root = parse(bar_chart([("A", 1)], chart_id="bars", title="T", unit=""))

    assert root.get("viewBox") == "0 0 640 240"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("preserveAspectRatio") == "xMinYMin meet"


@pytest.mark.parametrize(
    "render",
    [
        lambda title: line_chart(MONTHS, chart_id="c", title=title, unit="x"),
        lambda title: bar_chart([("A", 1)], chart_id="c", title=title, unit="x"),
        lambda title: area_map(
            [("A", square(14, 56), 1)],
            chart_id="c",
            title=title,
            unit="x",
            no_value_label="-",
        ),
    ],
    ids=["line", "bar", "map"],
)
def test_title_is_escaped(render):
    svg = render(UNSAFE)

    assert "<script" not in svg
    assert '<title id="c-title">&lt;script&gt;&amp;</title>' in svg
    assert parse(svg).find(SVG + "title").text == UNSAFE


def test_data_labels_are_escaped():
    svg = bar_chart([(UNSAFE, 1)], chart_id="c", title="T", unit="<u>")

    assert "<script" not in svg
    assert "<u>" not in svg
    assert texts(parse(svg), "rect", "chart-bar") == ["<script>&: 1 <u>"]


def test_charts_use_no_style_script_or_external_reference():
    svg = line_chart(
        MONTHS, chart_id="c", title="T", unit="x", comparison=[("B", [1, 2, 3, 4])]
    )
    tags = {element.tag.removeprefix(SVG) for element in parse(svg).iter()}

    assert tags == {"svg", "title", "desc", "text", "line", "path", "circle", "g"}
    assert "href" not in svg


def test_every_id_starts_with_the_chart_id():
    svg = area_map(
        [("A", square(14, 56), None)],
        chart_id="zones",
        title="T",
        unit="x",
        no_value_label="-",
    )
    ids = [element.get("id") for element in parse(svg).iter() if element.get("id")]

    assert ids == ["zones-title", "zones-desc", "zones-hatch"]


def test_chart_id_must_be_a_slug():
    with pytest.raises(ValueError, match="chart_id must be a slug"):
        line_chart(MONTHS, chart_id="two words", title="T", unit="x")


def test_line_chart_description_summarises_first_last_lowest_and_highest():
    root = parse(line_chart(MONTHS, chart_id="c", title="Reports", unit="cases"))

    assert root.findtext(SVG + "desc") == (
        "From 2026-01 (4 cases) to 2026-04 (9 cases). "
        "Lowest 2 cases (2026-03), highest 9 cases (2026-04)."
    )


def test_line_chart_breaks_the_line_at_a_missing_value():
    points = [("a", 1), ("b", 2), ("c", None), ("d", 4), ("e", 5)]
    root = parse(line_chart(points, chart_id="c", title="T", unit="x"))
    (main,) = find_all(root, "path", "chart-main")

    assert main.get("d").count("M") == 2
    assert main.get("d").count("L") == 2


def test_line_chart_marks_each_value_with_a_titled_point():
    root = parse(line_chart(MONTHS, chart_id="c", title="T", unit="cases"))

    assert texts(root, "circle", "chart-point") == [
        "2026-01: 4 cases",
        "2026-03: 2 cases",
        "2026-04: 9 cases",
    ]


def test_line_chart_legend_names_the_main_and_comparison_series():
    svg = line_chart(
        MONTHS,
        chart_id="c",
        title="Reports",
        unit="x",
        comparison=[("Last year", [1, 2, 3, 4]), ("Region", [2, 2, None, 2])],
        main_label="This year",
    )
    legend = parse(svg).find(SVG + "g")

    assert [text.text for text in legend.iter(SVG + "text")] == [
        "This year",
        "Last year",
        "Region",
    ]


def test_line_chart_legend_names_the_main_series_by_title_without_main_label():
    svg = line_chart(
        MONTHS, chart_id="c", title="Reports", unit="x", comparison=[("B", [1] * 4)]
    )
    legend = parse(svg).find(SVG + "g")

    assert [text.text for text in legend.iter(SVG + "text")] == ["Reports", "B"]


def test_line_chart_draws_each_series_with_its_own_dash_pattern():
    comparison = [("B", [1, 2, 3, 4]), ("C", [4, 3, 2, 1])]
    svg = line_chart(MONTHS, chart_id="c", title="T", unit="x", comparison=comparison)
    lines = find_all(parse(svg), "path", "chart-line")

    assert sorted(line.get("stroke-dasharray") for line in lines) == [
        "2 3",
        "6 4",
        "none",
    ]


def test_line_chart_without_comparison_has_no_legend():
    root = parse(line_chart(MONTHS, chart_id="c", title="T", unit="x"))

    assert find_all(root, "g") == []


def test_line_chart_thins_period_labels_keeping_first_and_last():
    points = [(f"p{i:02}", i) for i in range(40)]
    root = parse(line_chart(points, chart_id="c", title="T", unit="x"))
    labels = texts(root, "text", "chart-period")

    assert len(labels) == 8
    assert labels[0] == "p00"
    assert labels[-1] == "p39"


def test_line_chart_rejects_a_comparison_of_another_length():
    with pytest.raises(ValueError, match="'B' has 1 values for 4 periods"):
        line_chart(MONTHS, chart_id="c", title="T", unit="x", comparison=[("B", [1])])


@pytest.mark.parametrize(
    ("values", "ticks"),
    [
        ([7], (0, 2, 4, 6, 8)),
        ([10], (0, 2.5, 5, 7.5, 10)),
        ([1234], (0, 500, 1000, 1500)),
        ([0], (0, 0.25, 0.5, 0.75, 1)),
        ([-3, 2], (-4, -2, 0, 2)),
    ],
)
def test_nice_ticks_start_at_zero_with_a_round_step(values, ticks):
    assert nice_ticks(values) == pytest.approx(ticks)


@pytest.mark.parametrize(
    ("value", "labels"),
    [
        (0.3, ["0", "0.1", "0.2", "0.3"]),
        (10, ["0", "2.5", "5", "7.5", "10"]),
        (1234, ["0", "500", "1000", "1500"]),
    ],
)
def test_tick_labels_have_at_most_three_significant_digits(value, labels):
    root = parse(bar_chart([("A", value)], chart_id="c", title="T", unit="x"))
    assert texts(root, "text", "chart-tick") == labels


def test_unit_is_written_beside_the_axis():
    root = parse(bar_chart([("A", 1)], chart_id="c", title="T", unit="working days"))

    assert [text.text for text in find_all(root, "text", "chart-unit")] == [
        "working days"
    ]


@pytest.mark.parametrize(
    "render",
    [
        lambda: line_chart([], chart_id="c", title="T", unit="x"),
        lambda: line_chart(
            [("a", None), ("b", None)], chart_id="c", title="T", unit="x"
        ),
        lambda: bar_chart([("a", None)], chart_id="c", title="T", unit="x"),
        lambda: area_map([], chart_id="c", title="T", unit="x", no_value_label="-"),
    ],
    ids=["line-empty", "line-none", "bar-none", "map-empty"],
)
def test_chart_without_values_says_no_data(render):
    root = parse(render())
    (message,) = find_all(root, "text")

    assert root.findtext(SVG + "desc") == "No data"
    assert (message.text, message.get("x"), message.get("text-anchor")) == (
        "No data",
        "320",
        "middle",
    )


def test_bar_chart_draws_one_titled_bar_per_value_with_its_value_above():
    bars = [("Waste", 3), ("Roads", 12.25)]
    root = parse(bar_chart(bars, chart_id="c", title="T", unit="%"))

    assert texts(root, "rect", "chart-bar") == ["Waste: 3 %", "Roads: 12.3 %"]
    assert texts(root, "text", "chart-value") == ["3", "12.3"]


def test_bar_chart_marks_a_missing_value_with_a_dash_and_no_bar():
    bars = [("Waste", 3), ("Roads", None), ("Parks", 5)]
    root = parse(bar_chart(bars, chart_id="c", title="T", unit="x"))

    assert len(find_all(root, "rect", "chart-bar")) == 2
    assert texts(root, "text", "chart-missing") == ["–"]
    assert root.findtext(SVG + "desc") == "Lowest 3 x (Waste), highest 5 x (Parks)."


def test_bar_chart_slants_category_labels_too_wide_for_their_bar():
    bars = [(f"Category number {i}", i) for i in range(8)]
    root = parse(bar_chart(bars, chart_id="c", title="T", unit="x"))
    labels = [text for text in find_all(root, "text") if text.text.startswith("Cat")]

    assert len(labels) == 8
    assert {label.get("text-anchor") for label in labels} == {"end"}
    assert labels[0].get("transform").startswith("rotate(-40 ")


def test_area_map_draws_one_titled_path_per_demo_zone():
    areas = demo_areas([12, 30.5, None])
    root = parse(
        area_map(
            areas, chart_id="m", title="T", unit="reports", no_value_label="Hidden"
        )
    )

    # Largest first, so the smaller zones lying inside it stay visible.
    assert texts(root, "path", "chart-area") == [
        "Countryside: Hidden",
        "Town: 30.5 reports",
        "Centre: 12 reports",
    ]


def test_area_map_hatches_an_area_without_value():
    areas = demo_areas([12, 30, None])
    root = parse(
        area_map(areas, chart_id="m", title="T", unit="x", no_value_label="Hidden")
    )
    fills = {
        path.findtext(SVG + "title"): path.get("fill")
        for path in find_all(root, "path")
    }
    pattern = root.find(f"{SVG}defs/{SVG}pattern")

    assert fills["Countryside: Hidden"] == "url(#m-hatch)"
    assert pattern.get("id") == "m-hatch"
    assert len(pattern.findall(SVG + "line")) == 1


def test_area_map_fills_larger_values_darker():
    areas = [
        ("Low", square(14, 56), 1),
        ("High", square(15, 56), 9),
        ("Middle", square(16, 56), 5),
    ]
    root = parse(area_map(areas, chart_id="m", title="T", unit="x", no_value_label="-"))
    fills = {
        path.findtext(SVG + "title"): path.get("fill")
        for path in find_all(root, "path")
    }

    assert fills == {
        "Low: 1 x": CLASS_FILLS[0],
        "Middle: 5 x": CLASS_FILLS[2],
        "High: 9 x": CLASS_FILLS[4],
    }


def test_area_map_legend_lists_class_ranges_and_no_value():
    areas = [
        ("A", square(14, 56), 0),
        ("B", square(15, 56), 10),
        ("C", square(16, 56), None),
    ]
    root = parse(
        area_map(areas, chart_id="m", title="T", unit="x", no_value_label="Hidden")
    )
    legend = root.find(SVG + "g")

    assert [text.text for text in legend.iter(SVG + "text")] == [
        "0–2 x",
        "2–4 x",
        "4–6 x",
        "6–8 x",
        "8–10 x",
        "Hidden",
    ]
    assert legend.findall(SVG + "rect")[-1].get("fill") == "url(#m-hatch)"


def test_area_map_uses_one_class_when_all_values_are_equal():
    areas = [("A", square(14, 56), 4), ("B", square(15, 56), 4)]
    root = parse(area_map(areas, chart_id="m", title="T", unit="x", no_value_label="-"))
    legend = root.find(SVG + "g")

    assert {path.get("fill") for path in find_all(root, "path")} == {CLASS_FILLS[2]}
    assert [text.text for text in legend.iter(SVG + "text")] == ["4 x"]


def test_area_map_description_names_range_and_areas_without_value():
    areas = demo_areas([12, 30, None])
    root = parse(
        area_map(areas, chart_id="m", title="T", unit="x", no_value_label="Hidden")
    )

    assert root.findtext(SVG + "desc") == (
        "Lowest 12 x (Centre), highest 30 x (Town). Hidden: Countryside."
    )


def test_area_map_without_any_value_says_no_data_and_hatches_all():
    areas = demo_areas([None, None, None])
    root = parse(
        area_map(areas, chart_id="m", title="T", unit="x", no_value_label="Hidden")
    )

    assert root.findtext(SVG + "desc") == (
        "No data. Hidden: Centre, Town, Countryside."
    )
    assert {path.get("fill") for path in find_all(root, "path")} == {"url(#m-hatch)"}


def test_area_map_draws_holes_with_the_even_odd_rule():
    outer = square(14, 56, 2)["coordinates"][0]
    hole = square(14.5, 56.5)["coordinates"][0]
    island = square(17, 56)["coordinates"]
    geometry = {"type": "MultiPolygon", "coordinates": [[outer, hole], island]}
    root = parse(
        area_map(
            [("A", geometry, 1)], chart_id="m", title="T", unit="x", no_value_label="-"
        )
    )
    (path,) = find_all(root, "path")

    assert path.get("d").count("M") == 3
    assert path.get("fill-rule") == "evenodd"


def test_area_map_keeps_north_up_and_shrinks_longitude_by_latitude():
    # At 60° north a degree of longitude is half as long as one of latitude.
    root = parse(
        area_map(
            [("A", square(10, 59.5), 1)],
            chart_id="m",
            title="T",
            unit="x",
            no_value_label="-",
        )
    )
    (path,) = find_all(root, "path")
    corners = [
        tuple(map(float, pair.split()))
        for pair in path.get("d").strip("MZ").split(" L")
    ]
    (west, south), (east, _), (_, north) = corners[0], corners[1], corners[2]

    assert north < south
    assert (east - west) / (south - north) == pytest.approx(0.5, abs=0.01)


def test_area_map_rejects_other_geometries():
    point = {"type": "Point", "coordinates": [14, 56]}

    with pytest.raises(ValueError, match="not 'Point'"):
        area_map(
            [("A", point, 1)], chart_id="m", title="T", unit="x", no_value_label="-"
        )


@pytest.mark.parametrize("colour", [*SERIES, "#333333"])
def test_series_and_text_colours_contrast_at_least_4_5_to_1_with_white(colour):
    assert 1.05 / (luminance(colour) + 0.05) >= 4.5
