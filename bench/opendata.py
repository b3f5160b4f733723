"""Benchmark the open-data cockpit on a synthetic history (``make bench``).

1. PostgreSQL, the demo catalog and 1,000,000 synthetic cases submitted over the
   36 months up to yesterday (``opendata.synthetic``), kept between runs
   (``--rebuild`` writes them again); the time to write them, when written.
2. ``opendata.services.recompute_all()``: time, held against reading the same
   events without computing; peak memory as the peak RSS of the worker process
   less that of a worker that only set Django up (RUSAGE_SELF in each).
3. ``services.update_snapshots()`` after three days' worth of cases submitted
   today (their events are about 1/1000 of the history's); rolled back after.
4. ``GET /open-data/`` with Django's test client (``bench.settings``, DEBUG
   off) over several filters: p50 and p95 of 50 requests after 10 to warm up,
   with the cache cleared before each (cold: the goal) and not (warm); the
   bare view the same way, for the ratio.
5. ``GET /open-data/indicators.csv`` consumed as it streams: time to the last
   byte, bytes, lines; then tracemalloc's peak over a second request.

Prints a short table and writes ``bench/results/opendata.json``. A step that
cannot run (no PostgreSQL, a service or page missing, an error) is reported as
not measured with the reason. Knobs: BENCH_OPENDATA_POSTGRES_URL,
BENCH_OPENDATA_CASES.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run, staff  # noqa: E402
from bench.run import Skip, figure, log  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "opendata.json"
URL = os.environ.get(
    "BENCH_OPENDATA_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/medborg_bench_opendata",
)
CASES = int(os.environ.get("BENCH_OPENDATA_CASES", "1000000"))
SEED, YEARS, REQUESTS, WARMUP, MARKER = 2026, 3, 60, 10, "BENCH_OPENDATA"
GENERATE_GOAL = {"op": "<", "value": 300, "unit": "s"}
RECOMPUTE_GOAL = {"op": "<", "value": 60, "unit": "s"}
PAGE_GOAL = {"op": "<", "value": 200, "unit": "ms"}
STEPS = {
    "recompute": "full recomputation",
    "update": "incremental update",
    "page": "cockpit page",
    "csv": "CSV export",
}

# Workers: run inside Django as ``python bench/opendata.py --worker TASK`` --------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _seconds(began: float, digits: int = 1, goal: dict | None = None) -> dict:
    return figure(round(time.perf_counter() - began, digits), "s", goal)


def _backend_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL process, if it runs here."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    if not stat.exists():
        return None
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def task_prepare(count: int) -> dict:
    """Reuse the history if the database holds it, else write it into an empty one."""
    from django.db import connection
    from django.utils import timezone

    from medborg.cases.models import Case, CaseEvent
    from medborg.catalog import demo
    from medborg.catalog.models import Service
    from medborg.opendata import synthetic

    found = Case.objects.count()
    if found == count:
        return {"reused": True, "cases": found, "events": CaseEvent.objects.count()}
    if found or Service.objects.exists():
        return {"needs_rebuild": True, "cases": found}
    demo.load()
    end = timezone.localdate() - timedelta(days=1)
    start = end.replace(year=end.year - YEARS, day=min(end.day, 28))
    start += timedelta(days=1)
    cpu, backend, began = time.process_time(), _backend_cpu(), time.perf_counter()
    made = synthetic.generate(cases=count, start=start, end=end, seed=SEED)
    answer = {"reused": False, **made, "start": start, "end": end}
    answer["seconds"] = _seconds(began, 1, GENERATE_GOAL)
    rate = round(made["cases"] / answer["seconds"]["value"])
    answer["cases_per_s"] = figure(rate, "cases/s")
    answer["python_cpu"] = figure(round(time.process_time() - cpu, 1), "s")
    if backend is not None:
        answer["postgres_cpu"] = figure(round(_backend_cpu() - backend, 1), "s")
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Case, CaseEvent):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    return answer | {"vacuum_analyze": _seconds(began)}


def task_baseline() -> dict:
    from medborg.opendata import services  # noqa: F401 - as recompute loads it

    return {"rss_mb": _rss_mb()}


def task_recompute(baseline_mb: float) -> dict:
    """Recompute, then read the same events as the reference."""
    from medborg.cases.models import CaseEvent
    from medborg.opendata import services

    began = time.perf_counter()
    rows = services.recompute_all()
    seconds, rss = time.perf_counter() - began, _rss_mb()
    began = time.perf_counter()
    events = (
        CaseEvent.objects.filter(kind__in=services.KINDS)
        .order_by("at", "id")
        .values_list("at", "kind", "case_id", "case__service_id", "data")
        .iterator(chunk_size=20_000)
    )
    read = sum(1 for _ in events)
    reference = time.perf_counter() - began
    return {
        "seconds": figure(round(seconds, 1), "s", RECOMPUTE_GOAL),
        "rows": figure(rows, "snapshots"),
        "read_reference": figure(round(reference, 1), "s"),
        "events_read": figure(read, "events"),
        "ratio_to_read": figure(round(seconds / reference, 2), "ratio"),
        "peak_rss_growth": figure(round(rss - baseline_mb, 1), "MB"),
        "peak_rss": figure(round(rss, 1), "MB"),
        "baseline_rss": figure(round(baseline_mb, 1), "MB"),
    }


def task_update(cases: int, history: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from medborg.cases.models import CaseEvent
    from medborg.opendata import services, synthetic
    from medborg.opendata.models import Progress

    today = timezone.localdate()
    with transaction.atomic():
        added = synthetic.generate(cases=cases, start=today, end=today, seed=SEED + 1)
        seen = Progress.objects.get(pk=1).last_event_id
        taken = CaseEvent.objects.filter(id__gt=seen).count()
        began = time.perf_counter()
        rows = services.update_snapshots()
        seconds = _seconds(began, 2)
        transaction.set_rollback(True)
    return {
        "seconds": seconds,
        "events_taken_in": figure(taken, "events"),
        "share_of_history": figure(round(taken / max(history, 1), 5), "ratio"),
        "cases_added": figure(added["cases"], "cases"),
        "rows": figure(rows, "snapshots"),
    }


def _latency(client, path: str, queries: list[str], cold: bool, goal=None) -> dict:
    from django.core.cache import cache

    times, statuses = [], {}
    for number in range(REQUESTS):
        if cold:
            cache.clear()
        began = time.perf_counter()
        status = client.get(path + queries[number % len(queries)]).status_code
        elapsed = (time.perf_counter() - began) * 1000
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if number >= WARMUP:
            times.append(elapsed)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
    return {
        "p50": figure(round(statistics.median(times), 1), "ms"),
        "p95": figure(round(p95, 1), "ms", goal),
        "statuses": statuses,
    }


def task_page() -> dict:
    from django.test import Client

    from medborg.catalog.models import Service, Zone

    client = Client(SERVER_NAME="localhost")
    status = client.get("/open-data/").status_code
    if status != 200:
        return {"not_measured": f"GET /open-data/ answered {status}"}
    service = Service.objects.exclude(kind="task").select_related("category").first()
    queries = ["", "?granularity=quarter"]
    queries.append(f"?scope=service&key={service.code}&granularity=month")
    queries.append(f"?scope=category&key={service.category.slug}&granularity=quarter")
    queries += [f"?scope=area&key={z.key}" for z in Zone.objects.all()[:1]]
    answer = {"requests": figure(REQUESTS - WARMUP, "requests"), "queries": queries}
    answer["cold"] = _latency(client, "/open-data/", queries, True, PAGE_GOAL)
    answer["warm"] = _latency(client, "/open-data/", queries, False)
    answer["bare"] = _latency(client, "/bench/bare", [""], False)
    bare = answer["bare"]["p50"]["value"]
    for name in ("cold", "warm"):
        ratio = round(answer[name]["p50"]["value"] / bare, 1)
        answer[f"{name}_p50_to_bare"] = figure(ratio, "ratio")
    return answer


def _download(client) -> tuple[int, int, bool]:
    response = client.get("/open-data/indicators.csv")
    if response.status_code != 200:
        raise Skip(f"GET /open-data/indicators.csv answered {response.status_code}")
    size = lines = 0
    body = response.streaming_content if response.streaming else [response.content]
    for chunk in body:
        size, lines = size + len(chunk), lines + chunk.count(b"\n")
    return size, lines, response.streaming


def task_csv() -> dict:
    import tracemalloc

    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    began = time.perf_counter()
    size, lines, streaming = _download(client)
    answer = {"seconds": _seconds(began, 2), "bytes": figure(size, "bytes")}
    answer |= {"lines": figure(lines, "lines"), "streaming": streaming}
    tracemalloc.start()
    began = time.perf_counter()
    _download(client)
    answer["seconds_under_tracemalloc"] = _seconds(began, 2)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return answer | {"tracemalloc_peak": figure(round(peak, 1), "MB")}


def worker(task: str, options: dict) -> None:
    """Run one task and print its answer; a failure is an answer too."""
    import django

    django.setup()
    try:
        answer = globals()[f"task_{task}"](**options)
    except Exception as exc:
        trace = traceback.format_exception(exc)[-3:]
        answer = {"not_measured": f"{type(exc).__name__}: {exc}", "trace": trace}
    print(f"{MARKER} " + json.dumps(answer, default=str))


# Orchestration: no Django ORM in this process, as in bench/decisions.py ----------


def call(env: dict, task: str, timeout: int = 7200, **options) -> dict:
    answer = staff.run_worker(Path(__file__), MARKER, env, task, timeout, **options)
    if "not_measured" in answer:
        raise Skip("".join([answer["not_measured"], "\n", *answer.get("trace", [])]))
    return answer


def dataset(url: str, count: int, rebuild: bool) -> dict:
    """A database with ``count`` synthetic cases: reused when it has them."""
    env = run.django_env(url)
    if rebuild or not staff.database_exists(url):
        run.recreate_postgres(url)
    migrated = run.manage(env, "migrate", "--no-input", timeout=600)
    if migrated.returncode != 0:
        raise Skip(f"migrate failed: {migrated.stderr.strip()[-1500:]}")
    info = call(env, "prepare", count=count)
    if info.get("needs_rebuild"):
        log(f"{url} holds {info['cases']} cases, not {count}: writing them again")
        return dataset(url, count, rebuild=True)
    return {**info, "env": env}


def measure(name: str, env: dict, history: dict) -> dict:
    if name == "recompute":
        baseline = call(env, "baseline")["rss_mb"]
        return call(env, "recompute", baseline_mb=baseline)
    if name == "update":
        cases = max(1, round(3 * history["cases"] / (YEARS * 365.25)))
        return call(env, "update", cases=cases, history=history["events"])
    return call(env, name)


# Output --------------------------------------------------------------------------


def _lines(prefix: str, entry: dict) -> list[str]:
    lines = []
    for name, value in entry.items():
        if name in ("cold", "warm", "bare"):
            lines.extend(_lines(f"{prefix}{name} ", value))
        elif isinstance(value, dict) and "unit" in value:
            goal, verdict = value["goal"], ""
            if goal:
                met = "met" if value["met"] else "MISSED"
                verdict = f"{goal['op']} {goal['value']:,} {goal['unit']}: {met}"
            shown = "—" if value["value"] is None else f"{value['value']:,}"
            text = f"{prefix + name:<34}{shown:>14} {value['unit']:<10}{verdict}"
            lines.append(text.rstrip())
    return lines


def table(results: dict) -> str:
    head = f"{'measurement':<34}{'value':>14} {'unit':<10}goal"
    lines = [head, "-" * len(head)]
    for name in ("history", *STEPS):
        entry = results[name]
        if entry["status"] == "measured":
            lines.extend(_lines(f"{name} ", entry))
        else:
            reason = entry["reason"].splitlines()[0][:160]
            lines.append(f"{name}: not measured: {reason}")
    if results["history"].get("reused"):
        lines.append("History reused (--rebuild writes it again).")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rebuild", action="store_true", help="write the history again"
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]))
        return 0
    import django

    started = datetime.now(UTC)
    versions = {"python": platform.python_version(), "django": django.__version__}
    versions |= {"psycopg": metadata.version("psycopg"), "postgresql": None}
    goals = {
        "history": "written in < 300 s",
        "recompute": "recompute_all() in < 60 s; ratio_to_read (its time over "
        "reading the same events) is steadier on a noisy machine",
        "page": "GET /open-data/ p95 < 200 ms with the cache cleared before each",
    }
    results = {
        "benchmark": "opendata",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": run.machine(),
        "versions": versions,
        "setup": {"database_url": URL, "cases": CASES, "months": 12 * YEARS}
        | {"seed": SEED, "goals": goals},
    }
    try:
        log(f"history: {CASES:,} cases at {URL}")
        history = dataset(URL, CASES, args.rebuild)
        versions["postgresql"] = run.dbinfo(history["env"], "server")["version"]
        shown = {k: v for k, v in history.items() if k != "env"}
        results["history"] = {"status": "measured", **shown}
        results["history"]["cases"] = figure(history["cases"], "cases")
        results["history"]["events"] = figure(history["events"], "events")
    except Skip as exc:
        log(f"history: not measured: {exc}")
        history = None
        results["history"] = {"status": "not measured", "reason": str(exc)}
    for name, title in STEPS.items():
        if history is None:
            results[name] = {"status": "not measured", "reason": "no history"}
            continue
        log(title)
        try:
            found = measure(name, history["env"], history)
            results[name] = {"status": "measured", **found}
        except Skip as exc:
            log(f"{title}: not measured: {exc}")
            results[name] = {"status": "not measured", "reason": str(exc)}
    run.finish(results, started, RESULTS, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
