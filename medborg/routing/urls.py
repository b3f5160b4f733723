from django.urls import path

from medborg.routing import views

app_name = "routing"
urlpatterns = [
    path("", views.index, name="index"),
    path("plan/", views.plan_day, name="plan_day"),
    path("mine/", views.mine, name="mine"),
    path("<int:route_id>/", views.route_detail, name="route"),
    path("<int:route_id>.gpx", views.gpx, name="gpx"),
    path("<int:route_id>.geojson", views.geojson, name="geojson"),
    path(
        "<int:route_id>/stops/<int:stop_id>/",
        views.mark,
        name="mark",
    ),
]
