"""Answer bench/run.py's questions about a benchmark database, as one JSON line.

Run as ``python -m bench.dbinfo <question>`` from the repository root with the
same DATABASE_URL as the server: ``services`` (active services in catalog
order), ``cases`` (how many cases exist) or ``server`` (database and version).
"""

import json
import os
import sys

import django


def _services():
    from medborg.catalog.selectors import active_services

    return [
        {
            "slug": service.slug,
            "kind": service.kind,
            "location": service.location,
            "max_photos": service.max_photos,
        }
        for service in active_services()
    ]


def _cases():
    from medborg.cases.models import Case

    return Case.objects.count()


def _server():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "version": version}


QUESTIONS = {"services": _services, "cases": _cases, "server": _server}


def main(argv):
    if len(argv) != 2 or argv[1] not in QUESTIONS:
        sys.exit(f"usage: python -m bench.dbinfo {{{','.join(QUESTIONS)}}}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    django.setup()
    print(json.dumps(QUESTIONS[argv[1]]()))


if __name__ == "__main__":
    main(sys.argv)
