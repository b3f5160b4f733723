"""The public cockpit and the open-data files: no login, aggregates only.

Every figure comes from ``opendata.selectors`` (where small counts are
suppressed). Files stream, so an export of every figure holds one chunk in
memory at a time. Responses may be cached by anyone for five minutes.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from medborg.opendata import charts, cockpit, datapackage, dcat, kolada, selectors
from medborg.opendata.compute import next_month, period_name
from medborg.opendata.forms import SelectionForm
from medborg.opendata.indicators import HEADLINE, Granularity, Scope
from medborg.opendata.tables import csv_lines, definitions_lines, json_chunks

LICENCES = {
    "CC0-1.0": {
        "name": "CC0-1.0",
        "path": "https://creativecommons.org/publicdomain/zero/1.0/",
        "title": "Creative Commons Zero v1.0 Universal",
    },
    "CC-BY-4.0": {
        "name": "CC-BY-4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
        "title": "Creative Commons Attribution 4.0 International",
    },
}
PUBLIC = cache_control(public=True, max_age=300)
# A page shows at most this many periods back when no start is chosen.
DEFAULT_PERIODS = {Granularity.MONTH: 12, Granularity.QUARTER: 8}


class CockpitForm(SelectionForm):
    """The cockpit's filter: one "show" list stands for scope and key."""

    key_field = "show"

    show = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["show"].label = _("Show")
        self.fields["show"].choices = _show_choices()
        self.fields["granularity"].choices = self.fields["granularity"].choices[1:]
        # The page chooses scope and key through "show" alone.
        for name in ("indicator", "scope", "key"):
            del self.fields[name]
        self.order_fields(["show", "granularity", "start", "end"])
        for name in ("show", "granularity"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(
                {
                    "class": "form-input input-width-xs",
                    "aria-describedby": f"id_{name}_hint",
                }
            )

    def clean(self):
        show = self.cleaned_data.get("show") or ""
        scope, _sep, key = show.partition(":")
        self.cleaned_data["scope"] = scope or Scope.MUNICIPALITY
        self.cleaned_data["key"] = key
        self.cleaned_data["granularity"] = (
            self.cleaned_data.get("granularity") or Granularity.MONTH
        )
        return super().clean()


def _show_choices():
    categories = selectors.scope_names(Scope.CATEGORY)
    services = selectors.scope_names(Scope.SERVICE)
    return [
        ("", _("The whole municipality")),
        (
            _("Categories"),
            [(f"category:{key}", name) for key, name in sorted(categories.items())],
        ),
        (
            _("Services"),
            [
                (f"service:{key}", name)
                for key, name in sorted(services.items(), key=lambda i: i[1])
            ],
        ),
    ]


def _default_start(selection, granularity) -> date | None:
    if selection.start is not None:
        return selection.start
    available = [start for start, _name in selectors.periods(granularity)]
    return available[-DEFAULT_PERIODS[granularity] :][0] if available else None


@require_safe
@PUBLIC
def index(request):
    """The cockpit: every indicator group as a chart beside its table."""
    form = CockpitForm(request.GET or {"granularity": Granularity.MONTH})
    if not form.is_valid():
        return render(
            request, "opendata/cockpit.html", {"form": form, "sections": []}, status=400
        )
    selection = form.selection()
    granularity = selection.granularity
    start = _default_start(selection, granularity)
    selection = selectors.Selection(
        scope=selection.scope,
        keys=selection.keys or ("",),
        granularity=granularity,
        start=start,
        end=selection.end,
    )
    peers = (
        selectors.peer_values(HEADLINE) if selection.scope == Scope.MUNICIPALITY else {}
    )
    # One read of the progress row serves the page and both cache keys.
    progress = selectors.progress()
    current = selectors.version(progress)
    figures = selectors.cached_figures(selection, current=current)
    context = {
        "form": form,
        "sections": cockpit.sections(figures, scope=selection.scope, peers=peers),
        "selection": selection,
        "scope_name": selectors.scope_names(selection.scope).get(selection.keys[0]),
        "area_map": _area_map(granularity, start, selection.end, current),
        "download_query": _download_query(selection),
        "peers": list(peers),
        "suppressed_below": settings.OPEN_DATA_MIN_COUNT,
        "progress": progress,
        "licence": settings.OPEN_DATA_LICENCE,
    }
    return render(request, "opendata/cockpit.html", context)


def _download_query(selection) -> str:
    """The files' parameters for what the page shows (the page's "show" is two)."""
    parameters = {
        "scope": selection.scope,
        "key": selection.keys[0],
        "granularity": selection.granularity,
        "start": period_name(selection.start, selection.granularity)
        if selection.start
        else "",
        "end": period_name(selection.end, selection.granularity)
        if selection.end
        else "",
    }
    return urlencode({name: value for name, value in parameters.items() if value})


def _area_map(granularity, start, end, current: str):
    language = get_language()
    key = f"opendata:map:{current}:{language}:{granularity}:{start}:{end}"
    found = cache.get(key)
    if found is None:
        areas = selectors.area_totals(granularity=granularity, start=start, end=end)
        found = {
            "svg": charts.area_map(
                [(zone.name, zone.geometry, total) for zone, total in areas],
                chart_id="map-received",
                title=_("Reports received by area"),
                unit=_("reports"),
                no_value_label=_("fewer than %(n)s, not shown")
                % {"n": settings.OPEN_DATA_MIN_COUNT},
            ),
            "rows": [(zone.name, total) for zone, total in areas],
        }
        cache.set(key, found, 3600)
    return found


def _selection_or_400(request):
    form = SelectionForm(request.GET)
    if not form.is_valid():
        lines = [
            f"{field}: {message}"
            for field, messages in form.errors.items()
            for message in messages
        ]
        return None, HttpResponse(
            "\n".join(lines) + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return form.selection(), None


def _download(content, content_type, filename):
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@PUBLIC
def indicators_csv(request):
    """Every figure of the selection (all of them without parameters), as CSV."""
    selection, error = _selection_or_400(request)
    if error:
        return error
    return _download(
        csv_lines(selectors.figures(selection)),
        "text/csv; charset=utf-8",
        "indicators.csv",
    )


@require_safe
@PUBLIC
def indicators_json(request):
    selection, error = _selection_or_400(request)
    if error:
        return error
    return _download(
        json_chunks(selectors.figures(selection), meta=_meta()),
        "application/json",
        "indicators.json",
    )


def _meta() -> dict:
    return {
        "municipality": {
            "code": settings.MUNICIPALITY_CODE,
            "name": settings.MUNICIPALITY_NAME,
        },
        "licence": settings.OPEN_DATA_LICENCE,
        "suppressed_below": settings.OPEN_DATA_MIN_COUNT,
        "version": selectors.version(),
        "definitions": f"{settings.BASE_URL}/open-data/definitions.csv",
    }


@require_safe
@PUBLIC
def definitions_csv(request):
    return _download(definitions_lines(), "text/csv; charset=utf-8", "definitions.csv")


@require_safe
@PUBLIC
def kolada_csv(request):
    """The municipality's figures as Kolada rows (kpi, municipality, period, ...)."""
    selection = selectors.Selection(scope=Scope.MUNICIPALITY)
    return _download(
        kolada.export_lines(
            selectors.figures(selection), municipality_code=settings.MUNICIPALITY_CODE
        ),
        "text/csv; charset=utf-8",
        "kolada.csv",
    )


@require_safe
@PUBLIC
def datapackage_json(request):
    """The whole set as a Frictionless Data Package."""
    document = datapackage.descriptor(
        name=f"{settings.MUNICIPALITY_NAME} open data",
        title=_("%(name)s: how the municipality delivers")
        % {"name": settings.MUNICIPALITY_NAME},
        description=_description(),
        licence=LICENCES[settings.OPEN_DATA_LICENCE],
        publisher=settings.MUNICIPALITY_NAME,
        base_url=settings.BASE_URL,
    )
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


def _description() -> str:
    return _(
        "Indicators of the municipality's services computed from its case events: "
        "cases received and closed, processing times, deadlines met, backlog, "
        "reopened cases, automated decisions, citizen satisfaction and waste "
        "collection. Monthly and quarterly, for the municipality, each category "
        "and each service. Figures resting on fewer than %(n)s cases are "
        "suppressed."
    ) % {"n": settings.OPEN_DATA_MIN_COUNT}


@require_safe
@PUBLIC
def catalog_jsonld(request):
    """The DCAT-AP catalogue that national portals harvest."""
    first, last = selectors.temporal_coverage()
    progress = selectors.progress()
    titles, descriptions = {}, {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            titles[language] = _("%(name)s: how the municipality delivers") % {
                "name": settings.MUNICIPALITY_NAME
            }
            descriptions[language] = _description()
    document = dcat.catalog(
        base_url=settings.BASE_URL,
        municipality_name=settings.MUNICIPALITY_NAME,
        municipality_code=settings.MUNICIPALITY_CODE,
        country=settings.MUNICIPALITY_COUNTRY,
        licence=settings.OPEN_DATA_LICENCE,
        languages=[code for code, _name in settings.LANGUAGES],
        issued=first,
        modified=progress.computed_at if progress else timezone.now(),
        temporal_start=first,
        temporal_end=_month_end(last) if last else None,
        titles=titles,
        descriptions=descriptions,
    )
    return JsonResponse(
        document,
        content_type="application/ld+json",
        json_dumps_params={"ensure_ascii": False},
    )


def _month_end(start: date) -> date:
    return next_month(start) - timedelta(days=1)
