import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from medborg.sensors.mqtt import Consumer


class Command(BaseCommand):
    help = (
        "Subscribe to MQTT_URL (QoS 1, persistent session) and store sensor "
        "readings, acknowledging each message after its batch is committed "
        "(see docs/sensors.md). Runs until SIGTERM or SIGINT."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--client-id",
            help="MQTT client id, the key of the broker's session for this process "
            "(default: MEDBORG_MQTT_CLIENT_ID). Each process needs its own.",
        )
        parser.add_argument(
            "--once-idle",
            type=float,
            metavar="SECONDS",
            help="Stop once no message has arrived for this long (for tests and "
            "draining a backlog).",
        )

    def handle(self, *args, client_id, once_idle, **options):
        if not settings.MQTT_URL:
            raise CommandError("MQTT_URL is not set.")
        if not settings.MQTT_TOPICS:
            raise CommandError("MEDBORG_MQTT_TOPICS names no topic.")
        try:
            consumer = Consumer(
                url=settings.MQTT_URL,
                topics=list(settings.MQTT_TOPICS),
                client_id=client_id or settings.MQTT_CLIENT_ID,
                share_group=settings.MQTT_SHARE_GROUP,
                batch_size=settings.INGEST_BATCH,
                flush_ms=settings.INGEST_FLUSH_MS,
            )
        except ValueError as error:
            raise CommandError(f"MQTT_URL: {error}") from None
        # Signals reach the main thread only; a test may run this in another.
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: consumer.stop())
        consumer.start()
        totals = consumer.run(idle_seconds=once_idle)
        self.stdout.write(
            f"{totals.messages} messages: {totals.stored} stored, "
            f"{totals.duplicates} duplicates, {totals.refused} refused."
        )
