"""Benchmark Open311 GeoReport v2: reading and posting requests (``make bench``).

On PostgreSQL (a fresh database each run): the demo catalog plus 1,000 public
cases, served as bench/run.py serves the app (gunicorn, 2 sync workers,
``bench.settings``), driven by wrk:

1. ``/bench/bare``, a view returning a constant: the framework's ceiling;
2. ``GET /open311/v2/requests.json``: the default list (last 90 days, at most
   1,000 requests), every request of the 1,000;
3. ``POST /open311/v2/requests.json``: a new request with attributes and a
   place, each call a new case, with an API key of its own;
4. the bare view again; both Open311 figures are held as a ratio to the mean
   of the two bare measurements, which is what this machine's noise allows.

Prints a short table and writes ``bench/results/open311.json``. Without
PostgreSQL it is skipped with the reason. Knobs: BENCH_OPEN311_POSTGRES_URL,
BENCH_OPEN311_CASES, BENCH_OPEN311_CONNECTIONS and bench/run.py's
BENCH_DURATION and BENCH_WARMUP.
"""

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import form, http_load, run, staff  # noqa: E402
from bench.run import Skip, figure, log  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "open311.json"
URL = os.environ.get(
    "BENCH_OPEN311_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/medborg_bench_open311",
)
CASES = int(os.environ.get("BENCH_OPEN311_CASES", "1000"))
CONNECTIONS = int(os.environ.get("BENCH_OPEN311_CONNECTIONS", "10"))
LIST_PATH = "/open311/v2/requests.json"


# Worker: runs inside Django as ``python bench/open311.py --worker TASK`` ------------


def _answers(service) -> dict:
    """A valid answer to every question, as the Open311 attributes carry them."""
    from django.utils import timezone

    today = timezone.localdate()
    answers = {}
    for question in service.questions.all():
        kind = question.kind
        if kind in {"choice", "multi_choice"}:
            value = question.choices.order_by("position", "id")[0].value
        elif kind == "yes_no":
            value = "no"
        elif kind == "number":
            value = str(question.min_value if question.min_value is not None else 1)
        elif kind == "date":
            value = (today + timedelta(days=14)).isoformat()
        else:
            value = "Bench"
        answers[question.key] = [value] if kind == "multi_choice" else value
    return answers


def _body(service, answers: dict, key: str, place) -> str:
    fields = [
        ("api_key", key),
        ("service_code", service.code),
        ("lat", str(place[0])),
        ("long", str(place[1])),
        ("description", "A benchmark request."),
    ]
    for code, value in answers.items():
        if isinstance(value, list):
            fields += [(f"attribute[{code}][]", item) for item in value]
        else:
            fields.append((f"attribute[{code}]", value))
    return urlencode(fields)


