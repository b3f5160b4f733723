"""Distances and driving times between points, for the route planner.

Points are (latitude, longitude) in degrees. By default the distance is the
great-circle distance times a road factor (roads are not straight; about 1.3
in towns) and the time is that distance at the truck's average speed. When
``OSRM_URL`` is set, both come from an OSRM server's table service over the
road network. Matrices are square lists of integers, metres and seconds,
indexed like the points.
"""

import json
import math
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from django.conf import settings

import numpy as np

EARTH_RADIUS_M = 6_371_000
OSRM_TIMEOUT_S = 30


class DistanceError(Exception):
    """The road-network distances could not be had; the message says why."""


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def haversine_matrices(
    points: list[tuple[float, float]], *, road_factor: float, speed_kmh: float
) -> tuple[list[list[int]], list[list[int]]]:
    """Return (metres, seconds) between all points: great circle × road factor.

    Rounded to whole metres and seconds; the diagonal is zero.
    """
    if not points:
        return [], []
    lat, lon = np.radians(np.asarray(points, dtype=float)).T
    h = (
        np.sin((lat[None, :] - lat[:, None]) / 2) ** 2
        + np.cos(lat[:, None])
        * np.cos(lat[None, :])
        * np.sin((lon[None, :] - lon[:, None]) / 2) ** 2
    )
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, h))) * road_factor
    seconds = metres / (speed_kmh / 3.6)
    return (
        np.rint(metres).astype(np.int64).tolist(),
        np.rint(seconds).astype(np.int64).tolist(),
    )


def osrm_matrices(
    points: list[tuple[float, float]], *, url: str, timeout: float = OSRM_TIMEOUT_S
) -> tuple[list[list[int]], list[list[int]]]:
    """Return (metres, seconds) between all points from OSRM's table service.

    Raises DistanceError naming the server when it cannot be reached, answers
    with an error, or finds no road between two of the points.
    """
    if not points:
        return [], []
    # OSRM wants longitude first.
    coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    address = (
        f"{url.rstrip('/')}/table/v1/driving/{coordinates}"
        "?annotations=distance,duration"
    )
    if not address.startswith(("http://", "https://")):
        raise DistanceError(f"OSRM_URL must be an http(s) address, not {url!r}")
    try:
        with urlopen(address, timeout=timeout) as response:  # noqa: S310 (checked above)
            body = json.load(response)
    except HTTPError as error:
        # OSRM answers a bad request (400) with its own message in JSON.
        try:
            detail = json.load(error).get("message") or error.reason
        except ValueError:
            detail = error.reason
        raise DistanceError(f"OSRM at {url} answered {error.code}: {detail}") from error
    except (URLError, OSError, ValueError) as error:
        detail = getattr(error, "reason", error)
        raise DistanceError(f"OSRM at {url} gave no table: {detail}") from error
    if body.get("code") != "Ok":
        raise DistanceError(
            f"OSRM at {url} answered {body.get('code')}: {body.get('message', '')}"
        )
    distances, durations = body.get("distances"), body.get("durations")
    if distances is None or durations is None:
        raise DistanceError(f"OSRM at {url} sent no distances or durations")
    if any(value is None for row in distances + durations for value in row):
        raise DistanceError(f"OSRM at {url} found no road between some of the points")
    return (
        [[round(value) for value in row] for row in distances],
        [[round(value) for value in row] for row in durations],
    )


def matrices(
    points: list[tuple[float, float]],
) -> tuple[list[list[int]], list[list[int]], str]:
    """Return (metres, seconds, source) between all points.

    Source is ``"osrm"`` when ``settings.OSRM_URL`` is set (raises DistanceError
    if the server fails: a plan on guessed distances would be silently worse),
    else ``"haversine"`` with ``ROAD_FACTOR`` and ``TRUCK_SPEED_KMH``.
    """
    if settings.OSRM_URL:
        distance, duration = osrm_matrices(points, url=settings.OSRM_URL)
        return distance, duration, "osrm"
    distance, duration = haversine_matrices(
        points,
        road_factor=settings.ROAD_FACTOR,
        speed_kmh=settings.TRUCK_SPEED_KMH,
    )
    return distance, duration, "haversine"
