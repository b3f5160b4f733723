"""Settings for benchmarking: the app's own, plus a bare view and DEBUG off.

Used only by bench/run.py, which serves the app with gunicorn through
``bench.wsgi``. Everything not changed here is exactly what the app runs with.
"""

import os
import socket
from urllib.parse import urlsplit

from medborg.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# The bare view lives next to the app's real URLs, never in the app's URLconf.
ROOT_URLCONF = "bench.bare_urls"
# The limit counts only unknown tokens; the benchmark asks for a known one, so
# this changes nothing measured. It is raised only so that a stray miss during
# a run cannot turn the rest of it into 429 answers.
TRACK_GUESS_RATE = "1000000/s"
# The submit benchmark sends every form from one address.
SUBMIT_RATE = "1000000/s"

# Production requires Redis (REDIS_URL), so the web processes share one cache;
# measure that way when a Redis server is reachable, else with per-process memory.
_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
try:
    _parts = urlsplit(_REDIS)
    socket.create_connection((_parts.hostname, _parts.port or 6379), timeout=1).close()
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS,
            "KEY_PREFIX": "medborg-bench",
        }
    }
except OSError:
    pass
