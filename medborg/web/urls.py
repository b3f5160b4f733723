from django.urls import path

from medborg.web import views

app_name = "web"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("language/", views.language, name="language"),
]
