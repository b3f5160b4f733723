"""Benchmark reading ingest over HTTP and MQTT on PostgreSQL (``make bench``).

Every stream has 10 % duplicates mixed in (the same device and time sent
again), and every figure is held as a ratio to its physical limit measured in
the same run:

1. HTTP: batches of readings ``POST``ed to ``/api/v1/sensors/readings`` by
   several concurrent clients (gunicorn with bench/run.py's workers) against a
   raw ``COPY`` of the same unique rows into the same ``sensors_reading``
   table. Goal: at least 20 % of COPY's rows per second.
2. MQTT: one reading per QoS 1 message, as sensors send them, through
   ``manage.py mqtt_ingest`` against a bare paho-mqtt subscriber that only
   counts the messages of the same publisher; then two ingest processes on a
   shared subscription (MEDBORG_MQTT_SHARE_GROUP) to show how it scales.
   Goal: one process at least 50 % of the bare subscriber's messages/s. The
   broker is a private Mosquitto started on a free port with the settings of
   docs/mosquitto/medborg.conf when that file exists.

Prints a short table and writes ``bench/results/ingest.json``. A missing
server or app part skips that part with the reason. Knobs:
BENCH_INGEST_POSTGRES_URL, BENCH_INGEST_DEVICES, BENCH_INGEST_HTTP_READINGS,
BENCH_INGEST_HTTP_BATCH, BENCH_INGEST_HTTP_CLIENTS, BENCH_INGEST_MQTT_MESSAGES,
BENCH_INGEST_MOSQUITTO.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run, staff  # noqa: E402
from bench.run import Skip, figure, log  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.json"
WORK = run.WORK / "ingest"
URL = os.environ.get(
    "BENCH_INGEST_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/medborg_bench_ingest",
)
DEVICES = int(os.environ.get("BENCH_INGEST_DEVICES", "1000"))
HTTP_READINGS = int(os.environ.get("BENCH_INGEST_HTTP_READINGS", "100000"))
HTTP_BATCH = int(os.environ.get("BENCH_INGEST_HTTP_BATCH", "500"))
HTTP_CLIENTS = int(os.environ.get("BENCH_INGEST_HTTP_CLIENTS", "4"))
MQTT_MESSAGES = int(os.environ.get("BENCH_INGEST_MQTT_MESSAGES", "30000"))
MOSQUITTO = os.environ.get("BENCH_INGEST_MOSQUITTO") or shutil.which(
    "mosquitto", path=f"{os.environ.get('PATH', '')}:/usr/sbin"
)
BROKER_CONF = ROOT / "docs" / "mosquitto" / "medborg.conf"
DUPLICATES = 0.10
TOPIC = "medborg/sensors/{device}/readings"
HTTP_PATH = "/api/v1/sensors/readings"
HTTP_GOAL = {"op": ">=", "value": 0.2, "unit": "ratio"}
MQTT_GOAL = {"op": ">=", "value": 0.5, "unit": "ratio"}
MARKER = "BENCH_INGEST"


# The readings ---------------------------------------------------------------------


def readings(devices: list[str], count: int, seed: int) -> list[dict]:
    """``count`` readings, 10 % of them repeats of an earlier one, shuffled lightly."""
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    unique = count - int(count * DUPLICATES)
    made = [
        {
            "device": devices[n % len(devices)],
            "measured_at": (start + timedelta(seconds=n // len(devices) * 60 + n % 60))
            .isoformat()
            .replace("+00:00", "Z"),
            "fill_percent": round(rng.uniform(0, 100), 1),
            "battery_percent": 87.0,
            "temperature_c": 6.5,
        }
        for n in range(unique)
    ]
    for _ in range(count - unique):
        made.insert(rng.randrange(len(made) + 1), dict(rng.choice(made)))
    return made


# Worker: runs inside Django as ``python bench/ingest.py --worker TASK`` -------------


def _prepare() -> dict:
    """Devices in bins and an API key allowed to post readings."""
    from medborg.api.models import Scope
    from medborg.api.services import issue_key
    from medborg.sensors.models import Bin, Device, Reading

    Reading.objects.all().delete()
    if Device.objects.count() != DEVICES:
        Device.objects.all().delete()
        Bin.objects.filter(code__startswith="bench-").delete()
        bins = Bin.objects.bulk_create(
            Bin(
                code=f"bench-{n:05d}",
                latitude=56.8 + n / 100000,
                longitude=14.8,
                volume_litres=240,
            )
            for n in range(DEVICES)
        )
        Device.objects.bulk_create(
            Device(identifier=f"bench-dev-{n:05d}", bin=bins[n]) for n in range(DEVICES)
        )
    scopes = [value for value in Scope.values if value.startswith("sensors")]
    key = None
    if scopes:
        key = issue_key(name="bench ingest", scopes=scopes, rate="1000000/s")[1]
    devices = Device.objects.order_by("pk").values_list("identifier", "pk", "bin_id")
    return {
        "devices": {ident: [pk, bin_id] for ident, pk, bin_id in devices},
        "key": key,
        "scopes": scopes,
    }


def _bare(options: dict) -> None:
    """Count QoS 1 messages and nothing else; print when the last arrived."""
    import paho.mqtt.client as mqtt

    received, first, done = [0], [None], threading.Event()
    expected = options["count"]

    def on_message(client, userdata, message):
        received[0] += 1
        if first[0] is None:
            first[0] = time.time()
        if received[0] >= expected:
            done.set()

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        print("READY", flush=True)

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"bench-bare-{os.getpid()}",
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    client.on_message, client.on_subscribe = on_message, on_subscribe
    client.on_connect = lambda c, *_: c.subscribe(TOPIC.format(device="+"), qos=1)
    client.connect("127.0.0.1", options["port"])
    client.loop_start()
    done.wait(timeout=options["timeout"])
    last = time.time()
    client.loop_stop()
    answer = {"received": received[0], "first": first[0], "last": last}
    print(f"{MARKER} {json.dumps(answer)}", flush=True)


def worker(task: str, options: dict) -> None:
    if task == "bare":
        _bare(options)
        return
    import django

    django.setup()
    print(f"{MARKER} {json.dumps(_prepare())}", flush=True)


# PostgreSQL -----------------------------------------------------------------------


def _stored(conn) -> tuple[int, int]:
    return conn.execute(
        "SELECT (SELECT count(*) FROM sensors_reading), "
        "(SELECT count(*) FROM sensors_quarantinedreading)"
    ).fetchone()


def _empty(conn) -> None:
    conn.execute("DELETE FROM sensors_reading")
    conn.execute("DELETE FROM sensors_quarantinedreading")
    conn.execute("VACUUM ANALYZE sensors_reading")


def measure_copy(conn, rows: list[dict], devices: dict) -> dict:
    """COPY the unique readings into sensors_reading: the physical limit."""
    seen, buffer = set(), io.StringIO()
    now = datetime.now(UTC).isoformat()
    for row in rows:
        key = (row["device"], row["measured_at"])
        if key in seen:
            continue
        seen.add(key)
        pk, bin_id = devices[row["device"]]
        buffer.write(
            f"{pk}\t{bin_id}\t{row['measured_at']}\t{now}\t{row['fill_percent']}\t"
            f"{row['battery_percent']}\t{row['temperature_c']}\thttp\n"
        )
    data = buffer.getvalue().encode()
    _empty(conn)
    started = time.perf_counter()
    with (
        conn.transaction(),
        conn.cursor().copy(
            "COPY sensors_reading (device_id, bin_id, measured_at, received_at, "
            "fill_percent, battery_percent, temperature_c, source) FROM STDIN"
        ) as copy,
    ):
        copy.write(data)
    seconds = time.perf_counter() - started
    _empty(conn)
    return {
        "rows": figure(len(seen), "rows"),
        "seconds": figure(round(seconds, 3), "s"),
        "rows_per_s": figure(round(len(seen) / seconds), "rows/s"),
    }


# HTTP -----------------------------------------------------------------------------


def _post_batches(port: int, key: str, batches: queue.Queue, answers: list) -> None:
    connection = http.client.HTTPConnection(run.HOST, port, timeout=120)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    while True:
        try:
            body = batches.get_nowait()
        except queue.Empty:
            break
        connection.request("POST", HTTP_PATH, body=body, headers=headers)
        response = connection.getresponse()
        answers.append((response.status, response.read()))
    connection.close()


def measure_http(env: dict, key: str, rows: list[dict], conn) -> dict:
    bodies = [
        json.dumps({"readings": rows[n : n + HTTP_BATCH]}).encode()
        for n in range(0, len(rows), HTTP_BATCH)
    ]
    with run.Server(env, "ingest") as server:
        # One batch first: the answer shows the API works before it is timed.
        answers: list = []
        probe = queue.Queue()
        probe.put(json.dumps({"readings": rows[:1]}).encode())
        _post_batches(server.port, key, probe, answers)
        status, body = answers[0]
        if status >= 300:
            raise Skip(f"POST {HTTP_PATH} answered {status}: {body[:300]!r}")
        _empty(conn)
        batches: queue.Queue = queue.Queue()
        for body in bodies:
            batches.put(body)
        answers = []
        threads = [
            threading.Thread(
                target=_post_batches, args=(server.port, key, batches, answers)
            )
            for _ in range(HTTP_CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    stored, quarantined = _stored(conn)
    statuses: dict = {}
    for status, _body in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "readings": figure(len(rows), "readings"),
        "batch": figure(HTTP_BATCH, "readings"),
        "clients": figure(HTTP_CLIENTS, "connections"),
        "gunicorn_workers": figure(run.WORKERS, "processes"),
        "seconds": figure(round(seconds, 2), "s"),
        "readings_per_s": figure(round(len(rows) / seconds), "readings/s"),
        "stored": figure(stored, "readings"),
        "quarantined": figure(quarantined, "readings"),
        "statuses": statuses,
    }


# MQTT -----------------------------------------------------------------------------


class Broker:
    """A private Mosquitto on a free port: nothing else publishes to it."""

    def __init__(self):
        self.port = run.free_port()
        self.process = None

    def _config(self) -> str:
        # The shipped settings, less what must be this run's own.
        own = (
            "listener",
            "port",
            "persistence_location",
            "log_dest",
            "pid_file",
            # Its accounts and rights are the installation's, not this run's.
            "allow_anonymous",
            "password_file",
            "acl_file",
            "user",
        )
        lines = []
        if BROKER_CONF.exists():
            lines = [
                line
                for line in BROKER_CONF.read_text().splitlines()
                if not line.strip().startswith(own)
            ]
        else:
            lines = ["max_queued_messages 0", "max_inflight_messages 0"]
        return "\n".join(
            [
                f"listener {self.port} 127.0.0.1",
                "allow_anonymous true",
                f"persistence_location {WORK}/",
                f"log_dest file {WORK}/mosquitto.log",
                # As root, mosquitto drops to its own user, which cannot write
                # the persistence file into the work folder.
                *(["user root"] if os.geteuid() == 0 else []),
                *lines,
                "",
            ]
        )

    def __enter__(self):
        if not MOSQUITTO:
            raise Skip("mosquitto is not installed (BENCH_INGEST_MOSQUITTO)")
        WORK.mkdir(parents=True, exist_ok=True)
        for stale in WORK.glob("*.db"):
            stale.unlink()
        conf = WORK / "mosquitto.conf"
        conf.write_text(self._config())
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                run.socket.create_connection((run.HOST, self.port), timeout=1).close()
                return self
            time.sleep(0.1)
        self.__exit__()
        raise Skip(f"mosquitto did not listen on {run.HOST}:{self.port}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


def publish(port: int, rows: list[dict]) -> dict:
    """Publish one reading per QoS 1 message; return when all were acknowledged."""
    import paho.mqtt.client as mqtt

    acked, done = [0], threading.Event()

    def on_publish(client, userdata, mid, reason_code, properties):
        acked[0] += 1
        if acked[0] >= len(rows):
            done.set()

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"bench-publisher-{os.getpid()}",
        protocol=mqtt.MQTTv311,
    )
    client.on_publish = on_publish
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.connect(run.HOST, port)
    client.loop_start()
    payloads = [
        (TOPIC.format(device=row["device"]), json.dumps(row).encode()) for row in rows
    ]
    started = time.time()
    for topic, payload in payloads:
        client.publish(topic, payload, qos=1)
    done.wait(timeout=300)
    finished = time.time()
    client.disconnect()
    client.loop_stop()
    return {"started": started, "finished": finished, "acked": acked[0]}


def _rates(rows: list[dict], sent: dict, last: float, handled: int) -> dict:
    seconds = last - sent["started"]
    return {
        "messages": figure(len(rows), "messages"),
        "handled": figure(handled, "messages"),
        "seconds": figure(round(seconds, 2), "s"),
        "messages_per_s": figure(round(handled / seconds), "messages/s"),
        "publisher_messages_per_s": figure(
            round(sent["acked"] / (sent["finished"] - sent["started"])), "messages/s"
        ),
    }


def measure_bare(port: int, rows: list[dict]) -> dict:
    options = {"port": port, "count": len(rows), "timeout": 300}
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", "bare", json.dumps(options)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdout.readline().strip() != "READY":
        process.kill()
        raise Skip("the bare subscriber did not subscribe")
    sent = publish(port, rows)
    output, _ = process.communicate(timeout=330)
    lines = [x for x in output.splitlines() if x.startswith(f"{MARKER} ")]
    found = json.loads(lines[-1].removeprefix(f"{MARKER} "))
    return _rates(rows, sent, found["last"], found["received"])


def _ingest_processes(env: dict, port: int, count: int, group: str) -> list:
    processes = []
    for number in range(count):
        process_env = env | {
            "MQTT_URL": f"mqtt://{run.HOST}:{port}",
            "MEDBORG_MQTT_TOPICS": TOPIC.format(device="+"),
            # A persistent session of its own per run: a session left by the
            # one-process run would keep its plain subscription and get every
            # message beside the shared group.
            "MEDBORG_MQTT_CLIENT_ID": f"bench-ingest-{count}-{number}",
            "MEDBORG_MQTT_SHARE_GROUP": group,
        }
        log_file = (WORK / f"mqtt_ingest-{number}.log").open("w")
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "mqtt_ingest"],
                cwd=ROOT,
                env=process_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return processes


def _stop(processes: list) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def measure_ingest(env: dict, port: int, rows: list[dict], conn, count: int) -> dict:
    """Time ``count`` mqtt_ingest processes until every unique reading is stored."""
    _empty(conn)
    unique = len({(row["device"], row["measured_at"]) for row in rows})
    processes = _ingest_processes(env, port, count, "bench" if count > 1 else "")
    try:
        # Subscribed once its session exists; give it time to connect.
        time.sleep(4)
        for number, process in enumerate(processes):
            if process.poll() is not None:
                text = (WORK / f"mqtt_ingest-{number}.log").read_text()[-800:]
                raise Skip(f"mqtt_ingest exited: {text}")
        sent = publish(port, rows)
        deadline, stored = time.time() + 120 + len(rows) / 500, 0
        while time.time() < deadline:
            stored = _stored(conn)[0]
            if stored >= unique:
                break
            time.sleep(0.05)
        last = time.time()
    finally:
        _stop(processes)
    entry = _rates(rows, sent, last, len(rows) if stored >= unique else 0)
    entry["processes"] = figure(count, "processes")
    entry["stored"] = figure(stored, "readings")
    entry["expected"] = figure(unique, "readings")
    return entry


def measure_mqtt(env: dict, rows: list[dict], conn) -> dict:
    with Broker() as broker:
        log(f"mqtt: bare subscriber, {len(rows):,} messages, port {broker.port}")
        bare = measure_bare(broker.port, rows)
        found = {
            "broker": "docs/mosquitto/medborg.conf"
            if BROKER_CONF.exists()
            else "built-in settings",
            "bare_subscriber": bare,
        }
        reference = bare["messages_per_s"]["value"]
        for count in (1, 2):
            log(f"mqtt: {count} mqtt_ingest process(es)")
            try:
                entry = measure_ingest(env, broker.port, rows, conn, count)
            except Skip as exc:
                log(f"mqtt_ingest skipped: {exc}")
                found["reason"] = str(exc)
                break
            ratio = entry["messages_per_s"]["value"] / reference
            entry["ratio_to_bare"] = figure(
                round(ratio, 3), "ratio", MQTT_GOAL if count == 1 else None
            )
            found[f"mqtt_ingest_{count}"] = entry
    return found


# Output ---------------------------------------------------------------------------


def table(results: dict) -> str:
    lines = []
    http_part, mqtt_part = results.get("http", {}), results.get("mqtt", {})
    if "copy" in http_part:
        copied = http_part["copy"]["rows_per_s"]["value"]
        lines.append(f"COPY (reference)       {copied:>10,} rows/s")
    if "ratio_to_copy" in http_part:
        ratio = http_part["ratio_to_copy"]
        lines.append(
            f"HTTP POST, {HTTP_BATCH}/batch  "
            f"{http_part['post']['readings_per_s']['value']:>10,} readings/s  "
            f"ratio {ratio['value']:.3f} (goal >= 0.2: "
            f"{'met' if ratio['met'] else 'MISSED'})"
        )
    else:
        lines.append(f"HTTP: skipped: {http_part.get('reason')}")
    if "bare_subscriber" in mqtt_part:
        bare = mqtt_part["bare_subscriber"]["messages_per_s"]["value"]
        lines.append(f"MQTT bare subscriber   {bare:>10,} messages/s")
        for count in (1, 2):
            entry = mqtt_part.get(f"mqtt_ingest_{count}")
            if entry:
                ratio = entry["ratio_to_bare"]
                verdict = ""
                if ratio["goal"]:
                    verdict = f" (goal >= 0.5: {'met' if ratio['met'] else 'MISSED'})"
                lines.append(
                    f"mqtt_ingest × {count}        "
                    f"{entry['messages_per_s']['value']:>10,} messages/s  "
                    f"ratio {ratio['value']:.3f}{verdict}"
                )
    if mqtt_part.get("reason"):
        lines.append(f"MQTT: skipped: {mqtt_part['reason']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]))
        return 0
    import django

    import psycopg  # noqa: I001

    started = datetime.now(UTC)
    results = {
        "benchmark": "ingest",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": run.machine(),
        "versions": {
            "python": platform.python_version(),
            "django": django.__version__,
            "psycopg": metadata.version("psycopg"),
            "paho_mqtt": metadata.version("paho-mqtt"),
            "gunicorn": metadata.version("gunicorn"),
            "postgresql": None,
        },
        "setup": {
            "duplicates": DUPLICATES,
            "devices": DEVICES,
            "goals": {
                "http": "HTTP readings/s >= 20 % of COPY rows/s, same rows and table",
                "mqtt": "one mqtt_ingest >= 50 % of a bare paho subscriber's "
                "QoS 1 messages/s, same publisher; two processes: no goal",
            },
        },
        "http": {"status": "skipped"},
        "mqtt": {"status": "skipped"},
    }
    try:
        env = run.django_env(URL)
        if not staff.database_exists(URL):
            run.recreate_postgres(URL)
        migrated = run.manage(env, "migrate", "--no-input", timeout=600)
        if migrated.returncode != 0:
            raise Skip(f"migrate failed: {migrated.stderr.strip()[-1500:]}")
        info = staff.run_worker(Path(__file__), MARKER, env, "prepare", 600)
    except Skip as exc:
        log(f"skipped: {exc}")
        results["http"]["reason"] = results["mqtt"]["reason"] = str(exc)
        run.finish(results, started, RESULTS, table)
        return 0
    devices = list(info["devices"])
    with psycopg.connect(URL, autocommit=True) as conn:
        results["versions"]["postgresql"] = conn.execute(
            "SHOW server_version"
        ).fetchone()[0]
        http_rows = readings(devices, HTTP_READINGS, seed=1)
        log(f"http: COPY, then POST {HTTP_READINGS:,} readings")
        copied = measure_copy(conn, http_rows, info["devices"])
        results["http"]["copy"] = copied
        try:
            if not info["key"]:
                raise Skip("no API key scope for sensors exists (medborg.api Scope)")
            posted = measure_http(env, info["key"], http_rows, conn)
            ratio = posted["readings_per_s"]["value"] / copied["rows_per_s"]["value"]
            results["http"] = {
                "status": "measured",
                "copy": copied,
                "post": posted,
                "ratio_to_copy": figure(round(ratio, 3), "ratio", HTTP_GOAL),
            }
        except Skip as exc:
            log(f"http skipped: {exc}")
            results["http"]["reason"] = str(exc)
        try:
            mqtt_rows = readings(devices, MQTT_MESSAGES, seed=2)
            results["mqtt"] = {"status": "measured"} | measure_mqtt(
                env, mqtt_rows, conn
            )
        except Skip as exc:
            log(f"mqtt skipped: {exc}")
            results["mqtt"]["reason"] = str(exc)
    run.finish(results, started, RESULTS, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
