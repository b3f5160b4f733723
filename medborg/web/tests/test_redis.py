"""The production cache: rate limits shared between web processes through Redis."""

import os
from urllib.parse import urlsplit

from django.core.cache import caches

import pytest

from tests.servers import require_server

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache(settings):
    parts = urlsplit(REDIS_URL)
    require_server("Redis", parts.hostname, parts.port or 6379)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "medborg-test",
        }
    }
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def test_tracking_guesses_are_counted_in_redis(client, db, settings, redis_cache):
    settings.TRACK_GUESS_RATE = "2/m"
    codes = [client.get(f"/track/{'z' * 43}{n}/").status_code for n in range(3)]
    assert codes == [404, 404, 429]
    assert any(key for key in redis_cache._cache.get_client().keys("medborg-test:*"))
