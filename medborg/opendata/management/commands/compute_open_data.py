import time

from django.core.management.base import BaseCommand

from medborg.opendata import services


class Command(BaseCommand):
    help = (
        "Bring the open-data snapshots up to date from the case events "
        "(--full: recompute every period)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Recompute every period."
        )

    def handle(self, *args, full=False, **options):
        began = time.monotonic()
        rows = services.recompute_all() if full else services.update_snapshots()
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {rows} figures in {time.monotonic() - began:.1f} s."
            )
        )
