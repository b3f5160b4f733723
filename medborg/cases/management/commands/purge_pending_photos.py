from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from medborg.cases.services import purge_pending_photos


class Command(BaseCommand):
    help = "Delete photos uploaded to forms that were never sent (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="Keep photos of unsent forms this many hours (default 24).",
        )

    def handle(self, *args, hours, **options):
        count = purge_pending_photos(older_than=timezone.now() - timedelta(hours=hours))
        self.stdout.write(f"Deleted {count} photos of unsent forms.")
