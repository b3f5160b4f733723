"""Benchmark the citizen's tracking pages and the report form (``make bench``).

Serves the app with gunicorn (2 sync workers, ``bench.settings``: the app's
settings with DEBUG off and a bare view added) on SQLite and then on
PostgreSQL, loads the demo data into a fresh database each time, and drives it
with wrk:

1. ``/bench/bare``, a view returning a constant: the framework's ceiling;
2. ``/track/<token>/status.json``;
3. ``/track/<token>/``, the tracking page;
4. ``POST /services/<slug>/``, submitting a report, at 50 concurrent clients.

The bare view is measured again after the two pages, and the pages are held
against the mean of both: on a shared machine the spread between the two shows
how much the figures can be trusted.

Prints a short table and writes ``bench/results/tracking.json`` with the
machine, the versions and every figure with its unit and goal. Missing a goal
is reported, never an error: the exit status is 1 only when nothing could be
measured at all. Environment knobs: BENCH_DATABASES (``sqlite,postgresql``),
BENCH_POSTGRES_URL, BENCH_DURATION (s), BENCH_WARMUP (s), BENCH_CONNECTIONS,
BENCH_SUBMIT_CONNECTIONS, BENCH_DEMO_WAIT (s to wait for the demo catalog).
"""

import contextlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import form, http_load  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "tracking.json"
# A fixed place, so that the SQLite file and the server logs are easy to find.
WORK = Path("/tmp/medborg-bench")  # noqa: S108
SQLITE_FILE = WORK / "bench.sqlite3"
CATALOG_FILE = ROOT / "medborg" / "catalog" / "demo" / "catalog.json"
HOST = "127.0.0.1"
WORKERS = 2
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SUBMIT_CONNECTIONS = int(os.environ.get("BENCH_SUBMIT_CONNECTIONS", "50"))
THREADS = 2
DEMO_WAIT = int(os.environ.get("BENCH_DEMO_WAIT", "60"))
DATABASE_URLS = {
    "sqlite": f"sqlite:///{SQLITE_FILE}",
    "postgresql": os.environ.get(
        "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/medborg_bench"
    ),
}
SAMPLE_CASE = re.compile(r"A sample case to follow: (\S+) at /track/([^/\s]+)/")

# What each measurement is held against.
RATIO_GOAL = {"figure": "ratio_to_bare", "op": ">=", "value": 0.5, "unit": "ratio"}
SUBMIT_GOAL = {"figure": "latency_p95", "op": "<", "value": 200, "unit": "ms"}
TITLES = {
    "bare": "bare view",
    "bare_again": "bare again",
    "status_json": "status.json",
    "tracking_page": "tracking page",
    "submit": "submit report",
}


class Skip(Exception):
    """This database cannot be benchmarked; the message says why."""


