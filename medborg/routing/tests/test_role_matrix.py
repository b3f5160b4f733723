"""Every routing URL against every role, anonymous included.

A view added to the ``routing`` namespace without a row here fails
``test_matrix_covers_every_routing_url``.
"""

import sys
import types

from django.urls import get_resolver, reverse

import pytest

import medborg.routing
from medborg.accounts.tests.factories import UserFactory
from medborg.routing.models import RoutePlan, Stop
from medborg.sensors.services import emptying

WHO = ["anonymous", "no_role", "operator", "driver", "caseworker"]

# name: (method, {who: expected status}); anonymous always goes to sign in.
MATRIX = {
    "index": ("get", {"operator": 200, "driver": 302}),
    "plan_day": ("post", {"operator": 302}),
    "mine": ("get", {"operator": 200, "driver": 200}),
    "route": ("get", {"operator": 200, "driver": 200}),
    "gpx": ("get", {"operator": 200, "driver": 200}),
    "geojson": ("get", {"operator": 200, "driver": 200}),
    "mark": ("post", {"operator": 302, "driver": 302}),
}


def test_matrix_covers_every_routing_url():
    routing = get_resolver().namespace_dict["routing"][1]
    names = {name for name in routing.reverse_dict if isinstance(name, str)}
    assert names == set(MATRIX)


def _url(name, route, stop):
    if name in {"index", "plan_day", "mine"}:
        return reverse(f"routing:{name}")
    if name == "mark":
        return reverse("routing:mark", args=[route.pk, stop.pk])
    return reverse(f"routing:{name}", args=[route.pk])


def _payload(name, plan):
    if name == "plan_day":
        return {"date": plan.date.isoformat()}
    return {"status": "emptied"}


@pytest.fixture
def quiet(monkeypatch):
    """No planning task and no case to close: only access is under test."""
    enqueued = []
    module = types.SimpleNamespace(
        plan_day=types.SimpleNamespace(enqueue=lambda *args: enqueued.append(args))
    )
    monkeypatch.setitem(sys.modules, "medborg.routing.tasks", module)
    monkeypatch.setattr(medborg.routing, "tasks", module, raising=False)
    monkeypatch.setattr(emptying, "close_emptying_case", lambda **kwargs: None)
    return enqueued


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_routing_url_by_role(
    client, day_plan, driver, quiet, django_capture_on_commit_callbacks, name, who
):
    method, allowed = MATRIX[name]
    route = day_plan["route"]
    stop = route.stops.get(position=1)
    if who == "driver":
        user = driver
    elif who != "anonymous":
        user = UserFactory(role=None if who == "no_role" else who)
    if who != "anonymous":
        client.force_login(user, backend="medborg.accounts.backends.StaffBackend")
    plans = RoutePlan.objects.count()
    url = _url(name, route, stop)
    with django_capture_on_commit_callbacks(execute=True):
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, _payload(name, day_plan["plan"]))
    expected = 302 if who == "anonymous" else allowed.get(who, 403)
    assert response.status_code == expected, response.content[:300]
    if who == "anonymous":
        assert response["Location"].startswith(reverse("staff:login"))
    if method == "post" and who not in allowed:
        assert Stop.objects.get(pk=stop.pk).status == Stop.Status.PLANNED
        assert quiet == []
        assert RoutePlan.objects.count() == plans
