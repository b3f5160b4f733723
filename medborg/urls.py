from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("medborg.catalog.urls")),
    path("", include("medborg.cases.urls")),
    path("", include("medborg.web.urls")),
    path("staff/routes/", include("medborg.routing.urls")),
    path("staff/", include("medborg.cases.staff_urls")),
    path("open311/", include("medborg.open311.urls")),
    path("open-data/", include("medborg.opendata.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("medborg.api.urls")),
]
