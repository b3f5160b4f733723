import sys

from django.core.management.base import BaseCommand

from medborg.rules.replay import replay_all


class Command(BaseCommand):
    help = (
        "Evaluate every stored decision again on its stored table version and "
        "inputs, and report any that would come out differently. Exits with "
        "status 1 when one differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", help="Only decisions of this service code.")
        parser.add_argument(
            "--show", type=int, default=20, help="How many differences to print."
        )

    def handle(self, *args, service, show, **options):
        report = replay_all(service_code=service)
        for difference in report.differences[:show]:
            self.stdout.write(
                f"{difference.reference} decision {difference.decision_id}: stored "
                f"{difference.stored} replayed {difference.replayed}"
            )
        self.stdout.write(
            f"Replayed {report.replayed} decisions ({report.skipped} made by case "
            f"workers, not replayable): {len(report.differences)} differ."
        )
        if report.differences:
            sys.exit(1)
