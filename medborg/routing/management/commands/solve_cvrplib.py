import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medborg.routing import cvrplib


class Command(BaseCommand):
    help = (
        "Solve a CVRPLIB instance (.vrp) with the route planner and print JSON: "
        "instance, cost (CVRPLIB's rounded Euclidean distances), routes (customer "
        "numbers as in CVRPLIB's .sol files: depot 0, customers 1..n), seconds, "
        "vehicles."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .vrp file.")
        parser.add_argument(
            "--seconds", type=float, default=10.0, help="Solving time (default 10)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed.")

    def handle(self, *args, file: Path, seconds: float, seed: int, **options):
        if seconds <= 0:
            raise CommandError("--seconds must be more than 0")
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            result = cvrplib.solve(file, seconds=seconds, seed=seed)
        except (ValueError, KeyError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        self.stdout.write(json.dumps(result))
