"""Run wrk and read its figures: requests/s, latency percentiles and errors.

Every measurement uses a Lua script that dofile()s ``lua/report.lua``, whose
``done()`` prints one ``BENCH_RESULT {json}`` line with p50/p75/p90/p95/p99 in
microseconds; wrk's own ``--latency`` table has no p95. The text figures wrk
prints (Requests/sec, the latency distribution, non-2xx/3xx and socket errors)
are parsed as well and kept next to the script's, as a cross-check.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DISTRIBUTION = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_NON_2XX_3XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


class WrkMissing(RuntimeError):
    pass


def ensure_wrk() -> str:
    """Return the path of wrk, installing Debian's package when running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkMissing(
            "wrk is not installed. Install it with 'sudo apt-get install -y wrk' "
            "and run 'make bench' again."
        )
    print("wrk is missing; installing it from Debian (apt-get install -y wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env)
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("wrk could not be installed with apt-get install -y wrk.")
    return found


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).strip().splitlines()
    match = re.match(r"wrk\s+(\S+)", first[0]) if first else None
    return match.group(1) if match else (first[0] if first else "unknown")


@dataclass
class Measurement:
    """One wrk run. Latencies are milliseconds; counts are whole requests."""

    requests_per_s: float
    requests: int
    duration_s: float
    latency_ms: dict
    errors: dict
    non_2xx_3xx: int
    statuses: dict = field(default_factory=dict)
    first_bad: str = ""
    wrk_text: dict = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return self.non_2xx_3xx + sum(
            self.errors.get(kind, 0) for kind in ("connect", "read", "write", "timeout")
        )


def _to_ms(number: str, unit: str) -> float:
    return float(number) * _UNITS_MS[unit]


def parse(output: str) -> Measurement:
    """Read wrk's output (with the BENCH_RESULT line); raise ValueError if absent."""
    line = next((x for x in output.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise ValueError("wrk printed no BENCH_RESULT line:\n" + output[-2000:])
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    rps = _RPS.search(output)
    distribution = {
        f"p{pct}": round(_to_ms(number, unit), 3)
        for pct, number, unit in _DISTRIBUTION.findall(output)
    }
    non_2xx = _NON_2XX_3XX.search(output)
    socket = _SOCKET.search(output)
    latency_ms = {
        key: round(value / 1000, 3) for key, value in data["latency_us"].items()
    }
    duration_s = data["duration_us"] / 1e6
    return Measurement(
        requests_per_s=(
            float(rps.group(1)) if rps else data["requests"] / max(duration_s, 1e-9)
        ),
        requests=data["requests"],
        duration_s=round(duration_s, 3),
        latency_ms=latency_ms,
        errors=data["errors"],
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else data["errors"]["status"],
        statuses={int(k): v for k, v in data.get("statuses", {}).items()},
        first_bad=data.get("first_bad", ""),
        wrk_text={
            "requests_per_s": float(rps.group(1)) if rps else None,
            "latency_distribution_ms": distribution,
            "socket_errors": (
                dict(
                    zip(
                        ("connect", "read", "write", "timeout"),
                        map(int, socket.groups()),
                        strict=True,
                    )
                )
                if socket
                else {}
            ),
        },
    )


def run(
    wrk: str,
    url: str,
    *,
    script: str = "get.lua",
    script_args: tuple = (),
    threads: int = 2,
    connections: int = 32,
    duration_s: int = 10,
    timeout_s: int = 10,
    headers: dict | None = None,
) -> Measurement:
    """Run wrk once against url and return what it measured."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(LUA_DIR / script),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"wrk exited with {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return parse(result.stdout)
