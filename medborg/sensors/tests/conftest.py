"""Fixtures shared by the sensors tests: payload files and a private broker."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from medborg.api.tests import conftest as api_tests

FIXTURES = Path(__file__).parent / "fixtures"
api = api_tests.api
make_key = api_tests.make_key
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def evaluated(monkeypatch):
    """The bin ids ``evaluate_bins`` was enqueued with, instead of enqueuing."""
    from medborg.sensors import tasks

    calls: list[list[int]] = []

    class Recorder:
        enqueue = staticmethod(calls.append)

    monkeypatch.setattr(tasks, "evaluate_bins", Recorder())
    return calls


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{port}")


class Broker:
    """A Mosquitto of this test's own, with persistence, restartable."""

    def __init__(self, directory: Path):
        self.port = _free_port()
        self.directory = directory
        self.config = directory / "mosquitto.conf"
        # The shipped configuration's limits, on a loopback port of our own.
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 1000\n"
            "log_dest none\n" + ("user root\n" if os.geteuid() == 0 else "")
            # Started as root, mosquitto would drop to its own user, which
            # cannot write the persistence file into the test's directory.
        )
        self.process = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [MOSQUITTO, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process)

    def stop(self) -> None:
        """Stop as an operator's restart does: SIGTERM, which saves the queue."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


def _mosquitto_runs() -> str:
    """Why mosquitto cannot be run here, or empty."""
    if not (os.path.isfile(MOSQUITTO) and os.access(MOSQUITTO, os.X_OK)):
        return f"mosquitto is not installed at {MOSQUITTO}"
    try:
        subprocess.run(  # noqa: S603
            [MOSQUITTO, "-h"], capture_output=True, timeout=5, check=False
        )
    except OSError as error:
        return f"mosquitto at {MOSQUITTO} does not run: {error}"
    return ""


@pytest.fixture
def broker(tmp_path):
    """A running private broker on a free 127.0.0.1 port; skips without mosquitto."""
    reason = _mosquitto_runs()
    if reason:
        if os.environ.get("MEDBORG_REQUIRE_SERVICES") == "1":
            pytest.fail(reason + " and MEDBORG_REQUIRE_SERVICES=1")
        pytest.skip(reason)
    server = Broker(tmp_path)
    server.start()
    yield server
    server.stop()
