import json
from datetime import UTC, datetime, timedelta

from defusedxml import ElementTree

from medborg.routing import exports

NS = {"gpx": exports.GPX_NAMESPACE}
START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def route(stops=2):
    return exports.ExportRoute(
        name="Truck A on 2026-03-02",
        vehicle="truck-a",
        date="2026-03-02",
        depot_name="North depot",
        depot_latitude=59.8586,
        depot_longitude=17.6389,
        starts_at=START,
        ends_at=START + timedelta(hours=3),
        distance_m=12_300,
        duration_s=10_800,
        stops=tuple(
            exports.ExportStop(
                position=n,
                code=f"bin-{n}",
                name=f"Torget {n} & <hörnet>",
                latitude=59.86 + n / 1000,
                longitude=17.64 + n / 1000,
                fraction="residual",
                arrives_at=START + timedelta(minutes=20 * n),
                status="planned",
            )
            for n in range(1, stops + 1)
        ),
    )


def test_gpx_is_version_1_1_in_its_namespace():
    root = ElementTree.fromstring(exports.gpx(route()).encode())
    assert root.tag == "{http://www.topografix.com/GPX/1/1}gpx"
    assert root.get("version") == "1.1"
    assert root.get("creator") == "Medborg"
    assert root.find("gpx:metadata/gpx:name", NS).text == "Truck A on 2026-03-02"


def test_gpx_starts_with_the_xml_declaration():
    assert exports.gpx(route()).startswith("<?xml version='1.0' encoding='utf-8'?>")


def test_gpx_has_a_waypoint_per_stop_in_order_with_escaped_names():
    root = ElementTree.fromstring(exports.gpx(route()).encode())
    waypoints = root.findall("gpx:wpt", NS)
    assert [(w.get("lat"), w.get("lon")) for w in waypoints] == [
        ("59.8610000", "17.6410000"),
        ("59.8620000", "17.6420000"),
    ]
    assert [w.find("gpx:name", NS).text for w in waypoints] == [
        "1. Torget 1 & <hörnet>",
        "2. Torget 2 & <hörnet>",
    ]
    assert waypoints[0].find("gpx:time", NS).text == "2026-03-02T07:20:00+00:00"
    assert waypoints[0].find("gpx:type", NS).text == "residual"


def test_gpx_waypoint_children_follow_the_schema_order():
    root = ElementTree.fromstring(exports.gpx(route()).encode())
    children = [child.tag.split("}")[1] for child in root.find("gpx:wpt", NS)]
    assert children == ["time", "name", "type"]


def test_gpx_route_runs_from_the_depot_through_the_stops_back():
    root = ElementTree.fromstring(exports.gpx(route()).encode())
    points = root.findall("gpx:rte/gpx:rtept", NS)
    assert [p.find("gpx:name", NS).text for p in points] == [
        "North depot",
        "1. Torget 1 & <hörnet>",
        "2. Torget 2 & <hörnet>",
        "North depot",
    ]
    assert points[-1].find("gpx:time", NS).text == "2026-03-02T10:00:00+00:00"


def test_gpx_of_a_route_without_stops_is_depot_to_depot():
    root = ElementTree.fromstring(exports.gpx(route(stops=0)).encode())
    assert root.findall("gpx:wpt", NS) == []
    assert len(root.findall("gpx:rte/gpx:rtept", NS)) == 2


def test_geojson_is_a_feature_collection_that_survives_json():
    data = exports.geojson(route())
    assert json.loads(json.dumps(data)) == data
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["kind"] for f in data["features"]] == [
        "route",
        "depot",
        "stop",
        "stop",
    ]


def test_geojson_line_is_longitude_first_from_depot_to_depot():
    line = exports.geojson(route())["features"][0]
    assert line["geometry"] == {
        "type": "LineString",
        "coordinates": [
            [17.6389, 59.8586],
            [17.641, 59.861],
            [17.642, 59.862],
            [17.6389, 59.8586],
        ],
    }
    assert line["properties"] == {
        "kind": "route",
        "name": "Truck A on 2026-03-02",
        "vehicle": "truck-a",
        "date": "2026-03-02",
        "starts_at": "2026-03-02T07:00:00+00:00",
        "ends_at": "2026-03-02T10:00:00+00:00",
        "distance_m": 12_300,
        "duration_s": 10_800,
        "stops": 2,
    }


def test_geojson_stop_carries_its_bin_and_plan_but_no_case():
    stop = exports.geojson(route())["features"][2]
    assert stop == {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [17.641, 59.861]},
        "properties": {
            "kind": "stop",
            "position": 1,
            "bin": "bin-1",
            "name": "Torget 1 & <hörnet>",
            "fraction": "residual",
            "arrives_at": "2026-03-02T07:20:00+00:00",
            "status": "planned",
            "optional": False,
        },
    }
