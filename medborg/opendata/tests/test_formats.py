"""The open-data file formats: CSV, JSON, data package, DCAT-AP and Kolada."""

import csv
import io
import json
import socket
import warnings
from datetime import UTC, date, datetime

from django.utils import translation
from django.utils.functional import lazy

import frictionless
import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from medborg.opendata import kolada
from medborg.opendata.datapackage import (
    definitions_schema,
    descriptor,
    indicators_schema,
)
from medborg.opendata.dcat import catalog
from medborg.opendata.indicators import INDICATORS, Indicator, Unit
from medborg.opendata.kolada import (
    KoladaFormatError,
    PeerRow,
    export_lines,
    parse,
)
from medborg.opendata.tables import (
    COLUMNS,
    DEFINITION_COLUMNS,
    Figure,
    csv_lines,
    definitions_lines,
    json_chunks,
    value_text,
)

BASE_URL = "https://medborg.example.se"
# Open namespaces: pytest's collection probes module attributes, which
# rdflib's closed ones warn about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
CC0 = {
    "name": "CC0-1.0",
    "path": "http://creativecommons.org/publicdomain/zero/1.0/",
    "title": "Creative Commons Zero v1.0 Universal",
}


def _figures() -> list[Figure]:
    return [
        Figure(
            indicator="received",
            granularity="month",
            period="2026-11",
            period_start=date(2026, 11, 1),
            scope="municipality",
            scope_key="",
            scope_name="Växjö kommun",
            value=12.0,
            count=12,
            suppressed=False,
        ),
        Figure(
            indicator="received",
            granularity="month",
            period="2026-11",
            period_start=date(2026, 11, 1),
            scope="category",
            scope_key="roads",
            scope_name="Roads",
            value=None,
            count=None,
            suppressed=True,
        ),
        Figure(
            indicator="processing_days_median",
            granularity="quarter",
            period="2026-Q4",
            period_start=date(2026, 10, 1),
            scope="service",
            scope_key="pothole",
            scope_name='Potholes, "urgent"',
            value=3.249999,
            count=40,
            suppressed=False,
        ),
    ]


@pytest.fixture
def offline(monkeypatch):
    """Refuse every connection; the returned list holds the attempts."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


# tables: CSV


def test_csv_lines_round_trip_through_the_csv_module():
    rows = list(csv.reader(io.StringIO("".join(csv_lines(_figures())), newline="")))

    assert rows == [
        list(COLUMNS),
        [
            "received",
            "month",
            "2026-11",
            "2026-11-01",
            "municipality",
            "",
            "Växjö kommun",
            "12",
            "cases",
            "12",
            "false",
        ],
        [
            "received",
            "month",
            "2026-11",
            "2026-11-01",
            "category",
            "roads",
            "Roads",
            "",
            "cases",
            "",
            "true",
        ],
        [
            "processing_days_median",
            "quarter",
            "2026-Q4",
            "2026-10-01",
            "service",
            "pothole",
            'Potholes, "urgent"',
            "3.25",
            "days",
            "40",
            "false",
        ],
    ]


def test_csv_lines_yield_one_crlf_line_per_figure():
    lines = list(csv_lines(_figures()))

    assert len(lines) == 4
    assert lines[0] == ",".join(COLUMNS) + "\r\n"
    assert lines[3] == (
        "processing_days_median,quarter,2026-Q4,2026-10-01,service,pothole,"
        '"Potholes, ""urgent""",3.25,days,40,false\r\n'
    )


