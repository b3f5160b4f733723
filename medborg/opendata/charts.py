"""Render accessible SVG charts for the open-data cockpit.

Pure: no ORM, no settings. Each function returns an inline ``<svg>`` as a
``SafeString`` in which every text, translated or from data, is escaped. The
markup has no script, no ``<style>`` and no external reference, so the page's
Content-Security-Policy allows it, and its ``viewBox`` lets it scale.

Each chart is an image with a title and a description for assistive
technology. The page shows the numbers in a table beside the chart, so the
description summarises them (first and last period, lowest and highest value).
Series differ by dash pattern as well as colour, areas without a value are
hatched, and ``None`` is a gap, never a zero. Element ids start with
``chart_id``, so several charts fit on one page.
"""

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

WIDTH, HEIGHT = 640, 240
# Edges of the plotting area: room for the unit above, tick labels to the
# left and period labels below.
LEFT, TOP, RIGHT, BOTTOM = 56, 28, 624, 204
# Average advance of a character at the 12-unit font size: text is laid out
# without being measured.
CHAR_WIDTH = 7.2
SWATCH = 24
# Each contrasts at least 4.5:1 with white, more than graphics need (3:1).
SERIES = ("#1a5a96", "#b3261e", "#2e7d32", "#6a1b9a", "#8a5300")
DASHES = ("none", "6 4", "2 3", "8 3 2 3", "12 4")
AXIS, GRID, BORDER = "#595959", "#e0e0e0", "#4d4d4d"
# ColorBrewer "Blues", light to dark. The borders, the legend and each area's
# title carry the values too.
CLASS_FILLS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
MAX_X_LABELS = 8
NICE_STEPS = (1, 2, 2.5, 5, 10)
SLUG = re.compile(r"[-A-Za-z0-9_]+")
# Tolerance for quotients of floats that should be whole numbers.
EPSILON = 1e-9

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
    'aria-labelledby="{id}-title {id}-desc" focusable="false" '
    f'viewBox="0 0 {WIDTH} {{height}}" width="100%" '
    'preserveAspectRatio="xMinYMin meet" '
    'font-family="sans-serif" font-size="12"><title id="{id}-title">{title}</title>'
    '<desc id="{id}-desc">{desc}</desc>{body}</svg>'
)
TEXT = '<text class="{}" x="{}" y="{}" text-anchor="{}" fill="#333333"{}>{}</text>'
LINE = '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
STROKE = 'stroke="{}" stroke-width="{}" stroke-dasharray="{}"'
PATH = '<path class="chart-line {}" d="{}" fill="none" stroke-linejoin="round" {}/>'
SWATCH_LINE = '<line x1="{}" y1="{}" x2="{}" y2="{}" {}/>'
POINT = (
    '<circle class="chart-point" cx="{}" cy="{}" r="3.5" fill="{}">'
    "<title>{}</title></circle>"
)
BAR = (
    '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
    "<title>{}</title></rect>"
)
AREA = (
    '<path class="chart-area" d="{}" fill="{}" fill-rule="evenodd" stroke="{}" '
    'stroke-width="1" stroke-linejoin="round"><title>{}</title></path>'
)
BOX = '<rect x="{}" y="{}" width="24" height="12" fill="{}" stroke="{}"/>'
# Hatching, not only a grey, tells an area without a value from a light class.
HATCH = (
    '<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#767676" stroke-width="2"/>'
    "</pattern></defs>"
)


@dataclass(frozen=True)
class _Axis:
    """The ticks of a y-axis, lowest first, spanning the plotting area."""

    ticks: tuple[float, ...]

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return BOTTOM - (value - low) / (high - low) * (BOTTOM - TOP)


def nice_ticks(values: Iterable[float]) -> tuple[float, ...]:
    """Return ticks a step of 1, 2, 2.5 or 5 × 10^n apart, spanning 0 and values."""
    values = [0.0, *values]
    low, high = min(values), max(values)
    if high == low:
        high = low + 1
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in NICE_STEPS if m * magnitude >= raw - EPSILON)
    first = math.floor(low / step + EPSILON)
    last = math.ceil(high / step - EPSILON)
    return tuple(i * step for i in range(first, last + 1))


def _decimals(value: float) -> int:
    """Return the decimals that show ``value`` to three significant digits."""
    return max(0, 2 - math.floor(math.log10(abs(value)))) if value else 0


def _number(value: float, decimals: int | None = None) -> str:
    """Format ``value`` to three significant digits (or ``decimals`` places)."""
    places = _decimals(value) if decimals is None else decimals
    # Half up, as the ``floatformat`` filter rounds the table beside the chart.
    exponent = Decimal(1).scaleb(-places)
    text = f"{Decimal(str(value)).quantize(exponent, ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _quantity(value: float, unit: str) -> str:
    return f"{_number(value)} {unit}".strip()


