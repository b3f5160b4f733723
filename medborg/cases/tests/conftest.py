import io

import pytest
from PIL import Image

from medborg.accounts.tests.factories import TeamFactory, UserFactory
from medborg.catalog.models import Question
from medborg.catalog.tests.factories import (
    ChoiceFactory,
    QuestionFactory,
    ServiceFactory,
)

INSIDE = {"latitude": "56.8777", "longitude": "14.8091"}  # Växjö centre
OUTSIDE = {"latitude": "59.3293", "longitude": "18.0686"}  # Stockholm


@pytest.fixture
def team(db):
    return TeamFactory(slug="streets", name="Streets and parks")


@pytest.fixture
def service(team):
    service = ServiceFactory(slug="pothole", code="pothole", name="Pothole", team=team)
    size = QuestionFactory(
        service=service, key="size", kind=Question.Kind.CHOICE, label="How big?"
    )
    ChoiceFactory(question=size, value="small", label="Small")
    ChoiceFactory(question=size, value="large", label="Large")
    QuestionFactory(
        service=service,
        key="depth",
        kind=Question.Kind.NUMBER,
        label="Depth in cm",
        required=False,
        min_value=0,
        max_value=100,
    )
    QuestionFactory(
        service=service, key="danger", kind=Question.Kind.YES_NO, label="Dangerous?"
    )
    return service


@pytest.fixture
def caseworker(team):
    return UserFactory(username="cw", role="caseworker", teams=[team])


def jpeg_bytes(size=(64, 48), exif_gps=False, colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x010F] = "PhoneMaker"  # Make
        gps = {1: "N", 2: (57.0, 52.0, 40.0), 3: "E", 4: (14.0, 48.0, 33.0)}
        exif[0x8825] = gps
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def valid_form(service_key: str, **overrides) -> dict:
    data = {
        "submission_key": service_key,
        "q_size": "small",
        "q_depth": "12",
        "q_danger": "yes",
        "address": "Storgatan 1",
        "contact_email": "",
        **INSIDE,
    }
    data.update(overrides)
    return data


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run the tasks that are due, and those they enqueue, as a worker would.

    The real worker (``db_worker``) closes the database connection, which the
    test's transaction needs; this runs the same stored tasks in process.
    """
    from django_tasks_db.models import DBTaskResult

    def run(limit=50):
        done = 0
        while done < limit:
            row = (
                DBTaskResult.objects.ready()
                .order_by("run_after", "enqueued_at")
                .first()
            )
            if row is None:
                return done
            row.claim("test")
            with django_capture_on_commit_callbacks(execute=True):
                value = row.task.call(
                    *row.args_kwargs["args"], **row.args_kwargs["kwargs"]
                )
            row.set_successful(value)
            done += 1
        raise AssertionError(f"More than {limit} tasks: a task enqueues itself?")

    return run
