"""The app's URLs plus ``/bench/bare``, a view that does nothing (the ceiling)."""

from django.http import HttpResponse
from django.urls import path

from medborg.urls import urlpatterns as app_patterns


def bare(request):
    return HttpResponse(b"ok")


urlpatterns = [path("bench/bare", bare), *app_patterns]
