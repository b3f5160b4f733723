"""WSGI entry point for the benchmark: the app with bench.settings."""

import os

from django.core.wsgi import get_wsgi_application

# Forced, not setdefault: a DJANGO_SETTINGS_MODULE left in the shell must not
# silently drop the bare view.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
application = get_wsgi_application()