def prepare(count: int) -> dict:
    """Make ``count`` public cases and a key; return the POST body to send.

    The cases are submitted through the same service and form validation as
    every channel, so they are exactly what Open311 would list.
    """
    from django.conf import settings

    from medborg.api.services import issue_key
    from medborg.cases import intake, services
    from medborg.cases.models import Case, Channel
    from medborg.catalog.models import Service

    service = (
        Service.objects.filter(publicity="exact", questions__isnull=False)
        .order_by("position")
        .first()
    )
    if service is None:
        raise SystemExit("the demo catalog has no public service with questions")
    latitude, longitude = settings.MAP_CENTER
    answers = _answers(service)
    checked = intake.case_form(
        service,
        submission_key="b" * 43,
        answers=answers,
        latitude=latitude,
        longitude=longitude,
    )
    if not checked.is_valid():
        raise SystemExit(f"the sample answers are refused: {checked.errors.as_json()}")
    for number in range(count):
        services.submit_case(
            service=service,
            answers=checked.answers(),
            latitude=latitude + (number % 20) * 0.0004,
            longitude=longitude + (number // 20) * 0.0004,
            address=f"Storgatan {number + 1}",
            channel=Channel.OPEN311,
        )
    _key, raw = issue_key(name="Benchmark", scopes=["cases:create"], rate="1000000/s")
    return {
        "service": service.code,
        "body": _body(service, answers, raw, (latitude, longitude)),
        "cases": Case.objects.count(),
        "public": Case.objects.exclude(service__publicity="hidden").count(),
    }


def worker(task: str, options: dict) -> None:
    import django

    django.setup()
    print("BENCH_OPEN311 " + json.dumps(prepare(options["count"]), default=str))


# Orchestration: no Django ORM in this process ---------------------------------------


def _get(wrk: str, server: run.Server, path: str, expect: int = 200) -> dict:
    status, _, body = form.request(run.HOST, server.port, "GET", path)
    if status != expect:
        return {
            "method_path": f"GET {path}",
            "error": f"answered {status}: {body[:300]!r}",
        }
    measurement = run._measure(wrk, server.url(path), connections=CONNECTIONS)
    report = run._report(measurement, f"GET {path}", CONNECTIONS)
    report["response_bytes"] = figure(len(body), "bytes")
    if path == LIST_PATH:
        report["requests_in_list"] = figure(len(json.loads(body)), "requests")
    return report


def _post(wrk: str, server: run.Server, body: str) -> dict:
    status, _, answer = form.request(
        run.HOST,
        server.port,
        "POST",
        LIST_PATH,
        body=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        return {
            "method_path": f"POST {LIST_PATH}",
            "error": f"{status}: {answer[:400]!r}",
        }
    path = run.WORK / "open311-post.txt"
    path.write_text(body)
    options = {"connections": CONNECTIONS, "script": "post.lua", "script_args": (path,)}
    if run.WARMUP:
        http_load.run(wrk, server.url(LIST_PATH), duration_s=run.WARMUP, **options)
    measurement = http_load.run(
        wrk, server.url(LIST_PATH), duration_s=run.DURATION, **options
    )
    return run._report(measurement, f"POST {LIST_PATH}", CONNECTIONS)


def _ratios(measurements: dict) -> None:
    bare = run.bare_reference(measurements)
    for name in ("list", "post"):
        entry = measurements.get(name, {})
        rps = entry.get("requests_per_s", {}).get("value")
        if rps is not None and bare:
            entry["ratio_to_bare"] = figure(round(rps / bare, 4), "ratio")


def measure(wrk: str) -> dict:
    run.recreate_postgres(URL)
    env = run.django_env(URL)
    run.load_data(env)
    data = staff.run_worker(
        Path(__file__), "BENCH_OPEN311", env, "prepare", 900, count=CASES
    )
    log(f"{data['public']} public of {data['cases']} cases; posting {data['service']}")
    body = data.pop("body")
    measurements = {"data": data}
    with run.Server(env, "open311") as server:
        measurements["bare"] = run.guarded(server, _get, wrk, server, "/bench/bare")
        measurements["list"] = run.guarded(server, _get, wrk, server, LIST_PATH)
        measurements["post"] = run.guarded(server, _post, wrk, server, body)
        measurements["bare_again"] = run.guarded(
            server, _get, wrk, server, "/bench/bare"
        )
    _ratios(measurements)
    return measurements


def _line(name: str, entry: dict) -> str:
    if "error" in entry:
        return f"{name:<34} error: {entry['error'][:80]}"
    rps = entry["requests_per_s"]["value"]
    p95 = entry["latency_p95"]["value"]
    ratio = entry.get("ratio_to_bare", {}).get("value")
    ratio_text = f"{ratio:.4f}" if ratio is not None else "–"
    return f"{name:<34} {rps:>9.1f} req/s  p95 {p95:>7.1f} ms  × bare {ratio_text}"


def table(results: dict) -> str:
    if "skipped" in results:
        return f"Open311: skipped ({results['skipped']})"
    found = results["postgresql"]
    lines = [f"Open311 on PostgreSQL, {CONNECTIONS} connections"]
    for key, label in (
        ("bare", "GET /bench/bare"),
        ("list", f"GET {LIST_PATH}"),
        ("post", f"POST {LIST_PATH}"),
        ("bare_again", "GET /bench/bare (again)"),
    ):
        lines.append(_line(label, found.get(key, {"error": "not measured"})))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]))
        return 0
    import django

    started = datetime.now(UTC)
    wrk = http_load.ensure_wrk()
    results = {
        "benchmark": "open311",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": run.machine(),
        "versions": {
            "python": platform.python_version(),
            "django": django.__version__,
            "djangorestframework": metadata.version("djangorestframework"),
            "wrk": http_load.wrk_version(wrk),
        },
        "setup": {
            "cases": CASES,
            "connections": CONNECTIONS,
            "workers": run.WORKERS,
            "goals": "no goal: figures as a ratio to the bare view, same run",
        },
    }
    try:
        results["postgresql"] = measure(wrk)
    except Skip as reason:
        log(f"skipped: {reason}")
        results["skipped"] = str(reason)
    run.finish(results, started, RESULTS, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