def test_csv_lines_consume_figures_only_as_lines_are_read():
    consumed = []

    def figures():
        for figure in _figures():
            consumed.append(figure.scope)
            yield figure

    lines = csv_lines(figures())
    next(lines)
    assert consumed == []
    next(lines)
    assert consumed == ["municipality"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (12.5, "12.5"),
        (3.0, "3"),
        (0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (3.14159265, "3.1416"),
        (0.00004, "0"),
        (-0.00004, "0"),
        (-2.5, "-2.5"),
        (1234567.0, "1234567"),
    ],
)
def test_value_text_keeps_four_decimals_without_trailing_zeros(value, text):
    assert value_text(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_value_text_refuses_non_finite_numbers(value):
    with pytest.raises(ValueError, match="is not a finite number"):
        value_text(value)


@pytest.mark.parametrize(("value", "count"), [(1.0, None), (None, 3), (1.0, 3)])
def test_figure_refuses_a_suppressed_value_or_count(value, count):
    with pytest.raises(ValueError, match="suppressed figure received 2026-11"):
        Figure(
            "received",
            "month",
            "2026-11",
            date(2026, 11, 1),
            "municipality",
            "",
            "Växjö kommun",
            value,
            count,
            True,
        )


# tables: JSON


def test_json_chunks_without_figures_are_valid_json():
    chunks = list(json_chunks([], meta={"licence": "CC0-1.0"}))

    assert json.loads("".join(chunks)) == {
        "meta": {"licence": "CC0-1.0"},
        "figures": [],
    }
    assert len(chunks) == 2


def test_json_chunks_hold_one_figure_each():
    chunks = list(json_chunks(_figures(), meta={"licence": "CC0-1.0"}))
    document = json.loads("".join(chunks))

    assert len(chunks) == 5
    assert document["meta"] == {"licence": "CC0-1.0"}
    assert document["figures"] == [
        {
            "indicator": "received",
            "granularity": "month",
            "period": "2026-11",
            "period_start": "2026-11-01",
            "scope": "municipality",
            "scope_key": "",
            "scope_name": "Växjö kommun",
            "value": 12,
            "unit": "cases",
            "count": 12,
            "suppressed": False,
        },
        {
            "indicator": "received",
            "granularity": "month",
            "period": "2026-11",
            "period_start": "2026-11-01",
            "scope": "category",
            "scope_key": "roads",
            "scope_name": "Roads",
            "value": None,
            "unit": "cases",
            "count": None,
            "suppressed": True,
        },
        {
            "indicator": "processing_days_median",
            "granularity": "quarter",
            "period": "2026-Q4",
            "period_start": "2026-10-01",
            "scope": "service",
            "scope_key": "pothole",
            "scope_name": 'Potholes, "urgent"',
            "value": 3.25,
            "unit": "days",
            "count": 40,
            "suppressed": False,
        },
    ]
    assert [list(item) for item in document["figures"]] == [list(COLUMNS)] * 3


def test_json_chunks_encode_dates_and_lazy_texts_in_meta():
    meta = {
        "generated": datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
        "from": date(2026, 1, 1),
        "title": INDICATORS[0].title,
    }

    document = json.loads("".join(json_chunks([], meta=meta)))

    assert document["meta"] == {
        "generated": "2026-11-05T03:00:00Z",
        "from": "2026-01-01",
        "title": "Cases received",
    }


# tables: definitions


def test_definitions_lines_hold_every_indicator():
    rows = list(csv.reader(io.StringIO("".join(definitions_lines()), newline="")))

    assert rows[0] == list(DEFINITION_COLUMNS)
    assert [row[0] for row in rows[1:]] == [item.id for item in INDICATORS]
    assert rows[-1][:4] == [
        "route_baseline_km",
        "bins",
        "Fixed weekly round, same days",
        "km",
    ]
    assert rows[-1][5] == "false"
    assert rows[1][5] == "true"


def test_definitions_lines_translate_into_the_language_given_and_restore():
    language = lazy(translation.get_language, str)
    indicator = Indicator("probe", "demand", language(), Unit.CASES, language())

    lines = list(definitions_lines([indicator], language="da"))

    assert lines[1] == "probe,demand,da,cases,da,true\r\n"
    assert translation.get_language() == "en"


# datapackage


def _write_package(directory, indicators_text: str | None = None) -> str:
    if indicators_text is None:
        indicators_text = "".join(csv_lines(_figures()))
    (directory / "indicators.csv").write_text(
        indicators_text, encoding="utf-8", newline=""
    )
    (directory / "definitions.csv").write_text(
        "".join(definitions_lines()), encoding="utf-8", newline=""
    )
    package = descriptor(
        name="Växjö kommun",
        title="Växjö kommun: open data",
        description="Indicators of the municipality's case handling.",
        licence=CC0,
        publisher="Växjö kommun",
        base_url=BASE_URL + "/",
    )
    path = directory / "datapackage.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    return str(path)


def test_schemas_list_the_columns_in_order():
    assert [field["name"] for field in indicators_schema()["fields"]] == list(COLUMNS)
    assert [field["name"] for field in definitions_schema()["fields"]] == list(
        DEFINITION_COLUMNS
    )


def test_datapackage_validates_against_the_files_without_network(tmp_path, offline):
    report = frictionless.validate(_write_package(tmp_path))

    assert report.flatten(["rowNumber", "fieldName", "type"]) == []
    assert report.valid is True
    assert offline == []


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (",3.25,", ",abc,", "type-error"),
        ("days,40,false", "days,40,no", "type-error"),
        ("2026-Q4,", "2026-Q5,", "constraint-error"),
        (
            "received,month,2026-11,2026-11-01,category",
            "unknown,month,2026-11,2026-11-01,category",
            "constraint-error",
        ),
        ("category,roads", "municipality,", "primary-key"),
    ],
)
def test_datapackage_finds_a_bad_cell(tmp_path, offline, old, new, error):
    text = "".join(csv_lines(_figures()))
    assert text.count(old) == 1

    report = frictionless.validate(_write_package(tmp_path, text.replace(old, new)))

    assert report.valid is False
    assert error in [row[0] for row in report.flatten(["type"])]
    assert offline == []


