"""Write one route as GPX 1.1 or as a GeoJSON FeatureCollection.

Pure: the caller passes a ``RouteExport`` built from the stored route, so the
formats are tested without a database. Both files hold the depot, the ordered
stops and the line between them, and no personal data: a stop is named by its
bin, never by a case's address or reporter.

GPX: https://www.topografix.com/GPX/1/1/ (a ``wpt`` per stop and a ``rte``
from the depot through the stops back to the depot, which navigation apps
follow). GeoJSON: RFC 7946, coordinates as [longitude, latitude].
"""

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
GPX_CREATOR = "Medborg"


@dataclass(frozen=True)
class ExportStop:
    position: int
    code: str
    name: str
    latitude: float
    longitude: float
    fraction: str
    arrives_at: datetime
    status: str
    optional: bool = False


@dataclass(frozen=True)
class ExportRoute:
    name: str
    vehicle: str
    date: str
    depot_name: str
    depot_latitude: float
    depot_longitude: float
    starts_at: datetime
    ends_at: datetime
    distance_m: int
    duration_s: int
    stops: tuple[ExportStop, ...]


def _coordinate(value: float) -> str:
    # Seven decimals is about a centimetre: more only pretends to precision.
    return f"{value:.7f}"


def _point(parent, tag, *, latitude, longitude, name, time=None, kind=None):
    element = ET.SubElement(
        parent, tag, lat=_coordinate(latitude), lon=_coordinate(longitude)
    )
    # GPX 1.1 fixes the order of a waypoint's children: time, name, …, type.
    if time is not None:
        ET.SubElement(element, "time").text = time.isoformat()
    ET.SubElement(element, "name").text = name
    if kind is not None:
        ET.SubElement(element, "type").text = kind
    return element


def _stop_name(stop: ExportStop) -> str:
    return f"{stop.position}. {stop.name or stop.code}"


def gpx(route: ExportRoute) -> str:
    """Return the route as a GPX 1.1 document (UTF-8 text with its declaration)."""
    root = ET.Element(
        "gpx", {"version": "1.1", "creator": GPX_CREATOR, "xmlns": GPX_NAMESPACE}
    )
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "name").text = route.name
    ET.SubElement(metadata, "time").text = route.starts_at.isoformat()
    for stop in route.stops:
        _point(
            root,
            "wpt",
            latitude=stop.latitude,
            longitude=stop.longitude,
            name=_stop_name(stop),
            time=stop.arrives_at,
            kind=stop.fraction,
        )
    rte = ET.SubElement(root, "rte")
    ET.SubElement(rte, "name").text = route.name
    depot = {
        "latitude": route.depot_latitude,
        "longitude": route.depot_longitude,
        "name": route.depot_name,
    }
    _point(rte, "rtept", time=route.starts_at, **depot)
    for stop in route.stops:
        _point(
            rte,
            "rtept",
            latitude=stop.latitude,
            longitude=stop.longitude,
            name=_stop_name(stop),
            time=stop.arrives_at,
        )
    _point(rte, "rtept", time=route.ends_at, **depot)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _feature(geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _lonlat(latitude: float, longitude: float) -> list[float]:
    return [round(longitude, 7), round(latitude, 7)]


def geojson(route: ExportRoute) -> dict:
    """Return the route as a GeoJSON FeatureCollection (a dict ready for json).

    Features, in order: the route line (depot, stops, depot), the depot, then
    one point per stop with its position, bin, fraction, planned arrival and
    status.
    """
    depot = _lonlat(route.depot_latitude, route.depot_longitude)
    line = [depot, *(_lonlat(s.latitude, s.longitude) for s in route.stops), depot]
    features = [
        _feature(
            {"type": "LineString", "coordinates": line},
            {
                "kind": "route",
                "name": route.name,
                "vehicle": route.vehicle,
                "date": route.date,
                "starts_at": route.starts_at.isoformat(),
                "ends_at": route.ends_at.isoformat(),
                "distance_m": route.distance_m,
                "duration_s": route.duration_s,
                "stops": len(route.stops),
            },
        ),
        _feature(
            {"type": "Point", "coordinates": depot},
            {"kind": "depot", "name": route.depot_name},
        ),
    ]
    features += [
        _feature(
            {"type": "Point", "coordinates": _lonlat(s.latitude, s.longitude)},
            {
                "kind": "stop",
                "position": s.position,
                "bin": s.code,
                "name": s.name,
                "fraction": s.fraction,
                "arrives_at": s.arrives_at.isoformat(),
                "status": s.status,
                "optional": s.optional,
            },
        )
        for s in route.stops
    ]
    return {"type": "FeatureCollection", "features": features}
