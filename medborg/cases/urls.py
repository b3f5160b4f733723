from django.urls import path

from medborg.cases import citizen_views, views

app_name = "cases"
urlpatterns = [
    path("services/<slug:slug>/", views.new_case, name="new"),
    path("photos/<int:photo_id>.jpg", views.public_photo, name="public_photo"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/receipt/", views.receipt, name="receipt"),
    path("track/<str:token>/status.json", views.status_json, name="status"),
    path("track/<str:token>/reply/", citizen_views.reply, name="reply"),
    path("track/<str:token>/feedback/", citizen_views.feedback, name="feedback"),
    path("track/<str:token>/appeal/", citizen_views.appeal, name="appeal"),
    path("track/<str:token>/export.json", citizen_views.export_json, name="export"),
    path("track/<str:token>/export/", citizen_views.export_page, name="export_page"),
    path("track/<str:token>/photos/<int:photo_id>/", views.photo, name="photo"),
    path(
        "track/<str:token>/photos/<int:photo_id>/thumbnail/",
        views.photo,
        {"size": "thumbnail"},
        name="thumbnail",
    ),
]