def _c(coordinate: float) -> str:
    return _number(coordinate, 1)


def _f(template: str, *args) -> SafeString:
    """Fill ``template``, escaping text and rounding numbers to a tenth."""
    return format_html(template, *(_c(a) if isinstance(a, Real) else a for a in args))


def _join(parts: Iterable[SafeString | str]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _text(x, y, text, anchor="middle", cls="chart-label", turn=0) -> SafeString:
    rotate = _f(' transform="rotate({} {} {})"', turn, x, y) if turn else ""
    return _f(TEXT, cls, x, y, anchor, rotate, text)


def _check_id(chart_id: str) -> None:
    if not SLUG.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a slug, not {chart_id!r}")


def _check_aligned(points, comparison) -> None:
    for label, values in comparison:
        if len(values) != len(points):
            message = f"{label!r} has {len(values)} values for {len(points)} periods"
            raise ValueError(message)


def _svg(chart_id: str, title, desc: str, height: float, body) -> SafeString:
    return format_html(
        SVG, id=chart_id, height=_c(height), title=title, desc=desc, body=body
    )


def _no_data(chart_id: str, title) -> SafeString:
    message = gettext("No data")
    label = _text(WIDTH / 2, HEIGHT / 2, message, cls="chart-empty")
    return _svg(chart_id, title, message, HEIGHT, label)


def _range_sentence(labelled: Sequence[tuple[str, float]], unit: str) -> str:
    low = min(labelled, key=lambda item: item[1])
    high = max(labelled, key=lambda item: item[1])
    return gettext(
        "Lowest %(min_value)s (%(min_label)s), highest %(max_value)s (%(max_label)s)."
    ) % {
        "min_value": _quantity(low[1], unit),
        "min_label": low[0],
        "max_value": _quantity(high[1], unit),
        "max_label": high[0],
    }


def _legend(items, *, top: float) -> tuple[SafeString, float]:
    """Lay out ``(label, swatch)`` items in rows; return the markup and height.

    ``swatch(x, y)`` draws a symbol SWATCH wide, centred vertically on ``y``.
    """
    parts, x, baseline = [], 8.0, top + 16
    for label, swatch in items:
        advance = SWATCH + 6 + len(str(label)) * CHAR_WIDTH + 16
        if x > 8 and x + advance > WIDTH:
            x, baseline = 8.0, baseline + 20
        parts += [
            swatch(x, baseline - 4),
            _text(x + SWATCH + 6, baseline, label, "start"),
        ]
        x += advance
    legend = format_html('<g class="chart-legend">{}</g>', _join(parts))
    return legend, baseline - top + 8


def _y_axis(axis: _Axis, unit: str) -> SafeString:
    decimals = _decimals(axis.ticks[1] - axis.ticks[0])
    parts = [_text(8, 12, unit, "start", "chart-unit")]
    for tick in axis.ticks:
        y, colour = axis.y(tick), AXIS if tick == 0 else GRID
        parts.append(_f(LINE, LEFT, y, RIGHT, y, colour))
        label = _number(tick, decimals)
        parts.append(_text(LEFT - 6, y + 4, label, "end", "chart-tick"))
    return _join(parts)


def _thinned(count: int) -> list[int]:
    """Return the indexes of at most MAX_X_LABELS labels, first and last included."""
    if count <= MAX_X_LABELS:
        return list(range(count))
    spacing = (count - 1) / (MAX_X_LABELS - 1)
    return sorted({round(i * spacing) for i in range(MAX_X_LABELS)})


def _x_positions(count: int) -> list[float]:
    # Inset, so that the first and last period labels stay inside the view.
    left, right = LEFT + 24, RIGHT - 24
    if count == 1:
        return [(left + right) / 2]
    return [left + i * (right - left) / (count - 1) for i in range(count)]


def _x_labels(periods: Sequence[str], xs: Sequence[float]) -> SafeString:
    parts = []
    for i in _thinned(len(periods)):
        parts.append(_f(LINE, xs[i], BOTTOM, xs[i], BOTTOM + 4, AXIS))
        parts.append(_text(xs[i], BOTTOM + 18, periods[i], cls="chart-period"))
    return _join(parts)


def _stroke(index: int) -> SafeString:
    """Return the stroke of series ``index``: the main one solid and thicker."""
    colour, dashes = SERIES[index % len(SERIES)], DASHES[index % len(DASHES)]
    return _f(STROKE, colour, 2.5 if index == 0 else 2, dashes)


def _line(values, xs: Sequence[float], axis: _Axis, index: int) -> SafeString:
    commands, pen_down = [], False
    for x, value in zip(xs, values, strict=True):
        if value is None:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{_c(x)} {_c(axis.y(value))}")
        pen_down = True
    role = "chart-main" if index == 0 else "chart-comparison"
    return _f(PATH, role, " ".join(commands), _stroke(index))


def _line_swatch(index: int) -> Callable[[float, float], SafeString]:
    return lambda x, y: _f(SWATCH_LINE, x, y, x + SWATCH, y, _stroke(index))


def _line_desc(present, unit: str, compared: Sequence[str]) -> str:
    (first_label, first), (last_label, last) = present[0], present[-1]
    sentences = [
        gettext(
            "From %(first_label)s (%(first_value)s) to %(last_label)s (%(last_value)s)."
        )
        % {
            "first_label": first_label,
            "first_value": _quantity(first, unit),
            "last_label": last_label,
            "last_value": _quantity(last, unit),
        },
        _range_sentence(present, unit),
    ]
    if compared:
        series = ", ".join(str(label) for label in compared)
        sentences.append(gettext("Compared with %(series)s.") % {"series": series})
    return " ".join(sentences)


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    unit: str,
    comparison: Sequence[tuple[str, Sequence[float | None]]] = (),
    main_label: str = "",
) -> SafeString:
    """Render ``points`` as a line, with each ``comparison`` series dashed.

    ``points`` are ``(period, value)`` in time order; a comparison is a label
    and one value per period. ``None`` breaks a line; without any value in
    ``points`` the chart says "No data". With comparisons, a legend names the
    main series (``main_label``, else ``title``) and each comparison. Raise
    ``ValueError`` when a comparison has not one value per period or
    ``chart_id`` is not a slug.
    """
    _check_id(chart_id)
    _check_aligned(points, comparison)
    present = [(period, value) for period, value in points if value is not None]
    if not present:
        return _no_data(chart_id, title)
    series = [(main_label or title, [value for _, value in points]), *comparison]
    axis = _Axis(nice_ticks(v for _, col in series for v in col if v is not None))
    xs = _x_positions(len(points))
    body = [_y_axis(axis, unit), _x_labels([period for period, _ in points], xs)]
    # The main series is drawn last, on top of the comparisons.
    body += [_line(series[i][1], xs, axis, i) for i in reversed(range(len(series)))]
    body += [
        _f(POINT, x, axis.y(value), SERIES[0], f"{period}: {_quantity(value, unit)}")
        for x, (period, value) in zip(xs, points, strict=True)
        if value is not None
    ]
    height = HEIGHT
    if comparison:
        items = [(label, _line_swatch(i)) for i, (label, _) in enumerate(series)]
        legend, legend_height = _legend(items, top=HEIGHT)
        body.append(legend)
        height += legend_height
    desc = _line_desc(present, unit, [label for label, _ in comparison])
    return _svg(chart_id, title, desc, height, _join(body))


