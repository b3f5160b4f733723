"""The selection of figures from query parameters, shared by pages, files and API."""

import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from medborg.opendata import selectors
from medborg.opendata.compute import next_month
from medborg.opendata.indicators import INDICATORS, Granularity, Scope

PERIOD = re.compile(
    r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$"
)

SCOPE_LABELS = {
    Scope.MUNICIPALITY: _("The whole municipality"),
    Scope.CATEGORY: _("A category"),
    Scope.SERVICE: _("A service"),
    Scope.AREA: _("An area (cases received)"),
}
GRANULARITY_LABELS = {Granularity.MONTH: _("Month"), Granularity.QUARTER: _("Quarter")}


def parse_period(text: str) -> date:
    """Return the first day of a period "2026-11" or "2026-Q4"; raise ValueError."""
    match = PERIOD.match(text)
    if not match:
        raise ValueError(text)
    year = int(match["year"])
    if match["quarter"]:
        return date(year, 3 * (int(match["quarter"]) - 1) + 1, 1)
    return date(year, int(match["month"]), 1)


class PeriodField(forms.CharField):
    """A month or quarter; the first day of it, or the last with ``last_day``."""

    default_error_messages = {
        "invalid": _("Give a month as 2026-11 or a quarter as 2026-Q4."),
    }

    def __init__(self, *, last_day=False, **kwargs):
        self.last_day = last_day
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "maxlength": "7"}

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        if len(value) > 7:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            start = parse_period(value)
        except ValueError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None
        if not self.last_day:
            return start
        following = next_month(start)
        if "Q" in value:
            following = next_month(next_month(following))
        return following - timedelta(days=1)


class SelectionForm(forms.Form):
    """Validate a selection; every field may be left out (then: all)."""

    # Where a wrong scope or key is reported.
    key_field = "key"

    indicator = forms.MultipleChoiceField(
        label=_("Indicators"),
        required=False,
        choices=[(i.id, i.title) for i in INDICATORS],
    )
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All"))] + [(s.value, SCOPE_LABELS[s]) for s in Scope],
    )
    key = forms.CharField(
        label=_("Which one"),
        required=False,
        max_length=60,
        help_text=_("The service's code, the category's key or the area's key."),
    )
    granularity = forms.ChoiceField(
        label=_("Periods"),
        required=False,
        choices=[("", _("All"))]
        + [(g.value, GRANULARITY_LABELS[g]) for g in Granularity],
    )
    start = PeriodField(label=_("From period"), required=False)
    # Through the end of the period: months up to 2026-Q4 include December.
    end = PeriodField(label=_("To period"), required=False, last_day=True)

    def clean(self):
        data = super().clean()
        scope, key = data.get("scope"), data.get("key")
        if key and not scope:
            self.add_error(
                self.key_field, _("Choose what the key is of (scope) as well.")
            )
        elif key and key not in selectors.scope_names(Scope(scope)):
            self.add_error(
                self.key_field,
                _("There is no %(scope)s with the key %(key)s.")
                % {"scope": scope, "key": key},
            )
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The last period comes before the first."))
        return data

    def selection(self) -> selectors.Selection:
        """The validated selection; call after ``is_valid()``."""
        data = self.cleaned_data
        indicators = tuple(data.get("indicator") or ()) or None
        return selectors.Selection(
            indicators=indicators,
            scope=Scope(data["scope"]) if data["scope"] else None,
            keys=(data["key"],) if data["key"] else None,
            granularity=Granularity(data["granularity"])
            if data["granularity"]
            else None,
            start=data["start"],
            end=data["end"],
        )
