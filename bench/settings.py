"""Settings for benchmarking: the app's own, plus a bare view and DEBUG off.

Used only by bench/run.py, which serves the app with gunicorn through
``bench.wsgi``. Everything not changed here is exactly what the app runs with.
"""

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
