"""Consume sensor readings from an MQTT broker, acknowledging after commit.

The paho network thread only puts messages on a queue; the thread calling
``Consumer.run`` takes them in batches (``INGEST_BATCH`` messages or
``INGEST_FLUSH_MS`` after the first), stores each batch in one transaction
with ``record_readings`` and acknowledges its messages only after that
commit. So a message is acknowledged once its reading is stored, counted as
a duplicate or quarantined, and never before: if the process, the database
or the broker fails in between, the broker delivers the message again and
the reading's (device, measured_at) makes the second delivery a duplicate.

The session is persistent (MQTT 5, clean start off, a session expiry), so
the broker keeps queueing QoS 1 messages while the consumer is away.
"""

import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from medborg.sensors.payloads import mqtt_reading, unstorable
from medborg.sensors.services.readings import record_readings

logger = logging.getLogger(__name__)

# How long the broker keeps the session and queues messages for an absent
# consumer: long enough for a holiday outage, short enough that a retired
# client id stops collecting messages.
SESSION_EXPIRY = timedelta(days=30)
# Failures of the connection or the server, not of a message: waited out.
TRANSIENT = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int
    # Which connection delivered it: a packet id means nothing on another.
    session: int


@dataclass
class Totals:
    """What a consumer has done since it started."""

    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    batches: int = 0
    failures: int = 0
    acked: int = 0


