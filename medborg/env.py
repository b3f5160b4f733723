"""Declare every environment variable Medborg reads, once, with its default and help.

Settings read configuration only through :func:`value`; ``docs/configuration.md``
lists the same names and a test keeps the two in step. A variable that production
requires and that is unset stops start-up with :class:`MissingSetting`, naming it.
"""

import os
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

import environ


class MissingSetting(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    help: str
    required_in_production: bool = False
    # The smallest value :func:`as_int` accepts; None: any whole number.
    minimum: int | None = None


VARIABLES = {
    v.name: v
    for v in [
        Variable(
            "MEDBORG_ENV",
            "development",
            "`production` turns on production behaviour: DEBUG off, secure cookies, "
            "HSTS, and the variables marked required must be set.",
        ),
        Variable(
            "SECRET_KEY",
            "",
            "Django's secret key: at least 50 random characters. A throw-away key is "
            "used in development.",
            required_in_production=True,
        ),
        Variable(
            "ALLOWED_HOSTS",
            "127.0.0.1,localhost,testserver",
            "Comma-separated host names the site answers to.",
            required_in_production=True,
        ),
        Variable(
            "DATABASE_URL",
            "",
            "Database, e.g. `postgres://medborg@db.internal:5432/medborg`. Empty: an "
            "embedded SQLite file `db.sqlite3` in the project folder.",
            required_in_production=True,
        ),
        Variable(
            "REDIS_URL",
            "",
            "Redis for the shared cache and rate limits, e.g. `redis://127.0.0.1:6379/0`."
            " Empty: a per-process memory cache (development only).",
            required_in_production=True,
        ),
        Variable(
            "MQTT_URL",
            "",
            "MQTT broker for sensor readings, e.g. `mqtt://127.0.0.1:1883`.",
        ),
        Variable(
            "MEDBORG_MQTT_TOPICS",
            "medborg/sensors/+/readings,application/+/device/+/event/up",
            "Comma-separated MQTT topic filters `mqtt_ingest` subscribes to "
            "(QoS 1): Medborg's own JSON under "
            "`medborg/sensors/<device>/readings`, ChirpStack v4 uplinks under "
            "`application/<id>/device/<DevEUI>/event/up`.",
        ),
        Variable(
            "MEDBORG_MQTT_CLIENT_ID",
            "medborg-ingest",
            "MQTT client id of `mqtt_ingest`; the broker keeps its persistent "
            "session under this id, so each ingest process needs its own "
            "(`mqtt_ingest --client-id`).",
        ),
        Variable(
            "MEDBORG_MQTT_SHARE_GROUP",
            "",
            "Shared-subscription group (MQTT 5 `$share/<group>/…`) for several "
            "ingest processes; empty: one process takes every message.",
        ),
        Variable(
            "MEDBORG_INGEST_BATCH",
            "200",
            "How many MQTT messages `mqtt_ingest` commits in one transaction "
            "before acknowledging them. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_INGEST_FLUSH_MS",
            "50",
            "The longest a received MQTT message waits for its batch to be "
            "committed, in milliseconds. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_SENSOR_SILENCE_HOURS",
            "26",
            "A sensor that has sent nothing for this many hours is faulty (an "
            "operator case is opened). At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_READINGS_RAW_DAYS",
            "365",
            "Raw readings older than this many days are downsampled to one row "
            "per sensor and day. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_BIN_REPORT_RADIUS",
            "30",
            "A citizen's report of an overfull bin joins the open emptying case"
            " of the nearest bin within this many metres. At least 1.",
            minimum=1,
        ),
        Variable(
            "OSRM_URL",
            "",
            "OSRM server for road distances when planning routes, e.g. "
            "`http://osrm.internal:5000`. Empty: great-circle distance times "
            "`MEDBORG_ROAD_FACTOR`.",
        ),
        Variable(
            "MEDBORG_ROAD_FACTOR",
            "1.3",
            "Road distance as a multiple of the great-circle distance, when "
            "`OSRM_URL` is empty.",
        ),
        Variable(
            "MEDBORG_TRUCK_SPEED_KMH",
            "25",
            "Average speed of a collection truck, km/h, for travel times "
            "without OSRM. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_STOP_SECONDS",
            "90",
            "Time to empty one bin, in seconds. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_PLAN_SECONDS",
            "10",
            "How long the route planner searches, in seconds. At least 1.",
            minimum=1,
        ),
        Variable(
            "EMAIL_URL",
            "consolemail://",
            "Outgoing mail: `smtp+tls://user:password@host:587`, `filemail:///path` or "
            "`consolemail://` (prints mails, development only).",
            required_in_production=True,
        ),
        Variable(
            "DEFAULT_FROM_EMAIL",
            "medborg@localhost",
            "Sender address of the mails Medborg sends to citizens and staff.",
        ),
        Variable(
            "MEDBORG_BASE_URL",
            "http://127.0.0.1:8000",
            "The public address of the site, used for links in mails, e.g. "
            "`https://medborg.example.se`.",
            required_in_production=True,
        ),
        Variable(
            "MEDBORG_MUNICIPALITY_CODE",
            "0780",
            "Official municipality code: 4 digits for Sweden (SCB), 3 for Denmark. "
            "Picks the country, its holidays and time zone.",
        ),
        Variable(
            "MEDBORG_MUNICIPALITY_NAME",
            "Växjö kommun",
            "The municipality's name, shown in the header, mails and open data.",
        ),
        Variable(
            "MEDBORG_OPEN_DATA_MIN_COUNT",
            "5",
            "Open data: a figure resting on fewer cases or answers than this (but "
            "more than none) is published as suppressed.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_OPEN_DATA_LICENCE",
            "CC0-1.0",
            "Licence of the open data: `CC0-1.0` or `CC-BY-4.0`.",
        ),
        Variable(
            "MEDBORG_REFERENCE_PREFIX",
            "KOM",
            "Prefix of case references, as in `KOM-2026-000123` (2–6 capital letters).",
        ),
        Variable(
            "MEDBORG_BOUNDARY_FILE",
            "",
            "GeoJSON file with the municipality's boundary (a Polygon or MultiPolygon, "
            "WGS 84). Places outside it are refused. Empty: the bundled demo boundary.",
        ),
        Variable(
            "MEDBORG_MAP_CENTER",
            "56.8777,14.8091",
            "Latitude,longitude where maps open.",
        ),
        Variable(
            "MEDBORG_MAP_TILE_URL",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "Leaflet tile URL template. Empty: maps show a plain background and still "
            "place points (offline installs, tests).",
        ),
        Variable(
            "MEDBORG_MAP_ATTRIBUTION",
            "© OpenStreetMap contributors",
            "Attribution shown on maps, as the tile provider requires.",
        ),
        Variable(
            "MEDBORG_TRACK_GUESS_RATE",
            "20/10m",
            "How many unknown tracking tokens one address may try, e.g. `20/10m`, "
            "before it is answered 429.",
        ),
        Variable(
            "MEDBORG_API_KEY_RATE",
            "600/m",
            "How many requests one API key may make by default, e.g. `600/m`; more "
            "are answered 429. A key's own rate, set in the admin, overrides it.",
        ),
        Variable(
            "MEDBORG_OPEN311_JURISDICTION",
            "",
            "The Open311 `jurisdiction_id` this site answers to, e.g. `vaxjo.se`. "
            "Empty: the host of `MEDBORG_BASE_URL`. Requests naming another "
            "jurisdiction are answered 404.",
        ),
        Variable(
            "MEDBORG_SUBMIT_RATE",
            "30/h",
            "How many forms one address may send, e.g. `30/h`; more are answered "
            "429. Counts every attempt, so an office behind one address needs room.",
        ),
        Variable(
            "MEDBORG_PROXY_COUNT",
            "0",
            "Number of reverse proxies in front of the app that append to "
            "X-Forwarded-For; used to find the client address for rate limits and "
            "lockout. 0: the connection's address.",
        ),
        Variable(
            "MEDBORG_CITIZEN_MAIL_INTERVAL",
            "15",
            "Minutes: a citizen gets at most one update mail per case in this "
            "time; updates in between are sent together in the next mail. At "
            "least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_MAIL_ATTEMPTS",
            "5",
            "How many times a mail that fails is tried before it is given up and "
            "logged. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_DUPLICATE_RADIUS",
            "50",
            "Metres: a report of the same service within this distance of an open "
            "case (and within `MEDBORG_DUPLICATE_WINDOW`) is shown to staff as a "
            "possible duplicate. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_DUPLICATE_WINDOW",
            "30",
            "Days: a report is a possible duplicate of an open case only if it was "
            "sent within this many days of it (and within "
            "`MEDBORG_DUPLICATE_RADIUS`). At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_DUE_SOON",
            "2",
            "Working days: the staff inbox counts cases due within this many "
            "working days as due soon. At least 1.",
            minimum=1,
        ),
        Variable(
            "MEDBORG_PROTECTED_INPUTS",
            "gender,sex,kön,køn,ethnic origin,ethnicity,etnicitet,etnisk,race,ras,"
            "religion,belief,tro,health,hälsa,helbred,helse,trade union,"
            "fackförening,fagforening,sexual orientation,sexuell läggning,"
            "seksuel orientering,political opinion,politisk,genetic,genetisk,"
            "biometric,biometrisk",
            "Comma-separated words: a decision table whose input name or label "
            "contains one of them (as whole words) is refused on upload. The "
            "default covers the special categories of GDPR Article 9 in English, "
            "Swedish and Danish.",
        ),
        Variable(
            "MEDBORG_MEDIA_ROOT",
            "",
            "Folder for uploaded photos (never served directly). Empty: `media/` in "
            "the project folder.",
        ),
        Variable(
            "MEDBORG_STATIC_ROOT",
            "",
            "Folder `collectstatic` writes to. Empty: `staticfiles/` in the project "
            "folder.",
        ),
        Variable(
            "MEDBORG_HSTS_PRELOAD",
            "true",
            "In production, ask browsers to preload HSTS for the host.",
        ),
        Variable(
            "MEDBORG_LOG_LEVEL",
            "INFO",
            "Log level of Medborg's own loggers (DEBUG, INFO, WARNING, ERROR).",
        ),
    ]
}

_env = environ.Env()


def raw(name: str) -> str:
    """Return the variable's text: the environment's value, else its default."""
    variable = VARIABLES[name]
    return os.environ.get(name, variable.default)


ENVIRONMENTS = {"development", "production"}


def is_production() -> bool:
    name = raw("MEDBORG_ENV").strip().lower()
    if name not in ENVIRONMENTS:
        # A typo must not fall back to development's DEBUG and public secret key.
        raise ImproperlyConfigured(
            f"MEDBORG_ENV must be 'production' or 'development', not {name!r}"
        )
    return name == "production"


def value(name: str) -> str:
    """Return the variable, raising MissingSetting if production requires it."""
    text = raw(name)
    required = VARIABLES[name].required_in_production and is_production()
    if required and not os.environ.get(name, "").strip():
        raise MissingSetting(
            f"{name} must be set when MEDBORG_ENV=production ({VARIABLES[name].help})"
        )
    return text


def as_list(name: str) -> list[str]:
    return [item.strip() for item in value(name).split(",") if item.strip()]


def as_bool(name: str) -> bool:
    return value(name).strip().lower() in {"1", "true", "yes", "on"}


def as_int(name: str) -> int:
    """Return the variable as a whole number, no smaller than its minimum."""
    text = value(name)
    minimum = VARIABLES[name].minimum
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" of at least {minimum}"
        raise ImproperlyConfigured(
            f"{name} must be a whole number{bound}, not {text!r}"
        )
    return number


def as_float(name: str) -> float:
    """Return the variable as a positive number."""
    text = value(name)
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or not number > 0 or number == float("inf"):
        raise ImproperlyConfigured(f"{name} must be a positive number, not {text!r}")
    return number


def reference_prefix(name: str) -> str:
    prefix = value(name)
    if not (2 <= len(prefix) <= 6 and prefix.isascii() and prefix.isupper()):
        raise ImproperlyConfigured(
            f"{name} must be 2–6 capital letters, not {prefix!r}"
        )
    return prefix


def database(name: str, default_sqlite_path) -> dict:
    url = value(name) or f"sqlite:///{default_sqlite_path}"
    return _env.db_url_config(url)


def email(name: str) -> dict:
    return _env.email_url_config(value(name))