def test_datapackage_descriptor_shape():
    package = descriptor(
        name="Växjö kommun",
        title="Open data",
        description="Indicators.",
        licence=CC0,
        publisher="Växjö kommun",
        base_url=BASE_URL + "/",
    )

    assert package["name"] == "vaxjo-kommun"
    assert package["homepage"] == "https://medborg.example.se/open-data/"
    assert package["licenses"] == [CC0]
    assert "created" not in package
    assert [resource["path"] for resource in package["resources"]] == [
        "indicators.csv",
        "definitions.csv",
    ]
    assert package["resources"][0]["schema"]["primaryKey"] == [
        "indicator",
        "granularity",
        "period",
        "scope",
        "scope_key",
    ]


def test_datapackage_descriptor_adds_created_and_extra_resources():
    extra = {"name": "kolada", "path": "kolada.csv"}
    package = descriptor(
        name="vaxjo",
        title="Open data",
        description="Indicators.",
        licence=CC0,
        publisher="Växjö kommun",
        base_url=BASE_URL,
        keywords=["cases"],
        created=datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
        extra_resources=[extra],
    )

    assert package["created"] == "2026-11-05T03:00:00+00:00"
    assert package["keywords"] == ["cases"]
    assert package["resources"][2] == extra


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "—"}, "package name '—' has no letters or digits"),
        ({"licence": {"title": "CC0"}}, "the licence needs a name or a path"),
        (
            {"created": datetime(2026, 11, 5)},  # noqa: DTZ001
            "created must be an aware datetime",
        ),
    ],
)
def test_datapackage_descriptor_refuses(changes, message):
    arguments = {
        "name": "vaxjo",
        "title": "Open data",
        "description": "Indicators.",
        "licence": CC0,
        "publisher": "Växjö kommun",
        "base_url": BASE_URL,
        **changes,
    }
    with pytest.raises(ValueError, match=f"^{message}$"):
        descriptor(**arguments)


# dcat


def _catalog(**changes) -> dict:
    arguments = {
        "base_url": BASE_URL + "/",
        "municipality_name": "Växjö kommun",
        "municipality_code": "0780",
        "country": "SE",
        "licence": "CC0-1.0",
        "languages": ["sv", "en"],
        "issued": date(2026, 1, 1),
        "modified": datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
        "temporal_start": date(2025, 1, 1),
        "temporal_end": date(2026, 11, 30),
        "titles": {"sv": "Öppna data", "en": "Open data"},
        "descriptions": {"sv": "Nyckeltal.", "en": "Indicators."},
        **changes,
    }
    return catalog(**arguments)


def _graph(document: dict) -> Graph:
    with warnings.catch_warnings():
        # rdflib's own JSON-LD parser still builds a ConjunctiveGraph.
        warnings.filterwarnings(
            "ignore", "ConjunctiveGraph is deprecated", DeprecationWarning
        )
        return Graph().parse(data=json.dumps(document), format="json-ld")


