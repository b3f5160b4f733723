"""Load the demo municipality: roles, users, teams, the catalog and a few cases.

Used by ``python manage.py load_demo`` (which ``make run`` calls). Loads only into
an empty catalog and refuses to run in production.
"""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from medborg.accounts.backends import DEMO_PASSWORD
from medborg.accounts.models import Team, User
from medborg.accounts.roles import Role
from medborg.accounts.services import sync_roles
from medborg.catalog.models import Category, Choice, Question, Service
from medborg.processes.models import Process, Step

CATALOG_FILE = Path(__file__).with_name("catalog.json")
STAFF_ROLES = {Role.SERVICEADMIN, Role.SYSADMIN}


def _translated(field: str, texts: dict) -> dict:
    return {f"{field}_{language}": texts[language] for language in ("sv", "da", "en")}


def _users(teams):
    groups = {group.name: group for group in sync_roles()}
    users = []
    for role in Role:
        user = User.objects.create_user(
            username=role.value,
            password=DEMO_PASSWORD,
            email=f"{role.value}@example.se",
            first_name=str(role.label),
            public_name=str(role.label) if role == Role.CASEWORKER else "",
            show_name_to_citizens=False,
            is_staff=role in STAFF_ROLES,
            is_demo=True,
        )
        user.groups.add(groups[role.value])
        if role in {Role.CASEWORKER, Role.TEAMLEAD}:
            for team in teams.values():
                team.members.add(user)
        users.append(user)
    return users


def _processes(data, teams):
    processes = {}
    for spec in data:
        process = Process.objects.create(
            key=spec["key"], version=1, **_translated("name", spec["name"])
        )
        for position, step in enumerate(spec["steps"]):
            Step.objects.create(
                process=process,
                key=step["key"],
                position=position,
                expected_days=step["expected_days"],
                is_final=step["is_final"],
                team=teams.get(step["team"]) if step["team"] else None,
                **_translated("name", step["name"]),
                **_translated("public_description", step["public_description"]),
            )
        processes[spec["key"]] = process
    return processes


def _question(service, position, spec):
    question = Question.objects.create(
        service=service,
        key=spec["key"],
        position=position,
        kind=spec["kind"],
        required=spec["required"],
        min_value=spec.get("min_value"),
        max_value=spec.get("max_value"),
        max_length=spec.get("max_length"),
        **_translated("label", spec["label"]),
        **_translated("help_text", spec["help_text"]),
    )
    for choice_position, choice in enumerate(spec.get("choices", [])):
        Choice.objects.create(
            question=question,
            value=choice["value"],
            position=choice_position,
            **_translated("label", choice["label"]),
        )


def _services(data, teams, processes):
    categories = {}
    for position, spec in enumerate(data["categories"]):
        categories[spec["slug"]] = Category.objects.create(
            slug=spec["slug"],
            position=position,
            **_translated("name", spec["name"]),
            **_translated("description", spec["description"]),
        )
    services = []
    for position, spec in enumerate(data["services"]):
        service = Service.objects.create(
            slug=spec["slug"],
            code=spec["code"],
            category=categories[spec["category"]],
            kind=spec["kind"],
            team=teams[spec["team"]],
            process=processes[spec["process"]],
            deadline_days=spec["deadline_days"],
            location=spec["location"],
            max_photos=spec["max_photos"],
            max_photo_mb=spec["max_photo_mb"],
            position=position,
            **{
                key: value
                for field in (
                    "name",
                    "short_description",
                    "help_text",
                    "keywords",
                    "legal_basis",
                )
                for key, value in _translated(field, spec[field]).items()
            },
        )
        for question_position, question in enumerate(spec["questions"]):
            _question(service, question_position, question)
        services.append(service)
    return services


@transaction.atomic
def load(catalog_file: Path = CATALOG_FILE) -> dict:
    """Create the demo municipality; return what was made. Caller checks emptiness."""
    if settings.PRODUCTION:
        raise RuntimeError("Demo data is never loaded when MEDBORG_ENV=production.")
    data = json.loads(catalog_file.read_text(encoding="utf-8"))
    teams = {
        spec["slug"]: Team.objects.create(
            slug=spec["slug"], name=spec["name"], email=spec["email"]
        )
        for spec in data["teams"]
    }
    users = _users(teams)
    processes = _processes(data["processes"], teams)
    services = _services(data, teams, processes)
    return {"teams": teams, "users": users, "services": services}


def _demo_answer(question):
    kind = question.kind
    if kind == Question.Kind.CHOICE:
        return question.choices.order_by("position").first().value
    if kind == Question.Kind.YES_NO:
        return False
    if kind == Question.Kind.NUMBER:
        return int(question.min_value or 1)
    if kind == Question.Kind.DATE:
        return "2026-12-01"
    return "Demo"


# (service position, metres east, metres north, steps to move forward)
SAMPLES = [(0, 0, 0, 0), (1, 400, -250, 1), (2, -300, 150, 1), (3, 800, 600, 2)]


def sample_cases(services, users) -> list[tuple[str, str]]:
    """Submit a few cases and move some along; return (reference, token) pairs."""
    from medborg.cases import services as case_services

    caseworker = next(user for user in users if user.username == Role.CASEWORKER)
    centre_lat, centre_lon = settings.MAP_CENTER
    made = []
    for index, east, north, moves in SAMPLES:
        service = services[index % len(services)]
        answers = {
            question.key: _demo_answer(question)
            for question in service.questions.all()
            if question.required
        }
        located = service.asks_location
        submission = case_services.submit_case(
            service=service,
            answers=answers,
            latitude=centre_lat + north / 111_320 if located else None,
            longitude=centre_lon + east / 61_000 if located else None,
            address="Storgatan 1, Växjö" if located else "",
            language="sv",
        )
        case = submission.case
        for step in list(case.process.steps.order_by("position"))[1 : 1 + moves]:
            case = case_services.move_case_to_step(
                case=case,
                step=step,
                public_message="",
                by=caseworker,
            )
        made.append((case.reference, submission.token))
    return made