def _bar(x: float, width: float, label: str, value, axis: _Axis, unit: str):
    """Draw one bar centred on ``x`` with its value above it, or "–" for none."""
    base = axis.y(0)
    if value is None:
        return _text(x, base - 4, "–", cls="chart-missing")
    top = axis.y(value)
    title = f"{label}: {_quantity(value, unit)}"
    bar = _f(
        BAR, x - width / 2, min(top, base), width, abs(base - top), SERIES[0], title
    )
    label_y = top - 4 if value >= 0 else top + 14
    return _join([bar, _text(x, label_y, _number(value), cls="chart-value")])


def bar_chart(
    bars: Sequence[tuple[str, float | None]], *, chart_id: str, title: str, unit: str
) -> SafeString:
    """Render ``(category, value)`` pairs as vertical bars, left to right.

    Category labels too wide for their bar are slanted, and the view grows to
    hold them. Raise ``ValueError`` when ``chart_id`` is not a slug.
    """
    _check_id(chart_id)
    present = [(label, value) for label, value in bars if value is not None]
    if not present:
        return _no_data(chart_id, title)
    slot = (RIGHT - LEFT) / len(bars)
    widest = max(len(str(label)) for label, _ in bars) * CHAR_WIDTH
    turn = -40 if widest > slot - 4 else 0
    # sin(40°) ≈ 0.64: the height a slanted label takes below the axis.
    below = min(140.0, 20 + widest * 0.64) if turn else HEIGHT - BOTTOM
    axis = _Axis(nice_ticks(value for _, value in present))
    body = [_y_axis(axis, unit)]
    for index, (label, value) in enumerate(bars):
        x = LEFT + slot * (index + 0.5)
        body.append(_bar(x, min(slot * 0.6, 48), label, value, axis, unit))
        anchor, y = ("end", BOTTOM + 14) if turn else ("middle", BOTTOM + 18)
        body.append(_text(x, y, label, anchor, turn=turn))
    desc = _range_sentence(present, unit)
    return _svg(chart_id, title, desc, BOTTOM + below, _join(body))