def test_dcat_has_one_catalog_with_its_mandatory_properties():
    graph = _graph(_catalog())

    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert catalogs == [URIRef("https://medborg.example.se/open-data/#catalog")]
    (node,) = catalogs
    assert set(graph.objects(node, DCTERMS.title)) == {
        Literal("Öppna data", lang="sv"),
        Literal("Open data", lang="en"),
    }
    assert len(set(graph.objects(node, DCTERMS.description))) == 2
    publisher = graph.value(node, DCTERMS.publisher)
    assert publisher == URIRef("https://medborg.example.se/#publisher")
    assert graph.value(publisher, FOAF.name) == Literal("Växjö kommun")
    assert graph.value(publisher, DCTERMS.identifier) == Literal("0780")
    assert len(list(graph.objects(node, DCAT.dataset))) == 1
    assert graph.value(node, FOAF.homepage) == URIRef(
        "https://medborg.example.se/open-data/"
    )
    assert set(graph.objects(node, DCTERMS.language)) == {
        URIRef("http://publications.europa.eu/resource/authority/language/SWE"),
        URIRef("http://publications.europa.eu/resource/authority/language/ENG"),
    }


def test_dcat_types_dates():
    graph = _graph(_catalog())
    node = graph.value(predicate=RDF.type, object=DCAT.Catalog)

    issued = graph.value(node, DCTERMS.issued)
    modified = graph.value(node, DCTERMS.modified)
    assert (issued.datatype, issued.toPython()) == (XSD.date, date(2026, 1, 1))
    assert (modified.datatype, modified.toPython()) == (
        XSD.dateTime,
        datetime(2026, 11, 5, 3, 0, tzinfo=UTC),
    )


