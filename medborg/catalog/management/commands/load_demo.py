from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from medborg.accounts.backends import DEMO_PASSWORD
from medborg.accounts.models import User
from medborg.catalog import demo
from medborg.catalog.models import Service
from medborg.opendata import services as opendata
from medborg.opendata import synthetic
from medborg.routing import demo as routing_demo
from medborg.sensors import demo as sensors_demo

# Past cases for the open-data cockpit: a year of synthetic history.
HISTORY_CASES = 1500
HISTORY_DAYS = 365


class Command(BaseCommand):
    help = "Load the demo municipality (users, catalog, cases) into an empty database."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded when MEDBORG_ENV=production.")
        if Service.objects.exists():
            self.stdout.write("The catalog is not empty; demo data left as it is.")
        else:
            made = demo.load()
            cases = demo.sample_cases(made["services"], made["users"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {len(made['services'])} services, {len(made['teams'])} "
                    f"teams and {len(cases)} sample cases."
                )
            )
            self._bins(made)
            if HISTORY_CASES:
                self._history()
            reference, token = cases[0]
            self.stdout.write(
                f"A sample case to follow: {reference} at /track/{token}/"
            )
        demo_users = User.objects.filter(is_demo=True).order_by("pk")
        if demo_users:
            self.stdout.write(
                "Staff sign in at /staff/ (admin at /admin/) with the password "
                f"{DEMO_PASSWORD!r} as: "
                + ", ".join(user.username for user in demo_users)
            )

    def _history(self):
        """A year of past cases, marked HIS-, then the open-data figures."""
        today = timezone.localdate()
        written = synthetic.generate(
            cases=HISTORY_CASES,
            start=today - timedelta(days=HISTORY_DAYS),
            end=today - timedelta(days=1),
            seed=1,
        )
        figures = opendata.recompute_all()
        self.stdout.write(
            f"Loaded {written['cases']} past cases with {written['events']} events "
            f"for the open-data cockpit ({figures} figures)."
        )

    def _bins(self, made):
        """Depots and vehicles, bins with sensors and readings, today's routes."""
        fleet = routing_demo.load_fleet()
        bins = sensors_demo.load(
            services=made["services"], users=made["users"], fleet=fleet
        )
        self.stdout.write(
            f"Loaded {bins['bins']} bins with {bins['readings']} readings; "
            f"{bins['cases']} bin cases opened."
        )
        routing_demo.plan_demo_day()
