"""Describe the open data as a DCAT-AP catalogue in JSON-LD.

Pure: no ORM, no requests. The document follows DCAT-AP 2 and 3 and the
Swedish profile DCAT-AP-SE, which Sweden's and Denmark's data portals
harvest: one catalogue holding one dataset (the indicators) with its four
files, and the API that serves it. The ``@context`` is inline, so the
document is read without fetching anything; controlled values are the EU
Publications Office's authority URIs.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime

CONTEXT = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

AUTHORITY = "http://publications.europa.eu/resource/authority"
LICENCES = {
    "CC0-1.0": "http://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "http://creativecommons.org/licenses/by/4.0/",
}
# ISO 639-1, as in settings.LANGUAGES, to the EU language authority's codes.
LANGUAGES = {"sv": "SWE", "da": "DAN", "en": "ENG", "fi": "FIN", "de": "DEU"}
COUNTRIES = {"SE": "SWE", "DK": "DNK"}
IANA = "https://www.iana.org/assignments/media-types"

# Key, path under /open-data/, EU file type, media type, default title.
DISTRIBUTIONS = (
    ("csv", "indicators.csv", "CSV", "text/csv", "Indicators (CSV)"),
    ("json", "indicators.json", "JSON", "application/json", "Indicators (JSON)"),
    (
        "datapackage",
        "datapackage.json",
        "JSON",
        "application/json",
        "Indicators as a Frictionless Data Package",
    ),
    ("kolada", "kolada.csv", "CSV", "text/csv", "Indicators for Kolada (CSV)"),
)
# Specifications a distribution's content follows, beyond its file type.
CONFORMS_TO = {"datapackage": "https://specs.frictionlessdata.io/data-package/"}


def _texts(texts: Mapping[str, str]) -> list[dict]:
    return [{"@value": text, "@language": lang} for lang, text in texts.items()]


def _iri(iri: str) -> dict:
    return {"@id": iri}


def _typed(value: date | datetime) -> dict:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValueError("modified must be an aware datetime")
        return {"@value": value.isoformat(), "@type": "xsd:dateTime"}
    return {"@value": value.isoformat(), "@type": "xsd:date"}


def _lookup(table: Mapping[str, str], key: str, what: str) -> str:
    try:
        return table[key]
    except KeyError:
        known = ", ".join(table)
        raise ValueError(f"unknown {what} {key!r}; known: {known}") from None


def _dates(issued: date | None, modified: datetime | None) -> dict:
    dates = {}
    if issued is not None:
        dates["dct:issued"] = _typed(issued)
    if modified is not None:
        dates["dct:modified"] = _typed(modified)
    return dates


def _temporal(start: date | None, end: date | None) -> dict:
    if start is None and end is None:
        return {}
    period = {"@type": "dct:PeriodOfTime"}
    if start is not None:
        period["dcat:startDate"] = _typed(start)
    if end is not None:
        period["dcat:endDate"] = _typed(end)
    return {"dct:temporal": period}


def _publisher(base_url: str, name: str, code: str) -> dict:
    return {
        # Stable as long as the site's address is; the code identifies it too.
        "@id": f"{base_url}/#publisher",
        "@type": "foaf:Agent",
        "foaf:name": name,
        "dct:identifier": code,
        "dct:type": _iri("http://purl.org/adms/publishertype/LocalAuthority"),
    }


def _contact(base_url: str, name: str, email: str) -> dict:
    contact = {
        "@type": "vcard:Organization",
        "vcard:fn": name,
        "vcard:hasURL": _iri(f"{base_url}/"),
    }
    if email:
        contact["vcard:hasEmail"] = _iri(f"mailto:{email}")
    return contact


def _distribution(base_url: str, licence: dict, spec: tuple, titles: Mapping) -> dict:
    key, path, file_type, media_type, default_title = spec
    url = f"{base_url}/open-data/{path}"
    distribution = {
        "@id": f"{base_url}/open-data/#distribution-{key}",
        "@type": "dcat:Distribution",
        "dct:title": _texts(titles.get(key) or {"en": default_title}),
        # Each file is downloaded directly: access and download are one URL.
        "dcat:accessURL": _iri(url),
        "dcat:downloadURL": _iri(url),
        "dct:format": _iri(f"{AUTHORITY}/file-type/{file_type}"),
        "dcat:mediaType": _iri(f"{IANA}/{media_type}"),
        "dct:license": licence,
    }
    if key in CONFORMS_TO:
        distribution["dct:conformsTo"] = _iri(CONFORMS_TO[key])
    return distribution


def _service(base_url: str, licence: dict, dataset_id: str, titles: Mapping) -> dict:
    return {
        "@id": f"{base_url}/api/v1/open-data/#service",
        "@type": "dcat:DataService",
        "dct:title": _texts(titles.get("api") or {"en": "Open data API"}),
        "dcat:endpointURL": _iri(f"{base_url}/api/v1/open-data/"),
        "dcat:endpointDescription": _iri(f"{base_url}/api/v1/schema/"),
        "dcat:servesDataset": _iri(dataset_id),
        "dct:license": licence,
    }


def _keywords(keywords: Mapping[str, Sequence[str]] | None) -> dict:
    if not keywords:
        return {}
    tagged = [
        {"@value": word, "@language": lang}
        for lang, words in keywords.items()
        for word in words
    ]
    return {"dcat:keyword": tagged}


def _licence(name: str) -> dict:
    return {"@id": _lookup(LICENCES, name, "licence"), "@type": "dct:LicenseDocument"}


def _language(code: str) -> dict:
    return _iri(f"{AUTHORITY}/language/{_lookup(LANGUAGES, code, 'language')}")


def catalog(
    *,
    base_url: str,
    municipality_name: str,
    municipality_code: str,
    country: str,
    licence: str,
    languages: Sequence[str],
    issued: date | None,
    modified: datetime | None,
    temporal_start: date | None,
    temporal_end: date | None,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    contact_email: str = "",
    keywords: Mapping[str, Sequence[str]] | None = None,
    distribution_titles: Mapping[str, Mapping[str, str]] | None = None,
) -> dict:
    """Build the DCAT-AP catalogue as a JSON-LD document (a JSON-ready dict).

    ``base_url`` is the site's address (a trailing slash is dropped);
    ``country`` is "SE" or "DK"; ``licence`` is "CC0-1.0" or "CC-BY-4.0";
    ``languages`` are ISO 639-1 codes ("sv", "da", "en"); ``titles``,
    ``descriptions`` and ``keywords`` are keyed by those codes and used for
    both the catalogue and the dataset. ``modified`` must be aware. Dates
    left None are left out. ``distribution_titles`` may give per-language
    titles keyed "csv", "json", "datapackage", "kolada" or "api"; missing
    ones default to English.

    Raises ValueError for an unknown licence, country or language, an empty
    title or description, or a naive ``modified``.
    """
    if not titles or not descriptions:
        raise ValueError("the catalogue needs a title and a description")
    base_url = base_url.rstrip("/")
    licence_node = _licence(licence)
    shared = {
        "dct:title": _texts(titles),
        "dct:description": _texts(descriptions),
        "dct:publisher": _publisher(base_url, municipality_name, municipality_code),
        "dct:license": licence_node,
        "dct:language": [_language(code) for code in languages],
        "dct:spatial": _iri(
            f"{AUTHORITY}/country/{_lookup(COUNTRIES, country, 'country')}"
        ),
        **_dates(issued, modified),
    }
    titles_by_key = distribution_titles or {}
    dataset = {
        "@id": f"{base_url}/open-data/#indicators",
        "@type": "dcat:Dataset",
        **shared,
        **_keywords(keywords),
        "dcat:contactPoint": _contact(base_url, municipality_name, contact_email),
        "dcat:landingPage": _iri(f"{base_url}/open-data/"),
        # Each day's events change the figures of the period they fall in.
        "dct:accrualPeriodicity": _iri(f"{AUTHORITY}/frequency/DAILY"),
        "dcat:theme": _iri(f"{AUTHORITY}/data-theme/GOVE"),
        **_temporal(temporal_start, temporal_end),
        "dcat:distribution": [
            _distribution(base_url, licence_node, spec, titles_by_key)
            for spec in DISTRIBUTIONS
        ],
    }
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}/open-data/#catalog",
        "@type": "dcat:Catalog",
        **shared,
        "foaf:homepage": _iri(f"{base_url}/open-data/"),
        "dcat:dataset": dataset,
        "dcat:service": _service(base_url, licence_node, dataset["@id"], titles_by_key),
    }
