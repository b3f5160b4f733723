from django.urls import path

from medborg.cases import views

app_name = "cases"
urlpatterns = [
    path("services/<slug:slug>/", views.new_case, name="new"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/receipt/", views.receipt, name="receipt"),
    path("track/<str:token>/status.json", views.status_json, name="status"),
    path("track/<str:token>/photos/<int:photo_id>/", views.photo, name="photo"),
    path(
        "track/<str:token>/photos/<int:photo_id>/thumbnail/",
        views.photo,
        {"size": "thumbnail"},
        name="thumbnail",
    ),
]
