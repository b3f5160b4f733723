"""Describe the municipality Medborg serves: country, time zone and boundary.

Pure functions plus one cached boundary read from the GeoJSON file named by the
``MEDBORG_BOUNDARY_FILE`` setting; nothing here touches the database.
"""

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shapely.geometry import Point, shape
from shapely.prepared import prep

TIME_ZONES = {"SE": "Europe/Stockholm", "DK": "Europe/Copenhagen"}


def working_calendar() -> dict:
    """The country and time zone that due dates are counted in, read at call time.

    Pass as keyword arguments to the functions of ``processes.deadlines``.
    """
    return {"country": settings.MUNICIPALITY_COUNTRY, "time_zone": settings.TIME_ZONE}


def country_for_code(code: str) -> str:
    """Return SE for a 4-digit SCB code, DK for a 3-digit Danish code."""
    if code.isdigit() and len(code) == 4:
        return "SE"
    if code.isdigit() and len(code) == 3:
        return "DK"
    raise ImproperlyConfigured(
        "MEDBORG_MUNICIPALITY_CODE must be a 4-digit SCB code (Sweden) or a "
        f"3-digit municipality code (Denmark), not {code!r}"
    )


def time_zone_for_country(country: str) -> str:
    return TIME_ZONES[country]


@lru_cache(maxsize=4)
def _prepared_boundary(path: Path):
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"MEDBORG_BOUNDARY_FILE {path} is not a readable GeoJSON file: {exc}"
        ) from exc
    if data.get("type") == "FeatureCollection":
        data = data["features"][0]["geometry"]
    elif data.get("type") == "Feature":
        data = data["geometry"]
    geometry = shape(data)
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ImproperlyConfigured(
            f"MEDBORG_BOUNDARY_FILE {path} must hold a Polygon or MultiPolygon"
        )
    return geometry, prep(geometry)


def boundary():
    """Return the municipality's boundary as a shapely geometry (lon, lat)."""
    return _prepared_boundary(Path(settings.BOUNDARY_FILE))[0]


def contains(latitude: float, longitude: float) -> bool:
    """Tell whether a WGS 84 point lies inside the municipality."""
    prepared = _prepared_boundary(Path(settings.BOUNDARY_FILE))[1]
    return prepared.covers(Point(longitude, latitude))
