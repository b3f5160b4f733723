"""Load the demo municipality: roles, users, teams, the catalog and sample cases.

Used by ``python manage.py load_demo`` (which ``make run`` calls). Loads only into
an empty catalog and refuses to run in production. Everything comes from
``catalog.json``; every demo process must pass ``processes.validation``, and the
sample cases are made through the case services, as staff would make them.
"""

import json
import math
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from medborg import municipality
from medborg.accounts.backends import DEMO_PASSWORD
from medborg.accounts.models import Team, User
from medborg.accounts.roles import Role
from medborg.accounts.services import sync_roles
from medborg.catalog.models import Category, Choice, Question, Service, Zone
from medborg.processes import validation
from medborg.processes.models import Process, Step

CATALOG_FILE = Path(__file__).with_name("catalog.json")
ZONES_FILE = Path(__file__).with_name("zones.geojson")
TABLES = Path(__file__).with_name("tables")
STAFF_ROLES = {Role.SERVICEADMIN, Role.SYSADMIN}
METRES_PER_DEGREE_LATITUDE = 111_320


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


def process_specs(data: list[dict]) -> list[dict]:
    """Return the process specs with every ``like`` spec given its own steps.

    A spec with ``like`` copies the steps of the named process for another
    team: every step gets ``team``, except those named in ``step_teams``. The
    fault reports of each team follow the same steps this way, held by the
    team that does the work.
    """
    by_key = {spec["key"]: spec for spec in data if "like" not in spec}
    expanded = []
    for spec in data:
        if "like" in spec:
            exceptions = spec.get("step_teams", {})
            steps = [
                {**step, "team": exceptions.get(step["key"], spec["team"])}
                for step in by_key[spec["like"]]["steps"]
            ]
            spec = {"key": spec["key"], "name": spec["name"], "steps": steps}
        expanded.append(spec)
    return expanded


def step_specs(process: Process) -> list[validation.StepSpec]:
    return [
        validation.StepSpec(
            key=step.key,
            position=step.position,
            has_team=step.team_id is not None,
            outcome=step.outcome,
            next_steps=tuple(step.next_steps),
        )
        for step in process.steps.all()
    ]


def _processes(data, teams):
    processes = {}
    for spec in process_specs(data):
        process = Process.objects.create(
            key=spec["key"], version=1, **_translated("name", spec["name"])
        )
        for position, step in enumerate(spec["steps"]):
            Step.objects.create(
                process=process,
                key=step["key"],
                position=position,
                expected_days=step["expected_days"],
                outcome=step["outcome"],
                next_steps=step["next_steps"],
                team=teams[step["team"]],
                **_translated("name", step["name"]),
                **_translated("public_description", step["public_description"]),
            )
        problems = validation.problems(step_specs(process))
        if problems:
            raise ValueError(f"Demo process {process.key!r}: {' '.join(problems)}")
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
            reopen_days=spec["reopen_days"],
            location=spec["location"],
            publicity=spec["publicity"],
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
    """Create the demo municipality; return what was made. Caller checks emptiness.

    Raises ValueError, and creates nothing, if a demo process is not valid.
    """
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
    _zones()
    services = _services(data, teams, processes)
    for spec, service in zip(data["services"], services, strict=True):
        if "automation" in spec:
            _automate(service, spec["automation"])
    return {"teams": teams, "users": users, "services": services}


def _zones():
    features = json.loads(ZONES_FILE.read_text(encoding="utf-8"))["features"]
    for position, feature in enumerate(features):
        zone = Zone(
            key=feature["properties"]["key"],
            geometry=feature["geometry"],
            position=position,
            **_translated("name", feature["properties"]["name"]),
        )
        zone.full_clean()
        zone.save()