def _rings(geometry: dict) -> list:
    """Return the rings of a Polygon or MultiPolygon, outer and holes alike."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return list(geometry["coordinates"])
    if kind == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"Only Polygon and MultiPolygon can be drawn, not {kind!r}")


def _extent(rings) -> float:
    lons = [point[0] for ring in rings for point in ring]
    lats = [point[1] for ring in rings for point in ring]
    return (max(lons) - min(lons)) * (max(lats) - min(lats)) if lons else 0.0


def _projection(points: Sequence[Sequence[float]]):
    """Fit an equirectangular projection of ``points`` into the view, north up.

    Return the function from a ``(lon, lat)`` point to the ``"x y"`` of a path,
    and the height of the view, which follows the shape of the map.
    """
    margin, inner = 8, WIDTH - 16
    lons, lats = [point[0] for point in points], [point[1] for point in points]
    west, south, north = min(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((south + north) / 2))
    wide = max((max(lons) - west) * squeeze, EPSILON)
    tall = max(north - south, EPSILON)
    height = min(480.0, max(200.0, inner * tall / wide + 2 * margin))
    scale = min(inner / wide, (height - 2 * margin) / tall)
    left, top = (WIDTH - wide * scale) / 2, (height - tall * scale) / 2

    def project(point) -> str:
        x = left + (point[0] - west) * squeeze * scale
        return f"{_c(x)} {_c(top + (north - point[1]) * scale)}"

    return project, height


def _classes(values: Sequence[float]) -> list[tuple[float, float, str]]:
    """Return equal-interval classes ``(low, high, fill)``, light to dark."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        # One class takes a middle shade: neither faint nor the darkest.
        return [(low, high, CLASS_FILLS[2])]
    step = (high - low) / len(CLASS_FILLS)
    bounds = [low + i * step for i in range(len(CLASS_FILLS))] + [high]
    return list(zip(bounds, bounds[1:], CLASS_FILLS, strict=False))


def _fill(value, classes, hatch: str) -> str:
    if value is None:
        return hatch
    # The highest value meets the last upper bound exactly: it is in range.
    return next(fill for _, high, fill in classes if value <= high)


def _map_legend(classes, unit: str, hatch: str, no_value_label, missing):
    items = []
    for low, high, fill in classes:
        span = _number(low) if low == high else f"{_number(low)}–{_number(high)}"
        items.append((f"{span} {unit}".strip(), _box_swatch(fill)))
    if missing:
        items.append((no_value_label, _box_swatch(hatch)))
    return items


def _box_swatch(fill: str) -> Callable[[float, float], SafeString]:
    return lambda x, y: _f(BOX, x, y - 6, fill, BORDER)


def area_map(
    areas: Sequence[tuple[str, dict, float | None]],
    *,
    chart_id: str,
    title: str,
    unit: str,
    no_value_label: str,
) -> SafeString:
    """Render a map of ``(name, geometry, value)`` areas shaded by value.

    Geometries are GeoJSON Polygons or MultiPolygons in WGS 84. Values fall
    into five equal-interval classes, light to dark; an area whose value is
    ``None`` is hatched and titled with ``no_value_label``. Raise
    ``ValueError`` for another geometry type or a ``chart_id`` not a slug.
    """
    _check_id(chart_id)
    rings = [_rings(geometry) for _, geometry, _ in areas]
    points = [point for area in rings for ring in area for point in ring]
    if not points:
        return _no_data(chart_id, title)
    project, height = _projection(points)
    present = [(name, value) for name, _, value in areas if value is not None]
    missing = [str(name) for name, _, value in areas if value is None]
    classes, hatch = _classes([value for _, value in present]), f"{chart_id}-hatch"
    body = [_f(HATCH, hatch)]
    # Larger areas first, so an area lying inside another stays visible.
    for index in sorted(range(len(areas)), key=lambda i: -_extent(rings[i])):
        name, _, value = areas[index]
        shown = no_value_label if value is None else _quantity(value, unit)
        d = " ".join("M" + " L".join(map(project, r)) + "Z" for r in rings[index])
        fill = _fill(value, classes, f"url(#{hatch})")
        body.append(_f(AREA, d, fill, BORDER, f"{name}: {shown}"))
    items = _map_legend(classes, unit, f"url(#{hatch})", no_value_label, missing)
    legend, legend_height = _legend(items, top=height)
    desc = _range_sentence(present, unit) if present else gettext("No data") + "."
    if missing:
        desc += f" {no_value_label}: {', '.join(missing)}."
    return _svg(chart_id, title, desc, height + legend_height, _join([*body, legend]))
