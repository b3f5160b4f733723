"""The published indicators: stable identifiers, units and definitions.

Pure: no ORM. An identifier never changes meaning once published; a new
definition gets a new identifier. Every indicator is keyed by the period in
which its events happened (or, for the backlog, the period's last moment), so
one day's events change only the period they fall in.

Periods are calendar months and quarters in the municipality's time zone.
Working days are Monday to Friday except the country's public holidays (the
same calendar as the deadlines), counted from the day after the start up to
and including the day of the end.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class Unit(StrEnum):
    CASES = "cases"
    DAYS = "days"
    WORKING_DAYS = "working_days"
    PERCENT = "percent"
    SCORE = "score"
    ANSWERS = "answers"
    EMPTYINGS = "emptyings"
    BIN_DAYS = "bin_days"
    KILOMETRES = "km"


UNIT_LABELS = {
    Unit.CASES: _("cases"),
    Unit.DAYS: _("days"),
    Unit.WORKING_DAYS: _("working days"),
    Unit.PERCENT: _("%"),
    Unit.SCORE: _("score 1–5"),
    Unit.ANSWERS: _("answers"),
    Unit.EMPTYINGS: _("emptyings"),
    Unit.BIN_DAYS: _("bin-days"),
    Unit.KILOMETRES: _("km"),
}


class Scope(StrEnum):
    MUNICIPALITY = "municipality"
    CATEGORY = "category"
    SERVICE = "service"
    # Reports by area: only ``received``, counted where the case was placed.
    AREA = "area"


class Granularity(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    title: str
    unit: Unit
    definition: str
    # Whether the figure counts cases (or answers), so small counts are
    # suppressed; bin and route figures count no people.
    about_people: bool = True
    scopes: tuple[Scope, ...] = (Scope.MUNICIPALITY, Scope.CATEGORY, Scope.SERVICE)
    # Whether a higher value is better, for the trend's wording; None: neither.
    higher_is_better: bool | None = None

    @property
    def unit_label(self):
        return UNIT_LABELS[self.unit]


# Groups, in the order the cockpit shows them.
GROUPS = {
    "demand": _("Cases received"),
    "speed": _("Processing time"),
    "deadlines": _("Deadlines"),
    "backlog": _("Backlog"),
    "quality": _("Reopened cases"),
    "automation": _("Automated decisions"),
    "satisfaction": _("Citizen satisfaction"),
    "bins": _("Waste bins"),
}


def _fill_score(text, score: int) -> str:
    return str(text) % {"score": score}


# Translated when shown, not at import.
_scored = lazy(_fill_score, str)

_CLOSED_EVENTS = _(
    "A case is closed by the event that takes it to a final step (case.moved to "
    "status closed), marks it as a duplicate (case.duplicate) or refers it out "
    "of the municipality (case.referred to an organisation)."
)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "received",
        "demand",
        _("Cases received"),
        Unit.CASES,
        _(
            "Cases submitted in the period (events case.submitted), counted in the "
            "period of submission."
        ),
        scopes=(Scope.MUNICIPALITY, Scope.CATEGORY, Scope.SERVICE, Scope.AREA),
    ),
    Indicator(
        "received_web",
        "demand",
        _("Received through the web form"),
        Unit.CASES,
        _("Cases submitted in the period through the citizen's web form."),
    ),
    Indicator(
        "received_api",
        "demand",
        _("Received through the API or Open311"),
        Unit.CASES,
        _(
            "Cases submitted in the period by client applications, through the "
            "REST API or Open311 GeoReport v2."
        ),
    ),
    Indicator(
        "received_sensor",
        "demand",
        _("Opened by sensors"),
        Unit.CASES,
        _("Cases opened in the period by sensors (waste bins that need emptying)."),
    ),
    Indicator(
        "received_staff",
        "demand",
        _("Registered by staff"),
        Unit.CASES,
        _(
            "Cases registered in the period by staff, for example from a "
            "telephone call."
        ),
    ),
    Indicator(
        "closed",
        "speed",
        _("Cases closed"),
        Unit.CASES,
        format_lazy(
            "{} {}",
            _CLOSED_EVENTS,
            _(
                "Counted in the period of closing; a case closed again after "
                "reopening counts again."
            ),
        ),
    ),
    Indicator(
        "processing_days_median",
        "speed",
        _("Processing time, median (calendar days)"),
        Unit.DAYS,
        _(
            "For the cases closed in the period: the median time from "
            "submission to closing in calendar days (with hours as fractions), "
            "including time spent waiting for the citizen."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "processing_days_p90",
        "speed",
        _("Processing time, 90th percentile (calendar days)"),
        Unit.DAYS,
        _(
            # xgettext:no-python-format
            "For the cases closed in the period: the time from submission to "
            "closing within which 90 % of them were closed, in calendar days."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "processing_workdays_median",
        "speed",
        _("Processing time, median (working days)"),
        Unit.WORKING_DAYS,
        _(
            "For the cases closed in the period: the median number of working "
            "days from submission to closing. The day of submission does not "
            "count, the day of closing does; a case closed on the day it came "
            "in took 0 working days."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "processing_workdays_p90",
        "speed",
        _("Processing time, 90th percentile (working days)"),
        Unit.WORKING_DAYS,
        _(
            # xgettext:no-python-format
            "For the cases closed in the period: the number of working days "
            "from submission to closing within which 90 % of them were closed."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "within_deadline_share",
        "deadlines",
        _("Closed within the legal deadline"),
        Unit.PERCENT,
        _(
            "Of the cases closed in the period that had a legal deadline, the "
            "share closed on or before it. The deadline is the one in force at "
            "closing, recorded in the closing event: the service's deadline in "
            "working days from submission, extended by case.extended events and "
            "by the working days the case waited for the citizen."
        ),
        higher_is_better=True,
    ),
    Indicator(
        "within_step_time_share",
        "deadlines",
        _("Steps finished within the promised time"),
        Unit.PERCENT,
        _(
            "Of the process steps that cases left in the period and that had a "
            "promised time, the share left on or before the step's due date "
            "(recorded in the event that moved the case on)."
        ),
        higher_is_better=True,
    ),
    Indicator(
        "backlog",
        "backlog",
        _("Open cases at the end of the period"),
        Unit.CASES,
        _(
            "Cases submitted by the end of the period and not closed at that "
            "moment (a reopening or an appeal of a closed case opens it again)."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "backlog_age_0_6",
        "backlog",
        _("Open at period end, under 7 days old"),
        Unit.CASES,
        _("Open cases at the end of the period submitted less than 7 days before."),
    ),
    Indicator(
        "backlog_age_7_29",
        "backlog",
        _("Open at period end, 7 to 29 days old"),
        Unit.CASES,
        _("Open cases at the end of the period submitted 7 to 29 days before."),
    ),
    Indicator(
        "backlog_age_30_89",
        "backlog",
        _("Open at period end, 30 to 89 days old"),
        Unit.CASES,
        _("Open cases at the end of the period submitted 30 to 89 days before."),
    ),
    Indicator(
        "backlog_age_90",
        "backlog",
        _("Open at period end, 90 days or older"),
        Unit.CASES,
        _("Open cases at the end of the period submitted 90 or more days before."),
        higher_is_better=False,
    ),
    Indicator(
        "reopened_share",
        "quality",
        _("Reopened, share of closed"),
        Unit.PERCENT,
        _(
            "Cases reopened in the period (case.reopened, or an appeal of a "
            "closed case) as a share of the cases closed in the period."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "automated_share",
        "automation",
        _("Decided automatically"),
        Unit.PERCENT,
        _(
            "Of the cases closed in the period, the share whose closing step was "
            "taken by a decision table (a stored automated decision)."
        ),
    ),
    Indicator(
        "automated_challenged_share",
        "automation",
        _("Automated decisions overridden or appealed"),
        Unit.PERCENT,
        _(
            "Automated decisions overridden by a case worker or appealed by the "
            "citizen in the period, as a share of the automated decisions made "
            "in the period."
        ),
        higher_is_better=False,
    ),
    Indicator(
        "satisfaction_mean",
        "satisfaction",
        _("Satisfaction, mean"),
        Unit.SCORE,
        _(
            "The mean of the answers (1 to 5) citizens gave in the period to the "
            "question on the tracking page of a closed case (case.rated)."
        ),
        higher_is_better=True,
    ),
    *(
        Indicator(
            f"satisfaction_{score}",
            "satisfaction",
            _scored(_("Answers scoring %(score)s"), score),
            Unit.ANSWERS,
            _scored(
                _("Answers in the period that gave the score %(score)s of 5."), score
            ),
        )
        for score in range(1, 6)
    ),
    Indicator(
        "bin_emptyings",
        "bins",
        _("Bins emptied"),
        Unit.EMPTYINGS,
        _("Bin-emptying cases closed in the period because the bin was emptied."),
        about_people=False,
        scopes=(Scope.MUNICIPALITY,),
    ),
    Indicator(
        "bin_overflow_days",
        "bins",
        _("Overflow bin-days"),
        Unit.BIN_DAYS,
        _(
            "Days in the period on which a bin's sensor reported it full (100 %), "
            "summed over the bins."
        ),
        about_people=False,
        scopes=(Scope.MUNICIPALITY,),
        higher_is_better=False,
    ),
    Indicator(
        "route_km",
        "bins",
        _("Collection routes planned"),
        Unit.KILOMETRES,
        _("Kilometres of the collection routes planned for the days of the period."),
        about_people=False,
        scopes=(Scope.MUNICIPALITY,),
        higher_is_better=False,
    ),
    Indicator(
        "route_baseline_km",
        "bins",
        _("Fixed weekly round, same days"),
        Unit.KILOMETRES,
        _(
            "Kilometres the fixed weekly round would have driven on the same "
            "days, over the same road distances: the baseline for route_km."
        ),
        about_people=False,
        scopes=(Scope.MUNICIPALITY,),
    ),
)

BY_ID = {indicator.id: indicator for indicator in INDICATORS}

# What the cockpit charts first in each group; the rest are in the tables.
HEADLINE = (
    "received",
    "processing_workdays_median",
    "within_deadline_share",
    "backlog",
    "reopened_share",
    "automated_share",
    "satisfaction_mean",
    "route_km",
)
