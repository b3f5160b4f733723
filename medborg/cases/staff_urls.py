from django.contrib.auth import views as auth_views
from django.urls import path

from medborg.accounts import views as account_views
from medborg.cases import publication_views, staff_views
from medborg.rules import staff_views as decision_views

app_name = "staff"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("start/", account_views.start, name="start"),
    path("", staff_views.inbox, name="inbox"),
    path("cases/<str:reference>/", staff_views.case_detail, name="case"),
    path("cases/<str:reference>/assign/", staff_views.assign, name="assign"),
    path("cases/<str:reference>/move/", staff_views.move, name="move"),
    path("cases/<str:reference>/note/", staff_views.note, name="note"),
    path(
        "cases/<str:reference>/ask/",
        staff_views.request_information,
        name="request_information",
    ),
    path("cases/<str:reference>/extend/", staff_views.extend, name="extend"),
    path("cases/<str:reference>/duplicate/", staff_views.duplicate, name="duplicate"),
    path("cases/<str:reference>/refer/", staff_views.refer, name="refer"),
    path("cases/<str:reference>/reopen/", staff_views.reopen, name="reopen"),
    path("cases/<str:reference>/publish/", publication_views.publish, name="publish"),
    path("cases/<str:reference>/decide/", decision_views.decide, name="decide"),
    path(
        "cases/<str:reference>/decisions/",
        decision_views.decisions,
        name="decisions",
    ),
    path(
        "cases/<str:reference>/photos/<int:photo_id>/",
        staff_views.photo,
        name="photo",
    ),
    path(
        "cases/<str:reference>/photos/<int:photo_id>/thumbnail/",
        staff_views.photo,
        {"size": "thumbnail"},
        name="thumbnail",
    ),
]
