"""Shape the figures of one selection into the cockpit's sections.

Pure: takes published figures (already suppressed) and returns what the
template shows: per group, a chart of its headline indicator, a table of all
its indicators by period, the trend and the definitions.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from medborg.opendata import charts
from medborg.opendata.indicators import BY_ID, GROUPS, HEADLINE, Indicator, Unit
from medborg.opendata.tables import Figure

DECIMALS = {
    Unit.PERCENT: 1,
    Unit.DAYS: 1,
    Unit.WORKING_DAYS: 1,
    Unit.SCORE: 2,
    Unit.KILOMETRES: 0,
}


def shown(value: float | None, unit: Unit) -> str:
    """Format a value for people, in the active language's number format."""
    if value is None:
        return ""
    return formats.number_format(value, DECIMALS.get(unit, 0), use_l10n=True)


@dataclass
class Cell:
    text: str
    suppressed: bool = False
    missing: bool = False


@dataclass
class Section:
    key: str
    title: str
    indicators: list[Indicator]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    chart: str = ""
    trend: str = ""


def _trend(indicator: Indicator, values: list[float | None]) -> str:
    """Say how the last known value compares with the one before it."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    before, last = known[-2], known[-1]
    if before == last:
        return _("Unchanged from the period before.")
    amount = shown(abs(last - before), indicator.unit)
    if indicator.unit == Unit.PERCENT:
        change = _("%(value)s percentage points") % {"value": amount}
    else:
        change = f"{amount} {indicator.unit_label}"
    rise = last > before
    text = (
        _("Up %(change)s from the period before.")
        if rise
        else _("Down %(change)s from the period before.")
    ) % {"change": change}
    if indicator.higher_is_better is None:
        return text
    better = rise == indicator.higher_is_better
    return f"{text} {_('That is better.') if better else _('That is worse.')}"


def sections(
    figures: Iterable[Figure],
    *,
    scope: str,
    peers: dict[str, dict[str, dict]] | None = None,
) -> list[Section]:
    """Group the figures of one scope and key into the cockpit's sections."""
    by_indicator: dict[str, dict[str, Figure]] = {}
    periods: list[str] = []
    for figure in figures:
        by_indicator.setdefault(figure.indicator, {})[figure.period] = figure
        if figure.period not in periods:
            periods.append(figure.period)
    periods.sort()
    result = []
    for key, title in GROUPS.items():
        members = [
            i
            for i in BY_ID.values()
            if i.group == key and scope in i.scopes and i.id in by_indicator
        ]
        if not members:
            continue
        section = Section(key=key, title=str(title), indicators=members)
        for period in periods:
            section.rows.append(
                (period, [_cell(by_indicator[i.id].get(period), i) for i in members])
            )
        headline = next((i for i in members if i.id in HEADLINE), members[0])
        values = [_value(by_indicator[headline.id].get(p)) for p in periods]
        section.trend = _trend(headline, values)
        section.chart = charts.line_chart(
            list(zip(periods, values, strict=True)),
            chart_id=f"chart-{headline.id}",
            title=str(headline.title),
            unit=str(headline.unit_label),
            main_label=_("This municipality"),
            comparison=[
                (name, [by_period.get(p) for p in periods])
                for name, series in (peers or {}).items()
                if (by_period := series.get(headline.id))
            ],
        )
        result.append(section)
    return result


def _value(figure: Figure | None) -> float | None:
    return figure.value if figure is not None else None


def _cell(figure: Figure | None, indicator: Indicator) -> Cell:
    if figure is None:
        return Cell("", missing=True)
    if figure.suppressed:
        return Cell("", suppressed=True)
    if figure.value is None:
        return Cell("", missing=True)
    return Cell(shown(figure.value, indicator.unit))
