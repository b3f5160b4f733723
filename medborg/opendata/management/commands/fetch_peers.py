from django.core.management.base import BaseCommand, CommandError

from medborg.opendata import peers
from medborg.opendata.models import Peer


class Command(BaseCommand):
    help = (
        "Fetch the figures of the municipalities to compare with from their "
        "addresses and print, per municipality, how many were stored or why the "
        "fetch failed. Exits with status 1 when any fetch failed; the figures "
        "already stored are then kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--peer",
            metavar="CODE",
            help="Fetch only the municipality with this code, even if not shown.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            help="Seconds to wait for each answer (default 10).",
        )

    def handle(self, *args, peer=None, timeout=10.0, **options):
        chosen = self.chosen(peer) if peer else list(peers.fetchable_peers())
        if not chosen:
            self.stdout.write("No active municipality with an address to fetch.")
            return
        failed = 0
        for one in chosen:
            stored = peers.fetch(peer=one, timeout=timeout)
            if stored:
                self.stdout.write(f"{one}: {stored} figures from {one.url}")
            else:
                failed += 1
                self.stderr.write(f"{one}: {one.fetch_error}")
        if failed:
            raise CommandError(
                f"{failed} of {len(chosen)} fetches failed; "
                "the figures stored before are kept.",
                returncode=1,
            )

    def chosen(self, code: str) -> list[Peer]:
        peer = Peer.objects.filter(municipality_code=code).first()
        if peer is None:
            raise CommandError(f"No municipality to compare with has code {code!r}.")
        if not peer.url:
            raise CommandError(
                f"{peer} has no address to fetch; upload its file in the admin."
            )
        return [peer]
