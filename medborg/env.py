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