def _automate(service, spec: dict) -> None:
    """Upload the service's demo decision table and switch its policy on."""
    from medborg.rules import services as rules

    table = rules.upload_table(
        service=service,
        key=spec["key"],
        xml=(TABLES / spec["table"]).read_bytes(),
        note="Demo table",
        by=None,
    )
    service.decision_table = table
    service.automation = spec["policy"]
    service.decision_step = spec["decision_step"]
    service.approve_step = spec["approve_step"]
    service.reject_step = spec["reject_step"]
    service.appeal_days = spec["appeal_days"]
    if "basis" in spec:
        for key, value in _translated("automation_basis", spec["basis"]).items():
            setattr(service, key, value)
    service.full_clean()
    service.save()


def sample_place(spec: dict | None) -> tuple[float | None, float | None, str]:
    """Return (latitude, longitude, address) of a place in metres from the map's centre.

    A point outside the municipality falls back to the centre.
    """
    if spec is None:
        return None, None, ""
    centre_lat, centre_lon = settings.MAP_CENTER
    latitude = centre_lat + spec["north"] / METRES_PER_DEGREE_LATITUDE
    longitude = centre_lon + spec["east"] / (
        METRES_PER_DEGREE_LATITUDE * math.cos(math.radians(centre_lat))
    )
    if not municipality.contains(latitude, longitude):
        # MEDBORG_MAP_CENTER names another municipality than the demo's.
        latitude, longitude = centre_lat, centre_lon
    return round(latitude, 6), round(longitude, 6), spec["address"]


def _answers(service, given: dict) -> dict:
    # Dates are given in days from today, so the sample never lies in the past.
    dates = set(
        service.questions.filter(kind=Question.Kind.DATE).values_list("key", flat=True)
    )
    today = timezone.localdate()
    return {
        key: (today + timedelta(days=value)).isoformat() if key in dates else value
        for key, value in given.items()
    }


def _act(case, action: dict, staff: dict, named: dict):
    from medborg.cases import services

    caseworker = staff[Role.CASEWORKER]
    message = action.get("message", "")
    match action:
        case {"move": key}:
            step = case.process.steps.get(key=key)
            return services.move_case_to_step(
                case=case, step=step, public_message=message, by=caseworker
            )
        case {"assign": username}:
            user = staff[username]
            return services.assign_case(case=case, assignee=user, by=user)
        case {"note": text}:
            services.add_note(case=case, text=text, by=caseworker)
            return case
        case {"ask": question}:
            return services.request_information(
                case=case, question=question, by=caseworker
            )
        case {"answer": text}:
            return services.answer_information(case=case, text=text)
        case {"extend": target, "days": days, "reason": reason}:
            # Extending a deadline is the team lead's call.
            return services.extend_deadline(
                case=case,
                target=target,
                days=days,
                reason=reason,
                by=staff[Role.TEAMLEAD],
            )
        case {"duplicate_of": name}:
            return services.mark_duplicate(
                case=case, original=named[name], public_message=message, by=caseworker
            )
        case {"refer_to": organisation}:
            return services.refer_case(
                case=case,
                organisation=organisation,
                public_message=message,
                by=caseworker,
            )
    raise ValueError(f"Unknown demo action {action!r}")


def sample_cases(
    services, users, catalog_file: Path = CATALOG_FILE
) -> list[tuple[str, str]]:
    """Submit the sample cases and play their stories; return (reference, token).

    Every change goes through the case services, so the history, due dates and
    e-mail tasks are what real use would give. Deterministic: the same file
    gives the same cases, steps and statuses in the same order.
    """
    from medborg.cases import services as case_services

    data = json.loads(catalog_file.read_text(encoding="utf-8"))
    by_slug = {service.slug: service for service in services}
    staff = {user.username: user for user in users}
    named = {}
    made = []
    for spec in data["sample_cases"]:
        service = by_slug[spec["service"]]
        latitude, longitude, address = sample_place(spec["place"])
        submission = case_services.submit_case(
            service=service,
            answers=_answers(service, spec["answers"]),
            latitude=latitude,
            longitude=longitude,
            address=address,
            contact_email=spec.get("contact_email", ""),
            language=spec["language"],
        )
        case = submission.case
        for action in spec["story"]:
            case = _act(case, action, staff, named)
        if "key" in spec:
            named[spec["key"]] = case
        made.append((case.reference, submission.token))
    return made
