from django.urls import path

from medborg.opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("indicators.csv", views.indicators_csv, name="csv"),
    path("indicators.json", views.indicators_json, name="json"),
    path("definitions.csv", views.definitions_csv, name="definitions"),
    path("kolada.csv", views.kolada_csv, name="kolada"),
    path("datapackage.json", views.datapackage_json, name="datapackage"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog"),
]
