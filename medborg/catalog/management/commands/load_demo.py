from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from medborg.accounts.backends import DEMO_PASSWORD
from medborg.accounts.models import User
from medborg.catalog import demo
from medborg.catalog.models import Service


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
