from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from medborg.api import services
from medborg.api.models import Scope


class Command(BaseCommand):
    help = (
        "Issue an API key for a client application and print it once. "
        "It is stored only as a hash; revoke it in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client application, e.g. 'FixaStan app'.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=Scope.values,
            help="Repeat for several. Default: cases:create and cases:read.",
        )
        parser.add_argument(
            "--user", help="Username of the staff user a cases:work key acts as."
        )
        parser.add_argument(
            "--rate", default="", help="E.g. 600/m. Default: the site's."
        )
        parser.add_argument("--contact", default="", help="The maintainer's e-mail.")

    def handle(self, *args, name, scopes, user, rate, contact, **options):
        staff = None
        if user:
            staff = get_user_model().objects.filter(username=user).first()
            if staff is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            key, raw = services.issue_key(
                name=name,
                scopes=scopes or [Scope.CASES_CREATE, Scope.CASES_READ],
                user=staff,
                rate=rate,
                contact_email=contact,
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}"
                for field, messages in error.message_dict.items()
            )
            raise CommandError(problems) from error
        self.stderr.write(
            f"Issued key {key.prefix}… for {key.name} with {', '.join(key.scopes)}. "
            "It is shown once, below:"
        )
        self.stdout.write(raw)
