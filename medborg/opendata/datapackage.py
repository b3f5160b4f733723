"""Describe the open data as a Frictionless Tabular Data Package (v1).

Pure: no ORM, no requests. The descriptor is served as datapackage.json
beside indicators.csv and definitions.csv, whose paths it gives relative to
itself (https://specs.frictionlessdata.io/data-package/). Its profiles are
the named ones ("tabular-data-package", "tabular-data-resource") and its
schemas are inline, so validators need no network.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.utils.text import slugify

from medborg.opendata.indicators import GROUPS, INDICATORS, Granularity, Scope, Unit

# XML Schema syntax, anchored by Table Schema validators: "2026-11", "2026-Q4".
PERIOD_PATTERN = "[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])"
BOOLEAN = {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}


def _string(name: str, description: str, **constraints) -> dict:
    field = {"name": name, "type": "string", "description": description}
    if constraints:
        field["constraints"] = constraints
    return field


def _key_fields() -> list[dict]:
    return [
        _string(
            "indicator",
            "Indicator id (definitions.csv).",
            required=True,
            enum=[indicator.id for indicator in INDICATORS],
        ),
        _string(
            "granularity",
            "Length of the period.",
            required=True,
            enum=[granularity.value for granularity in Granularity],
        ),
        _string("period", "Month or quarter.", required=True, pattern=PERIOD_PATTERN),
        {
            "name": "period_start",
            "type": "date",
            "description": "First day of the period.",
            "constraints": {"required": True},
        },
        _string(
            "scope",
            "What the figure covers.",
            required=True,
            enum=[scope.value for scope in Scope],
        ),
        # The municipality's own key is "", a value rather than a missing one:
        # the column is part of the primary key, which may hold no nulls.
        # Field-level missingValues come from Table Schema v2; v1 readers
        # ignore the property.
        {
            **_string("scope_key", 'Service, category or area key; "" for all.'),
            "missingValues": [],
        },
    ]


def _measure_fields() -> list[dict]:
    return [
        _string("scope_name", "Name of the service, category or area."),
        {"name": "value", "type": "number", "description": "Empty when suppressed."},
        _string(
            "unit", "Unit of the value.", required=True, enum=[u.value for u in Unit]
        ),
        {
            "name": "count",
            "type": "integer",
            "description": "Cases, answers or steps the value rests on.",
            "constraints": {"minimum": 0},
        },
        {
            "name": "suppressed",
            **BOOLEAN,
            "description": "Whether value and count are withheld as too small.",
            "constraints": {"required": True},
        },
    ]


def indicators_schema() -> dict:
    """Return the Table Schema of indicators.csv (``tables.csv_lines``)."""
    return {
        "fields": [*_key_fields(), *_measure_fields()],
        "missingValues": [""],
        "primaryKey": ["indicator", "granularity", "period", "scope", "scope_key"],
        "foreignKeys": [
            {
                "fields": ["indicator"],
                "reference": {"resource": "definitions", "fields": ["id"]},
            }
        ],
    }


def definitions_schema() -> dict:
    """Return the Table Schema of definitions.csv (``tables.definitions_lines``)."""
    fields = [
        _string("id", "Indicator id.", required=True, unique=True),
        _string("group", "Group of indicators.", required=True, enum=list(GROUPS)),
        _string("title", "Title.", required=True),
        _string("unit", "Unit.", required=True, enum=[u.value for u in Unit]),
        _string("definition", "What is counted, and when.", required=True),
        {
            "name": "about_people",
            **BOOLEAN,
            "description": "Whether small counts are suppressed.",
            "constraints": {"required": True},
        },
    ]
    return {"fields": fields, "missingValues": [""], "primaryKey": ["id"]}


def _csv_resource(name: str, title: str, schema: dict) -> dict:
    return {
        "profile": "tabular-data-resource",
        "name": name,
        "path": f"{name}.csv",
        "title": title,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _licence(licence: Mapping[str, str]) -> dict:
    if not (licence.get("name") or licence.get("path")):
        raise ValueError("the licence needs a name or a path")
    return {key: licence[key] for key in ("name", "path", "title") if key in licence}


def descriptor(
    *,
    name: str,
    title: str,
    description: str,
    licence: Mapping[str, str],
    publisher: str,
    base_url: str,
    keywords: Sequence[str] = (),
    created: datetime | None = None,
    extra_resources: Sequence[Mapping] = (),
) -> dict:
    """Build the datapackage.json descriptor, a JSON-ready dict.

    ``name`` is made a lowercase slug ("Malmö stad" → "malmo-stad");
    ``title`` and ``description`` are plain text in one language.
    ``licence`` is ``{"name": "CC0-1.0", "path": <URL>, "title": ...}``
    (name or path required). ``publisher`` is the municipality's name and
    ``base_url`` the site's address (a trailing slash is dropped); the
    package's homepage is ``base_url + "/open-data/"``. ``created`` (aware) is left out
    when None, so the descriptor only changes when its content does.
    ``extra_resources`` are appended after ``indicators`` and ``definitions``;
    each needs ``"profile": "tabular-data-resource"`` and a schema, as the
    tabular package profile requires.

    Raises ValueError for a name without letters or digits, a licence
    without name and path, or a naive ``created``.
    """
    slug = slugify(name)
    if not slug:
        raise ValueError(f"package name {name!r} has no letters or digits")
    base_url = base_url.rstrip("/")
    package = {
        "profile": "tabular-data-package",
        "name": slug,
        "title": title,
        "description": description,
        "homepage": f"{base_url}/open-data/",
        "licenses": [_licence(licence)],
        "contributors": [
            {"title": publisher, "role": "publisher", "path": f"{base_url}/"}
        ],
    }
    if keywords:
        package["keywords"] = list(keywords)
    if created is not None:
        if created.utcoffset() is None:
            raise ValueError("created must be an aware datetime")
        package["created"] = created.isoformat()
    package["resources"] = [
        _csv_resource("indicators", "Indicators", indicators_schema()),
        _csv_resource("definitions", "Definitions", definitions_schema()),
        *(dict(resource) for resource in extra_resources),
    ]
    return package
