from django.urls import path, re_path

from medborg.open311 import views

app_name = "open311"
FORMAT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FORMAT, views.services, name="services"),
    re_path(
        r"^v2/services/(?P<code>[^/]+?)" + FORMAT,
        views.service_definition,
        name="service",
    ),
    re_path(r"^v2/requests" + FORMAT, views.service_requests, name="requests"),
    re_path(
        r"^v2/requests/(?P<reference>[^/]+?)" + FORMAT,
        views.service_request,
        name="request",
    ),
    re_path(r"^v2/tokens/(?P<token>[^/]+?)" + FORMAT, views.token, name="token"),
    re_path(
        r"^v2/servicerequestupdates" + FORMAT,
        views.request_updates,
        name="updates",
    ),
    path("<path:path>", views.unknown, name="unknown"),
]
