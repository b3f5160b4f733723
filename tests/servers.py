"""Skip a test, or fail it under MEDBORG_REQUIRE_SERVICES=1, if its server is down."""

import os
import socket

import pytest


def require_server(name: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=1):
            return
    except OSError:
        message = f"{name} is not reachable on {host}:{port}"
        if os.environ.get("MEDBORG_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " and MEDBORG_REQUIRE_SERVICES=1")
        pytest.skip(message)
