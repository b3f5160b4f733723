import json
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from medborg.routing import distances

VAXJO = (56.8777, 14.8091)
NORTH = (56.8877, 14.8091)  # 0.01° of latitude further north


def test_haversine_of_a_hundredth_degree_of_latitude():
    assert round(distances.haversine_m(VAXJO, NORTH)) == 1112


def test_haversine_of_a_point_to_itself_is_zero():
    assert distances.haversine_m(VAXJO, VAXJO) == 0


def test_haversine_matrices_apply_road_factor_and_speed():
    metres, seconds = distances.haversine_matrices(
        [VAXJO, NORTH], road_factor=1.5, speed_kmh=36
    )

    # 1111.95 m × 1.5 = 1667.9 m; at 10 m/s, 166.8 s.
    assert metres == [[0, 1668], [1668, 0]]
    assert seconds == [[0, 167], [167, 0]]
    assert all(isinstance(value, int) for row in metres + seconds for value in row)


def test_haversine_matrices_of_no_points_are_empty():
    assert distances.haversine_matrices([], road_factor=1.3, speed_kmh=30) == ([], [])


def test_matrices_without_osrm_use_the_settings(settings):
    settings.OSRM_URL = ""
    settings.ROAD_FACTOR = 2.0
    settings.TRUCK_SPEED_KMH = 72

    metres, seconds, source = distances.matrices([VAXJO, NORTH])

    assert source == "haversine"
    assert metres == [[0, 2224], [2224, 0]]
    assert seconds == [[0, 111], [111, 0]]


@contextmanager
def fake_osrm(answer, status=200, delay=0.0):
    """Serve ``answer`` as JSON on loopback; yield (url, list of request paths)."""
    paths = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            paths.append(self.path)
            time.sleep(delay)
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", paths
    finally:
        server.shutdown()
        server.server_close()


TABLE = {
    "code": "Ok",
    "distances": [[0, 1500.4], [1620.6, 0]],
    "durations": [[0, 180.2], [175.7, 0]],
}


def test_matrices_from_osrm_with_longitude_first(settings):
    with fake_osrm(TABLE) as (url, paths):
        settings.OSRM_URL = url
        metres, seconds, source = distances.matrices([VAXJO, NORTH])

    assert source == "osrm"
    assert metres == [[0, 1500], [1621, 0]]
    assert seconds == [[0, 180], [176, 0]]
    assert paths == [
        "/table/v1/driving/14.809100,56.877700;14.809100,56.887700"
        "?annotations=distance,duration"
    ]


def test_osrm_error_answer_names_the_server_and_message():
    answer = {"code": "InvalidQuery", "message": "Too many table coordinates"}

    with (
        fake_osrm(answer, status=400) as (url, _),
        pytest.raises(distances.DistanceError) as raised,
    ):
        distances.osrm_matrices([VAXJO, NORTH], url=url)

    assert str(raised.value) == (
        f"OSRM at {url} answered 400: Too many table coordinates"
    )


def test_osrm_without_a_road_between_two_points_is_an_error():
    answer = {**TABLE, "distances": [[0, None], [1620.6, 0]]}

    with (
        fake_osrm(answer) as (url, _),
        pytest.raises(distances.DistanceError, match="no road between"),
    ):
        distances.osrm_matrices([VAXJO, NORTH], url=url)


def test_osrm_too_slow_is_an_error():
    with (
        fake_osrm(TABLE, delay=0.5) as (url, _),
        pytest.raises(distances.DistanceError) as raised,
    ):
        distances.osrm_matrices([VAXJO, NORTH], url=url, timeout=0.1)

    assert str(raised.value).startswith(f"OSRM at {url} gave no table: ")


def test_osrm_unreachable_is_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    with pytest.raises(distances.DistanceError, match=f"OSRM at {url} gave no table"):
        distances.osrm_matrices([VAXJO, NORTH], url=url)


def test_osrm_url_must_be_http():
    with pytest.raises(distances.DistanceError, match="http"):
        distances.osrm_matrices([VAXJO], url="file:///etc")