def broker_address(url: str) -> dict:
    """Host, port, TLS and credentials of an ``mqtt://`` or ``mqtts://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
        raise ValueError(f"not an mqtt:// or mqtts:// URL: {url!r}")
    tls = parts.scheme == "mqtts"
    return {
        "host": parts.hostname,
        "port": parts.port or (8883 if tls else 1883),
        "tls": tls,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }


def subscriptions(topics: list[str], share_group: str) -> list[str]:
    """The topic filters, as a shared subscription when a group is named."""
    prefix = f"$share/{share_group}/" if share_group else ""
    return [prefix + topic for topic in topics]


def drop_broken_connection() -> None:
    """Close the database connection if a failure broke it; the next query
    opens a new one. A transaction around the caller owns the connection."""
    if not connection.in_atomic_block:
        close_old_connections()


class Consumer:
    """One ingest process: ``start()`` connects, ``run()`` ingests until stopped."""

    def __init__(
        self,
        *,
        url: str,
        topics: list[str],
        client_id: str,
        share_group: str = "",
        batch_size: int = 200,
        flush_ms: int = 50,
        retry_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        reconnect_delay: float = 1,
        max_reconnect_delay: float = 60,
    ):
        self.address = broker_address(url)
        self.topics = subscriptions(topics, share_group)
        self.client_id = client_id
        self.batch_size = max(1, batch_size)
        self.flush = max(1, flush_ms) / 1000
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.messages: queue.Queue[Message] = queue.Queue()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()
        self.session = 0
        self.session_lock = threading.Lock()
        self.totals = Totals()
        self.last_message_at = time.monotonic()
        self.client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(reconnect_delay, max_reconnect_delay)
        if self.address["username"]:
            self.client.username_pw_set(
                self.address["username"], self.address["password"]
            )
        if self.address["tls"]:
            self.client.tls_set()
        self.client.on_connect = self.on_connect
        self.client.on_disconnect = self.on_disconnect
        self.client.on_subscribe = self.on_subscribe
        self.client.on_message = self.on_message

    # The paho network thread ---------------------------------------------------

    def on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.error("mqtt connect refused: %s", reason_code)
            return
        with self.session_lock:
            self.session += 1
        logger.info(
            "mqtt connected to %s:%s as %s (session present: %s)",
            self.address["host"],
            self.address["port"],
            self.client_id,
            flags.session_present,
        )
        # Subscribing again is harmless when the broker kept the session, and
        # needed when it did not (first start, expired, broker lost its store).
        options = SubscribeOptions(qos=1)
        client.subscribe([(topic, options) for topic in self.topics])

    def on_subscribe(self, client, userdata, mid, reason_codes, properties):
        granted = [str(code) for code in reason_codes]
        logger.info("mqtt subscribed to %s: %s", self.topics, granted)
        for topic, code in zip(self.topics, reason_codes, strict=False):
            if code.is_failure:
                logger.error("mqtt subscription to %s refused: %s", topic, code)
        self.subscribed.set()

    def on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self.session_lock:
            self.session += 1
        if not self.stopping.is_set():
            logger.warning("mqtt disconnected (%s); reconnecting", reason_code)

    def on_message(self, client, userdata, message):
        self.last_message_at = time.monotonic()
        self.messages.put(
            Message(
                topic=message.topic,
                payload=message.payload,
                mid=message.mid,
                qos=message.qos,
                session=self.session,
            )
        )

    # The ingest thread ---------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho reconnects with backoff from then on."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = int(SESSION_EXPIRY.total_seconds())
        # Enough unacknowledged messages in flight to fill a few batches.
        properties.ReceiveMaximum = min(65535, max(100, 4 * self.batch_size))
        self.client.connect_async(
            self.address["host"],
            self.address["port"],
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Finish the batch in hand, acknowledge it, and return from ``run``."""
        self.stopping.set()

    def run(self, *, idle_seconds: float | None = None) -> Totals:
        """Ingest batches until ``stop()``, or until idle for ``idle_seconds``.

        Messages still queued when it stops are not acknowledged: the broker
        delivers them again to the next consumer of the session.
        """
        try:
            while not self.stopping.is_set():
                batch = self.collect()
                if batch:
                    self.ingest(batch)
                elif idle_seconds is not None and self.idle_for() >= idle_seconds:
                    logger.info("mqtt ingest idle for %ss; stopping", idle_seconds)
                    break
        finally:
            self.stopping.set()
            self.client.disconnect()
            self.client.loop_stop()
            connection.close()
        return self.totals

    def idle_for(self) -> float:
        return time.monotonic() - self.last_message_at

    def collect(self) -> list[Message]:
        """The next batch: up to ``batch_size`` messages, or what came in the
        flush interval after the first."""
        try:
            batch = [self.messages.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.flush
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                message = self.messages.get(timeout=max(remaining, 0))
            except queue.Empty:
                break
            batch.append(message)
        return batch

    def ingest(self, batch: list[Message]) -> bool:
        """Commit the batch, retrying with backoff; then acknowledge it.

        A connection or server failure (``OperationalError``) is waited out.
        Any other database error lies in a message: the batch is taken apart
        and the message the database refuses is quarantined as text, so one
        bad message cannot stop the ingest. False if stopped before the batch
        was committed (nothing acknowledged).
        """
        delay = self.retry_delay
        while True:
            try:
                self.commit(batch)
            except TRANSIENT as error:
                self.totals.failures += 1
                logger.error(
                    "mqtt batch of %d not committed (%s: %s); again in %.1f s",
                    len(batch),
                    type(error).__name__,
                    error,
                    delay,
                )
                # A connection the failure broke is dropped so the retry opens
                # a new one.
                drop_broken_connection()
                if self.stopping.wait(delay):
                    return False
                delay = min(delay * 2, self.max_retry_delay)
                continue
            except DatabaseError as error:
                logger.exception("mqtt batch of %d refused by the database", len(batch))
                drop_broken_connection()
                if len(batch) > 1:
                    # Every message, not up to the first that fails.
                    done = [self.ingest([message]) for message in batch]
                    return all(done)
                return self.set_aside(batch[0], error)
            self.acknowledge(batch)
            return True

    def set_aside(self, message: Message, error: DatabaseError) -> bool:
        """Quarantine a message the database refused, as text, and acknowledge it."""
        source, reading = unstorable(message.topic, message.payload, str(error))
        delay = self.retry_delay
        while not self.stopping.is_set():
            try:
                record_readings(readings=[reading], source=source)
            except TRANSIENT:
                drop_broken_connection()
                self.stopping.wait(delay)
                delay = min(delay * 2, self.max_retry_delay)
                continue
            except DatabaseError:
                # Left unacknowledged: the broker offers it again after a
                # reconnect, and the log says why it stays.
                logger.exception("mqtt message on %s cannot be stored", message.topic)
                drop_broken_connection()
                return False
            self.totals.refused += 1
            self.acknowledge([message])
            return True
        return False

    def commit(self, batch: list[Message]) -> None:
        """Store the batch in one transaction, one ``record_readings`` per source."""
        started = time.monotonic()
        received_at = timezone.now()
        by_source = defaultdict(list)
        for message in batch:
            source, reading = mqtt_reading(message.topic, message.payload)
            by_source[source].append(reading)
        with transaction.atomic():
            results = [
                record_readings(
                    readings=readings, source=source, received_at=received_at
                )
                for source, readings in by_source.items()
            ]
        stored = sum(len(r.stored) for r in results)
        duplicates = sum(len(r.duplicates) for r in results)
        refused = sum(len(r.refused) for r in results)
        self.totals.messages += len(batch)
        self.totals.stored += stored
        self.totals.duplicates += duplicates
        self.totals.refused += refused
        self.totals.batches += 1
        logger.info(
            "mqtt batch committed: %d messages, %d stored, %d duplicates, "
            "%d refused in %.1f ms",
            len(batch),
            stored,
            duplicates,
            refused,
            (time.monotonic() - started) * 1000,
        )

    def acknowledge(self, batch: list[Message]) -> None:
        # After a reconnect the broker sends unacknowledged messages again,
        # possibly under other packet ids: a stale id could acknowledge another
        # message, so the new delivery is acknowledged as a duplicate instead.
        with self.session_lock:
            for message in batch:
                if message.qos > 0 and message.session == self.session:
                    self.client.ack(message.mid, message.qos)
                    self.totals.acked += 1
