from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from medborg.sensors import imports
from medborg.sensors.services.assets import IMPORTERS, ImportReport


class Command(BaseCommand):
    help = (
        "Create or update bins, sensors or vehicles from a CSV or GeoJSON file "
        "(see docs/assets.md) and print what was created, updated and refused. "
        "Exits with status 1 when any row was refused; the other rows are imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=imports.KINDS)
        parser.add_argument("file", type=Path, help="A .csv or .geojson file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report; write nothing.",
        )
        parser.add_argument(
            "--user", help="Username recorded in the admin history as the importer."
        )

    def handle(self, *args, kind, file, dry_run, user, **options):
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            parsed = imports.parse(kind, data, name=file.name)
        except imports.FileRefused as error:
            raise CommandError(f"{file}: {error}") from None
        report = IMPORTERS[kind](
            records=parsed.records, by=by, dry_run=dry_run, refused=parsed.refused
        )
        self.print_report(report)
        if report.refused:
            raise CommandError(
                f"{len(report.refused)} row(s) refused; fix them and import again.",
                returncode=1,
            )

    def print_report(self, report: ImportReport):
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        for label, keys in [
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        ]:
            self.stdout.write(f"{label}: {len(keys)}" + _listed(keys))
        self.stdout.write(f"refused: {len(report.refused)}")
        for refusal in report.refused:
            self.stdout.write(f"  {refusal}")


def _listed(keys: list[str], limit: int = 20) -> str:
    if not keys:
        return ""
    shown = ", ".join(keys[:limit])
    return f" ({shown}{', …' if len(keys) > limit else ''})"