def log(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def finish(results: dict, started, path: Path, render, summarize=None) -> None:
    """Stamp the end of a run, write its JSON to ``path`` and print its table."""
    finished = datetime.now(UTC)
    results["finished_at"] = finished.isoformat(timespec="seconds")
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    results["duration"] = figure(round((finished - started).total_seconds()), "s")
    if summarize is not None:
        results["goals"] = summarize(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print(render(results))
    print(f"\nResults: {path.relative_to(ROOT)} ({results['duration']['value']} s)")


def figure(value, unit: str, goal: dict | None = None) -> dict:
    """A number with its unit and, if it has one, its goal and whether it met it."""
    entry = {"value": value, "unit": unit, "goal": None, "met": None}
    if goal is not None:
        entry["goal"] = {"op": goal["op"], "value": goal["value"], "unit": goal["unit"]}
        if value is not None:
            entry["met"] = bool(
                value >= goal["value"] if goal["op"] == ">=" else value < goal["value"]
            )
    return entry


# Machine and versions ----------------------------------------------------------------


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
    }


def cache_backend() -> str:
    """The cache the served app uses, as bench.settings chooses it."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bench.settings as s; print(s.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def versions(wrk: str) -> dict:
    import django

    return {
        "python": platform.python_version(),
        "django": django.__version__,
        "gunicorn": metadata.version("gunicorn"),
        "psycopg": metadata.version("psycopg"),
        "wrk": http_load.wrk_version(wrk),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
    }


# Databases ---------------------------------------------------------------------------


def django_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MEDBORG_ENV"}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="bench.settings")
    env.pop("PYTHONPATH", None)
    return env


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise Skip(f"{url} names no database")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_postgres(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
            if not drop_only:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise Skip(f"PostgreSQL at {admin} is unreachable: {exc}".strip()) from exc


def recreate_sqlite() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)


def manage(env: dict, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def dbinfo(env: dict, question: str):
    result = subprocess.run(
        [str(BIN / "python"), "-m", "bench.dbinfo", question],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise Skip(f"bench.dbinfo {question} failed: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _wait_for_catalog() -> None:
    waited = 0
    while not CATALOG_FILE.exists() and waited < DEMO_WAIT:
        if waited == 0:
            log(f"waiting up to {DEMO_WAIT}s for {CATALOG_FILE.relative_to(ROOT)}")
        time.sleep(5)
        waited += 5
    if not CATALOG_FILE.exists():
        raise Skip(
            f"the demo catalog {CATALOG_FILE.relative_to(ROOT)} does not exist, "
            "so load_demo cannot run"
        )


def load_data(env: dict) -> tuple[str, str]:
    """Migrate and load the demo; return the sample case's reference and token."""
    result = manage(env, "migrate", "--no-input")
    if result.returncode != 0:
        raise Skip(f"migrate failed: {result.stderr.strip()[-1500:]}")
    for attempt in range(3):
        _wait_for_catalog()
        result = manage(env, "load_demo")
        match = SAMPLE_CASE.search(result.stdout)
        if result.returncode == 0 and match:
            return match.group(1), match.group(2)
        reason = (result.stderr.strip() or result.stdout.strip())[-1500:]
        if attempt < 2:
            log(f"load_demo failed, retrying in 15s: {reason.splitlines()[-1:]}")
            time.sleep(15)
    raise Skip(f"load_demo failed: {reason}")


def pick_service(services: list[dict]) -> dict:
    """The first report service in catalog order (else the first service)."""
    if not services:
        raise Skip("the demo catalog has no active service")
    reports = [s for s in services if s["kind"] == "report"]
    return (reports or services)[0]


# gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving bench.wsgi with WORKERS sync workers, no access log."""

    def __init__(self, env: dict, name: str):
        self.env = env
        self.port = free_port()
        self.log_path = WORK / f"gunicorn-{name}.log"
        self.process = None

    def __enter__(self):
        WORK.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--chdir",
                str(ROOT),
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                f"{HOST}:{self.port}",
                "--log-level",
                "warning",
                "bench.wsgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_healthy()
        return self

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Skip(f"gunicorn exited early:\n{self.log_tail()}")
            try:
                status, _, body = form.request(HOST, self.port, "GET", "/healthz")
                if status == 200:
                    return
                last = f"{status} {body[:200]!r}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise Skip(f"/healthz did not answer 200 within {timeout:.0f}s ({last})")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


# Measurements ------------------------------------------------------------------------


def _measure(wrk: str, url: str, **options) -> http_load.Measurement:
    """Warm up for WARMUP seconds (discarded), then measure for DURATION."""
    if WARMUP:
        http_load.run(wrk, url, duration_s=WARMUP, **options)
    return http_load.run(wrk, url, duration_s=DURATION, **options)


def _report(measurement: http_load.Measurement, path: str, connections: int) -> dict:
    latency = measurement.latency_ms
    return {
        "method_path": path,
        "threads": THREADS,
        "connections": connections,
        "duration": figure(measurement.duration_s, "s"),
        "requests": figure(measurement.requests, "requests"),
        "requests_per_s": figure(round(measurement.requests_per_s, 1), "requests/s"),
        "latency_p50": figure(latency["p50"], "ms"),
        "latency_p75": figure(latency["p75"], "ms"),
        "latency_p90": figure(latency["p90"], "ms"),
        "latency_p95": figure(latency["p95"], "ms"),
        "latency_p99": figure(latency["p99"], "ms"),
        "latency_max": figure(latency["max"], "ms"),
        "errors_non_2xx_3xx": figure(measurement.non_2xx_3xx, "responses"),
        "errors_socket": {
            kind: figure(measurement.errors[kind], "errors")
            for kind in ("connect", "read", "write", "timeout")
        },
        "wrk_text": measurement.wrk_text,
    }


def measure_get(wrk: str, server: Server, path: str, token: str) -> dict:
    """Measure GET path; the results name the path with ``<token>``, not the token."""
    real = path.replace("<token>", token)
    status, _, body = form.request(HOST, server.port, "GET", real)
    if status != 200:
        return {
            "method_path": f"GET {path}",
            "error": f"answered {status}, not 200: {body[:300]!r}",
            "log": server.log_tail(),
        }
    load = os.getloadavg()[0]
    measurement = _measure(wrk, server.url(real), connections=CONNECTIONS)
    report = _report(measurement, f"GET {path}", CONNECTIONS)
    report["load_average_1min_before"] = figure(round(load, 2), "processes")
    return report


def _write_body(prepared: form.PreparedForm) -> tuple[Path, Path]:
    prefix, suffix = WORK / "submit-prefix.bin", WORK / "submit-suffix.bin"
    prefix.write_bytes(prepared.prefix)
    suffix.write_bytes(prepared.suffix)
    return prefix, suffix


def settled_case_count(env: dict, timeout: float = 20) -> int:
    """Count cases once requests wrk left behind when it stopped are done.

    gunicorn still serves connections queued in its backlog after wrk closed
    them, so the count is read until two readings in a row agree.
    """
    deadline = time.monotonic() + timeout
    count = dbinfo(env, "cases")
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = dbinfo(env, "cases")
        if again == count:
            break
        count = again
    return count


def measure_submit(wrk: str, server: Server, env: dict, slug: str) -> dict:
    path = f"/services/{slug}/"
    prepared = form.prepare(HOST, server.port, path)
    status, hint = form.submit_once(HOST, server.port, prepared)
    if not 300 <= status < 400:
        return {
            "method_path": f"POST {path}",
            "error": f"a single submission answered {status}, not 302: {hint}",
            "fields": [name for name, _ in prepared.fields],
        }
    prefix, suffix = _write_body(prepared)
    options = {
        "connections": SUBMIT_CONNECTIONS,
        "script": "submit.lua",
        "timeout_s": 10,
    }

    def args():
        seed = secrets.randbelow(2**31)
        cookie = prepared.cookie_header
        return (prefix, suffix, prepared.content_type, cookie, seed)

    if WARMUP:
        http_load.run(
            wrk, server.url(path), duration_s=WARMUP, script_args=args(), **options
        )
    load = os.getloadavg()[0]
    before = settled_case_count(env)
    measurement = http_load.run(
        wrk, server.url(path), duration_s=DURATION, script_args=args(), **options
    )
    after = settled_case_count(env)
    report = _report(measurement, f"POST {path}", SUBMIT_CONNECTIONS)
    redirects = sum(n for code, n in measurement.statuses.items() if 300 <= code < 400)
    report["load_average_1min_before"] = figure(round(load, 2), "processes")
    report["statuses"] = {str(k): v for k, v in sorted(measurement.statuses.items())}
    # Only a redirect to the receipt is a submission; a 200 is the form again.
    report["errors_non_3xx"] = figure(
        sum(measurement.statuses.values()) - redirects, "responses"
    )
    report["first_bad_response"] = measurement.first_bad or None
    report["fields"] = [name for name, _ in prepared.fields]
    report["cases_check"] = {
        "cases_created": figure(after - before, "cases"),
        "redirect_responses": figure(redirects, "responses"),
        "difference": figure(after - before - redirects, "cases"),
        "note": (
            "cases counted in the database before and after the measured run; "
            "a positive difference of at most the connection count is requests "
            "still in flight when wrk stopped, a negative one means lost or "
            "deduplicated submissions"
        ),
    }
    return report


def guarded(server: Server, measure, *args) -> dict:
    """Run one measurement; a failure is recorded and the next one still runs."""
    try:
        return measure(*args)
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
        log(f"measurement failed: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}", "log": server.log_tail()}


def bare_reference(measurements: dict) -> float | None:
    """The mean req/s of the bare view measured before and after the pages.

    Records how far the second measurement moved from the first, which says
    how noisy the machine was during the run.
    """
    bares = [
        measurements.get(key, {}).get("requests_per_s", {}).get("value")
        for key in ("bare", "bare_again")
    ]
    bares = [value for value in bares if value]
    if len(bares) == 2:
        measurements["bare_again"]["spread_to_first"] = figure(
            round(bares[1] / bares[0] - 1, 3), "ratio"
        )
    return sum(bares) / len(bares) if bares else None


def _ratios(measurements: dict) -> None:
    """Hold the pages against the mean of the two bare measurements around them."""
    bare = bare_reference(measurements)
    for name in ("status_json", "tracking_page"):
        entry = measurements.get(name, {})
        rps = entry.get("requests_per_s", {}).get("value")
        if rps is not None:
            ratio = round(rps / bare, 3) if bare else None
            entry["ratio_to_bare"] = figure(ratio, "ratio", RATIO_GOAL)
    submit = measurements.get("submit", {})
    if "latency_p95" in submit:
        submit["latency_p95"] = figure(
            submit["latency_p95"]["value"], "ms", SUBMIT_GOAL
        )


def bench_database(wrk: str, name: str, url: str, run_versions: dict) -> dict:
    log(f"{name}: fresh database at {url}")
    result = {"database_url": url, "status": "measured"}
    env = django_env(url)
    try:
        if name == "sqlite":
            recreate_sqlite()
        else:
            recreate_postgres(url)
        reference, token = load_data(env)
        server_info = dbinfo(env, "server")
        run_versions[name] = server_info["version"]
        service = pick_service(dbinfo(env, "services"))
        result.update(sample_case=reference, service=service)
        with Server(env, name) as server:
            result["server"] = {
                "log": str(server.log_path),
                "workers": WORKERS,
                "worker_class": "sync",
            }
            paths = {
                "bare": "/bench/bare",
                "status_json": "/track/<token>/status.json",
                "tracking_page": "/track/<token>/",
                # Again after the pages: the machine's noise shows in the spread.
                "bare_again": "/bench/bare",
            }
            measurements = {}
            for key, path in paths.items():
                log(f"{name}: {TITLES[key]} (GET, {CONNECTIONS} connections)")
                measurements[key] = guarded(
                    server, measure_get, wrk, server, path, token
                )
            log(f"{name}: {TITLES['submit']} (POST, {SUBMIT_CONNECTIONS} connections)")
            measurements["submit"] = guarded(
                server, measure_submit, wrk, server, env, service["slug"]
            )
        _ratios(measurements)
        result["measurements"] = measurements
    except Skip as exc:
        log(f"{name}: skipped: {exc}")
        result.update(status="skipped", reason=str(exc))
    finally:
        if name == "postgresql":
            with contextlib.suppress(Skip):
                recreate_postgres(url, drop_only=True)
    return result


# Output ------------------------------------------------------------------------------


def _cell(entry: dict | None, digits: int = 1) -> str:
    if not entry or entry.get("value") is None:
        return "—"
    return f"{entry['value']:.{digits}f}"


def _goal_text(entry: dict) -> str:
    for key in ("ratio_to_bare", "latency_p95"):
        fig = entry.get(key) or {}
        if fig.get("goal"):
            goal = fig["goal"]
            unit = " of bare" if goal["unit"] == "ratio" else f" {goal['unit']}"
            what = "" if goal["unit"] == "ratio" else "p95 "
            verdict = "met" if fig["met"] else "MISSED"
            return f"{what}{goal['op']} {goal['value']}{unit}: {verdict}"
    return ""


def table(results: dict) -> str:
    head = (
        f"{'database':<11}{'measurement':<15}{'req/s':>9}{'×bare':>7}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  goal"
    )
    lines = [head, "-" * len(head)]
    for db, outcome in results["databases"].items():
        if outcome["status"] != "measured":
            lines.append(f"{db:<11}skipped: {outcome['reason'].splitlines()[0][:90]}")
            continue
        for key, entry in outcome["measurements"].items():
            if "error" in entry:
                lines.append(f"{db:<11}{TITLES[key]:<15}error: {entry['error'][:70]}")
                continue
            bad = entry.get("errors_non_3xx") or entry["errors_non_2xx_3xx"]
            errors = bad["value"] + sum(
                e["value"] for e in entry["errors_socket"].values()
            )
            lines.append(
                f"{db:<11}{TITLES[key]:<15}{_cell(entry['requests_per_s']):>9}"
                f"{_cell(entry.get('ratio_to_bare'), 2):>7}"
                f"{_cell(entry['latency_p50']):>9}{_cell(entry['latency_p95']):>9}"
                f"{_cell(entry['latency_p99']):>9}{errors:>8}  {_goal_text(entry)}"
            )
        check = outcome["measurements"]["submit"].get("cases_check")
        if check:
            lines.append(
                f"{'':<11}submit check: {check['cases_created']['value']} cases "
                f"created, {check['redirect_responses']['value']} answers 302 "
                f"(difference {check['difference']['value']:+d})"
            )
    return "\n".join(lines)


def goal_summary(results: dict) -> list[dict]:
    summary = []
    for db, outcome in results["databases"].items():
        for key, entry in outcome.get("measurements", {}).items():
            for fig_name in ("ratio_to_bare", "latency_p95"):
                fig = entry.get(fig_name) or {}
                if fig.get("goal"):
                    summary.append(
                        {
                            "database": db,
                            "measurement": key,
                            "figure": fig_name,
                            "value": fig["value"],
                            "unit": fig["unit"],
                            "goal": fig["goal"],
                            "met": fig["met"],
                        }
                    )
    return summary


def main() -> int:
    try:
        wrk = http_load.ensure_wrk()
    except http_load.WrkMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    started = datetime.now(UTC)
    chosen = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    run_versions = versions(wrk)
    results = {
        "benchmark": "tracking",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": run_versions,
        "setup": {
            "server": f"gunicorn {WORKERS} sync workers, bench.wsgi (DEBUG=False)",
            "cache": cache_backend(),
            "load_generator": "wrk --latency",
            "threads": THREADS,
            "get_connections": CONNECTIONS,
            "submit_connections": SUBMIT_CONNECTIONS,
            "duration": figure(DURATION, "s"),
            "warmup": figure(WARMUP, "s"),
            "goals": {
                "status_json": "requests/s ≥ 0.5 × bare view (mean of the two bare "
                "measurements of the same database, before and after the pages)",
                "tracking_page": "requests/s ≥ 0.5 × bare view (same mean)",
                "submit": "p95 latency < 200 ms at 50 concurrent clients",
            },
        },
        "databases": {},
    }
    for name in (n.strip() for n in chosen if n.strip()):
        if name not in DATABASE_URLS:
            log(f"unknown database {name!r}; known: {', '.join(DATABASE_URLS)}")
            continue
        results["databases"][name] = bench_database(
            wrk, name, DATABASE_URLS[name], run_versions
        )
    finish(results, started, RESULTS, table, summarize=goal_summary)
    measured = [r for r in results["databases"].values() if r["status"] == "measured"]
    return 0 if measured else 1


if __name__ == "__main__":
    sys.exit(main())