def test_dcat_has_one_dataset_with_its_properties():
    graph = _graph(_catalog(contact_email="info@vaxjo.example"))

    datasets = list(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 1
    (dataset,) = datasets
    assert len(set(graph.objects(dataset, DCTERMS.title))) == 2
    assert len(set(graph.objects(dataset, DCTERMS.description))) == 2
    assert graph.value(dataset, DCTERMS.publisher) == URIRef(
        "https://medborg.example.se/#publisher"
    )
    assert graph.value(dataset, DCTERMS.license) == URIRef(
        "http://creativecommons.org/publicdomain/zero/1.0/"
    )
    assert graph.value(dataset, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/DAILY"
    )
    assert graph.value(dataset, DCAT.theme) == URIRef(
        "http://publications.europa.eu/resource/authority/data-theme/GOVE"
    )
    contact = graph.value(dataset, DCAT.contactPoint)
    assert graph.value(contact, RDF.type) == VCARD.Organization
    assert graph.value(contact, VCARD.fn) == Literal("Växjö kommun")
    assert graph.value(contact, VCARD.hasURL) == URIRef("https://medborg.example.se/")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:info@vaxjo.example")
    temporal = graph.value(dataset, DCTERMS.temporal)
    assert graph.value(temporal, DCAT.startDate).toPython() == date(2025, 1, 1)
    assert graph.value(temporal, DCAT.endDate).toPython() == date(2026, 11, 30)


def test_dcat_distributions_have_access_urls_formats_and_media_types():
    graph = _graph(_catalog())
    dataset = graph.value(predicate=RDF.type, object=DCAT.Dataset)

    rows = graph.query(
        """
        SELECT ?access ?download ?format ?media ?license WHERE {
            ?dataset dcat:distribution ?distribution .
            ?distribution a dcat:Distribution ;
                dcat:accessURL ?access ;
                dcat:downloadURL ?download ;
                dct:format ?format ;
                dcat:mediaType ?media ;
                dct:license ?license ;
                dct:title ?title .
        }
        """,
        initNs={"dcat": DCAT, "dct": DCTERMS},
        initBindings={"dataset": dataset},
    )

    file_type = "http://publications.europa.eu/resource/authority/file-type/"
    media = "https://www.iana.org/assignments/media-types/"
    files = "https://medborg.example.se/open-data/"
    cc0 = "http://creativecommons.org/publicdomain/zero/1.0/"
    assert {tuple(str(term) for term in row) for row in rows} == {
        (
            files + "indicators.csv",
            files + "indicators.csv",
            file_type + "CSV",
            media + "text/csv",
            cc0,
        ),
        (
            files + "indicators.json",
            files + "indicators.json",
            file_type + "JSON",
            media + "application/json",
            cc0,
        ),
        (
            files + "datapackage.json",
            files + "datapackage.json",
            file_type + "JSON",
            media + "application/json",
            cc0,
        ),
        (
            files + "kolada.csv",
            files + "kolada.csv",
            file_type + "CSV",
            media + "text/csv",
            cc0,
        ),
    }


def test_dcat_data_service_serves_the_dataset():
    graph = _graph(_catalog())

    rows = list(
        graph.query(
            """
            SELECT ?endpoint ?description WHERE {
                ?catalog a dcat:Catalog ; dcat:service ?service .
                ?service a dcat:DataService ;
                    dcat:endpointURL ?endpoint ;
                    dcat:endpointDescription ?description ;
                    dcat:servesDataset ?dataset .
                ?dataset a dcat:Dataset .
            }
            """,
            initNs={"dcat": DCAT},
        )
    )

    assert [(str(row[0]), str(row[1])) for row in rows] == [
        (
            "https://medborg.example.se/api/v1/open-data/",
            "https://medborg.example.se/api/v1/schema/",
        )
    ]


def test_dcat_context_is_inline():
    document = _catalog()

    assert isinstance(document["@context"], dict)
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"


@pytest.mark.parametrize(
    ("licence", "uri"),
    [
        ("CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/"),
        ("CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0/"),
    ],
)
def test_dcat_licence_uris(licence, uri):
    graph = _graph(_catalog(licence=licence))

    licences = {
        str(graph.value(subject, DCTERMS.license))
        for subject in graph.subjects(DCTERMS.license, None, unique=True)
    }
    assert licences == {uri}


def test_dcat_leaves_out_dates_not_given():
    graph = _graph(
        _catalog(issued=None, modified=None, temporal_start=None, temporal_end=None)
    )

    assert list(graph.objects(None, DCTERMS.issued)) == []
    assert list(graph.objects(None, DCTERMS.modified)) == []
    assert list(graph.objects(None, DCTERMS.temporal)) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"licence": "MIT"},
            "unknown licence 'MIT'; known: CC0-1.0, CC-BY-4.0",
        ),
        ({"country": "NO"}, "unknown country 'NO'; known: SE, DK"),
        ({"languages": ["xx"]}, "unknown language 'xx'; known: sv, da, en, fi, de"),
        ({"titles": {}}, "the catalogue needs a title and a description"),
        (
            {"modified": datetime(2026, 11, 5)},  # noqa: DTZ001
            "modified must be an aware datetime",
        ),
    ],
)
def test_dcat_refuses(changes, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        _catalog(**changes)


# kolada


def test_kolada_export_keeps_municipality_figures_only():
    text = "".join(export_lines(_figures(), municipality_code="0780"))

    assert text == (
        "kpi,municipality_id,period,gender,value,count,status\r\n"
        "medborg.received,0780,2026-11,T,12,12,\r\n"
    )


def test_kolada_export_marks_suppressed_figures():
    figure = Figure(
        "received",
        "month",
        "2026-10",
        date(2026, 10, 1),
        "municipality",
        "",
        "Växjö kommun",
        None,
        None,
        True,
    )

    lines = list(export_lines([figure], municipality_code="0780"))

    assert lines[1] == "medborg.received,0780,2026-10,T,,,suppressed\r\n"


def test_kolada_export_and_parse_round_trip():
    figures = [
        Figure(
            indicator,
            "month",
            "2026-11",
            date(2026, 11, 1),
            "municipality",
            "",
            "Växjö kommun",
            value,
            count,
            value is None,
        )
        for indicator, value, count in [
            ("received", 12.0, 12),
            ("within_deadline_share", 87.5, 40),
            ("satisfaction_mean", None, None),
        ]
    ]

    rows = parse("".join(export_lines(figures, municipality_code="0780")))

    assert rows == [
        PeerRow("0780", "received", "2026-11", 12.0, 12),
        PeerRow("0780", "within_deadline_share", "2026-11", 87.5, 40),
        PeerRow("0780", "satisfaction_mean", "2026-11", None, None),
    ]


def test_kolada_parse_reads_ids_without_prefix_and_optional_columns():
    text = "KPI,Municipality_ID,Period,Value\nreceived,0780,2026,40\n"

    assert parse(text) == [PeerRow("0780", "received", "2026", 40.0, None)]


def test_kolada_parse_skips_other_genders_and_blank_lines():
    text = (
        "kpi,municipality_id,period,gender,value\n"
        "\n"
        "medborg.received,0780,2026-Q4,K,10\n"
        "medborg.received,0780,2026-Q4,M,11\n"
        "medborg.received,0780,2026-Q4,T,21\n"
        "medborg.closed,0780,2026-Q4,,19\n"
    )

    assert parse(text) == [
        PeerRow("0780", "received", "2026-Q4", 21.0, None),
        PeerRow("0780", "closed", "2026-Q4", 19.0, None),
    ]


def test_kolada_parse_reads_spreadsheet_semicolons_and_decimal_commas():
    text = (
        "\ufeffkpi;municipality_id;period;value;count\r\n"
        "medborg.satisfaction_mean;0780;2026-11;4,25;31\r\n"
    )

    assert parse(text) == [PeerRow("0780", "satisfaction_mean", "2026-11", 4.25, 31)]


def test_kolada_parse_withholds_suppressed_figures():
    text = (
        "kpi,municipality_id,period,value,count,status\n"
        "received,0780,2026,3,3,suppressed\n"
    )

    assert parse(text) == [PeerRow("0780", "received", "2026", None, None)]


HEADER = "kpi,municipality_id,period,gender,value,count,status\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n \n", "the file is empty"),
        (
            "kpi,period,value\n",
            "Line 1: missing column: municipality_id (needed: kpi, "
            "municipality_id, period, value; optional: gender, count, status)",
        ),
        (
            "kpi,municipality_id,period,value,value\n",
            "Line 1: repeated column: value",
        ),
        (
            HEADER + "medborg.received,0780,2026-11,T,12\n",
            "Line 2: 5 fields where the header has 7",
        ),
        (
            HEADER + "medborg.received,0780,2026-13,T,12,12,\n",
            "Line 2: period '2026-13' is not YYYY, YYYY-MM or YYYY-Qn",
        ),
        (
            HEADER + "medborg.received,0780,2026-Q5,T,12,12,\n",
            "Line 2: period '2026-Q5' is not YYYY, YYYY-MM or YYYY-Qn",
        ),
        (
            HEADER + "medborg.received,0780,2026-11,T,12.5.1,12,\n",
            "Line 2: value '12.5.1' is not a number like 12.5",
        ),
        (
            HEADER + 'medborg.received,0780,2026-11,T,"12,5",12,\n',
            "Line 2: value '12,5' is not a number like 12.5",
        ),
        (
            HEADER + "medborg.received,0780,2026-11,T,12,-1,\n",
            "Line 2: count '-1' is not a whole number of 0 or more",
        ),
        (
            HEADER + "medborg.received,Växjö,2026-11,T,12,12,\n",
            "Line 2: municipality_id 'Växjö' is not a 3- or 4-digit code",
        ),
        (HEADER + "medborg.,0780,2026-11,T,12,12,\n", "Line 2: kpi is empty"),
        (
            HEADER
            + "medborg.received,0780,2026-11,T,12,12,\n"
            + "received,0780,2026-11,T,13,13,\n",
            "Line 3: repeats the municipality_id, kpi and period of line 2",
        ),
        (
            HEADER + 'medborg.received,0780,2026-11,T,"12,12,\n',
            "Line 2: not readable as CSV (unexpected end of data)",
        ),
    ],
)
def test_kolada_parse_names_the_line_and_the_problem(text, message):
    with pytest.raises(KoladaFormatError) as raised:
        parse(text)

    assert str(raised.value) == message


def test_kolada_parse_refuses_more_rows_than_the_cap(monkeypatch):
    monkeypatch.setattr(kolada, "MAX_ROWS", 2)
    rows = "".join(
        f"medborg.received,0780,2026-0{month},T,1,1,\n" for month in (1, 2, 3)
    )

    with pytest.raises(KoladaFormatError) as raised:
        parse(HEADER + rows)

    assert str(raised.value) == "Line 4: more than 2 rows; split the file"
    assert raised.value.line == 4


def test_kolada_parse_accepts_as_many_rows_as_the_cap(monkeypatch):
    monkeypatch.setattr(kolada, "MAX_ROWS", 2)
    rows = "".join(f"medborg.received,0780,2026-0{month},T,1,1,\n" for month in (1, 2))

    assert len(parse(HEADER + rows)) == 2


def test_kolada_format_error_is_a_value_error():
    assert issubclass(KoladaFormatError, ValueError)
