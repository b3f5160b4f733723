import json
import threading
import time
from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.db import DataError, OperationalError

import paho.mqtt.client as paho
import pytest

from medborg.sensors import mqtt
from medborg.sensors.models import QuarantinedReading, Reading, Source
from medborg.sensors.mqtt import Consumer, Message, broker_address, subscriptions
from medborg.sensors.tests.conftest import FIXTURES
from medborg.sensors.tests.factories import DeviceFactory

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
TOPICS = ["medborg/sensors/+/readings", "application/+/device/+/event/up"]


def payload(n: int, device: str = "d1") -> bytes:
    measured = START + timedelta(minutes=n)
    body = {"device": device, "measured_at": measured.isoformat(), "fill_percent": 50}
    return json.dumps(body).encode()


def message(n: int, *, session=1, topic="medborg/sensors/d1/readings", body=None):
    body = payload(n) if body is None else body
    return Message(topic=topic, payload=body, mid=n + 1, qos=1, session=session)


class FakeClient:
    """Records acknowledgements, and whether each came after its commit."""

    def __init__(self):
        self.acked = []

    def ack(self, mid, qos):
        self.acked.append((mid, Reading.objects.count()))


@pytest.fixture
def consumer():
    consumer = Consumer(
        url="mqtt://127.0.0.1:1",
        topics=TOPICS,
        client_id="test",
        batch_size=3,
        flush_ms=10,
        retry_delay=0.01,
    )
    consumer.client = FakeClient()
    consumer.session = 1
    return consumer


def test_broker_address_reads_credentials_and_tls():
    assert broker_address("mqtts://ingest:s%40cret@broker.example.se") == {
        "host": "broker.example.se",
        "port": 8883,
        "tls": True,
        "username": "ingest",
        "password": "s@cret",
    }
    assert broker_address("mqtt://127.0.0.1")["port"] == 1883


def test_broker_address_refuses_other_schemes():
    with pytest.raises(ValueError, match="not an mqtt"):
        broker_address("http://broker")


def test_a_share_group_makes_shared_subscriptions():
    assert subscriptions(TOPICS, "ingest") == [
        "$share/ingest/medborg/sensors/+/readings",
        "$share/ingest/application/+/device/+/event/up",
    ]
    assert subscriptions(TOPICS, "") == TOPICS


def test_collect_takes_up_to_a_batch(consumer):
    for n in range(5):
        consumer.messages.put(message(n))

    assert [m.mid for m in consumer.collect()] == [1, 2, 3]
    assert [m.mid for m in consumer.collect()] == [4, 5]
    assert consumer.collect() == []


@pytest.mark.django_db
def test_a_batch_is_acknowledged_after_it_is_stored(consumer, evaluated):
    DeviceFactory(identifier="d1")

    assert consumer.ingest([message(0), message(1), message(0)]) is True

    assert Reading.objects.count() == 2
    # Each acknowledgement saw both readings already stored.
    assert consumer.client.acked == [(1, 2), (2, 2), (1, 2)]
    assert (consumer.totals.stored, consumer.totals.duplicates) == (2, 1)


@pytest.mark.django_db
def test_chirpstack_and_medborg_messages_share_a_batch(consumer, evaluated):
    DeviceFactory(identifier="a84041000181c2d1", calibrated=True)
    DeviceFactory(identifier="d1")
    uplink = message(
        9,
        topic="application/app-1/device/a84041000181c2d1/event/up",
        body=(FIXTURES / "chirpstack_up.json").read_bytes(),
    )

    consumer.ingest([message(0), uplink])

    assert sorted(Reading.objects.values_list("source", "fill_percent")) == [
        (Source.CHIRPSTACK, 64.0),
        (Source.MQTT, 50.0),
    ]


@pytest.mark.django_db
def test_an_undecodable_message_is_quarantined_then_acknowledged(consumer, evaluated):
    consumer.ingest([message(0, body=b"\x00\x01 not json")])

    quarantined = QuarantinedReading.objects.get()
    assert (quarantined.reason, quarantined.source) == ("malformed", Source.MQTT)
    assert quarantined.device_identifier == "d1"
    assert consumer.client.acked == [(1, 0)]
    assert consumer.totals.refused == 1


@pytest.mark.django_db
def test_a_database_error_is_retried_and_nothing_acked_before(
    consumer, evaluated, monkeypatch
):
    DeviceFactory(identifier="d1")
    calls = []
    record = mqtt.record_readings

    def failing(**kwargs):
        calls.append(consumer.client.acked[:])
        if len(calls) <= 2:
            raise OperationalError("database unavailable")
        return record(**kwargs)

    monkeypatch.setattr(mqtt, "record_readings", failing)

    consumer.ingest([message(0), message(1)])

    assert calls == [[], [], []]
    assert consumer.client.acked == [(1, 2), (2, 2)]
    assert consumer.totals.failures == 2


@pytest.mark.django_db
def test_stopping_during_retries_acknowledges_nothing(consumer, evaluated, monkeypatch):
    def failing(**kwargs):
        consumer.stop()
        raise OperationalError("database unavailable")

    monkeypatch.setattr(mqtt, "record_readings", failing)

    assert consumer.ingest([message(0)]) is False
    assert consumer.client.acked == []


@pytest.mark.django_db
def test_a_message_from_an_earlier_connection_is_not_acknowledged(consumer, evaluated):
    DeviceFactory(identifier="d1")

    consumer.ingest([message(0, session=0), message(1, session=1)])

    assert Reading.objects.count() == 2
    assert consumer.client.acked == [(2, 2)]


# With a broker of the test's own ---------------------------------------------


class Publisher:
    """A sensor gateway: persistent session, QoS 1, resends after a restart."""

    def __init__(self, broker):
        self.client = paho.Client(
            callback_api_version=paho.CallbackAPIVersion.VERSION2,
            client_id="test-publisher",
            clean_session=False,
        )
        self.client.reconnect_delay_set(0.05, 0.2)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        self.sent = []

    def publish(self, numbers):
        for n in numbers:
            self.sent.append(
                self.client.publish("medborg/sensors/d1/readings", payload(n), qos=1)
            )

    def wait(self, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(info.is_published() for info in self.sent):
                return
            time.sleep(0.02)
        raise AssertionError("the broker did not take every message")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def running(broker, **options) -> tuple[Consumer, threading.Thread]:
    consumer = Consumer(
        url=broker.url,
        topics=TOPICS,
        client_id="test-ingest",
        batch_size=options.pop("batch_size", 20),
        flush_ms=10,
        retry_delay=0.05,
        reconnect_delay=0.05,
        max_reconnect_delay=0.2,
        **options,
    )
    consumer.start()
    assert consumer.subscribed.wait(5)
    thread = threading.Thread(target=consumer.run)
    thread.start()
    return consumer, thread


def wait_for(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_mqtt_ingest_drains_what_the_broker_kept_for_it(broker, settings, evaluated):
    DeviceFactory(identifier="d1")
    settings.MQTT_URL = broker.url
    settings.MQTT_TOPICS = TOPICS
    # A first run makes the broker keep a session for the client id.
    first = Consumer(url=broker.url, topics=TOPICS, client_id="test-ingest")
    first.start()
    assert first.subscribed.wait(5)
    first.run(idle_seconds=0)
    publisher = Publisher(broker)
    publisher.publish(range(5))
    publisher.wait()
    publisher.close()

    call_command("mqtt_ingest", client_id="test-ingest", once_idle=0.5)

    assert Reading.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_broker_restart_loses_and_duplicates_no_reading(broker, evaluated, monkeypatch):
    DeviceFactory(identifier="d1")
    total = 600
    record = mqtt.record_readings

    def slow(**kwargs):
        # Slower than the publisher, so the broker holds a queue when it stops.
        time.sleep(0.01)
        return record(**kwargs)

    monkeypatch.setattr(mqtt, "record_readings", slow)
    consumer, thread = running(broker, batch_size=10)
    publisher = Publisher(broker)
    try:
        publisher.publish(range(total // 2))
        publisher.wait()
        wait_for(lambda: Reading.objects.count() >= total // 8)
        # More than the consumer's in-flight window (100) still in the broker.
        assert Reading.objects.count() + 100 < total // 2
        broker.restart()
        assert (broker.directory / "mosquitto.db").exists()
        wait_for(publisher.client.is_connected)
        publisher.publish(range(total // 2, total))
        publisher.wait()
        wait_for(lambda: Reading.objects.count() >= total)
        time.sleep(0.3)
    finally:
        consumer.stop()
        thread.join(10)
        publisher.close()

    assert consumer.session >= 3  # connected, lost, connected again
    assert Reading.objects.count() == total
    assert Reading.objects.values("measured_at").distinct().count() == total
    assert not QuarantinedReading.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_database_outage_loses_and_duplicates_no_reading(
    broker, evaluated, monkeypatch
):
    DeviceFactory(identifier="d1")
    total = 200
    record = mqtt.record_readings
    failures = []
    early_acks = []

    def unavailable(**kwargs):
        if len(failures) < 4:
            failures.append(time.monotonic())
            raise OperationalError("could not connect to server")
        return record(**kwargs)

    monkeypatch.setattr(mqtt, "record_readings", unavailable)
    consumer, thread = running(broker)
    acknowledge = consumer.acknowledge

    def checked(batch):
        for sent in batch:
            body = json.loads(sent.payload)
            if not Reading.objects.filter(measured_at=body["measured_at"]).exists():
                early_acks.append(sent.mid)
        acknowledge(batch)

    consumer.acknowledge = checked
    publisher = Publisher(broker)
    try:
        publisher.publish(range(total))
        publisher.wait()
        wait_for(lambda: Reading.objects.count() >= total)
        wait_for(lambda: consumer.totals.messages >= total)
    finally:
        consumer.stop()
        thread.join(10)
        publisher.close()

    assert len(failures) == 4
    assert early_acks == []
    assert Reading.objects.count() == total
    assert consumer.totals.stored == total
    assert consumer.totals.acked == total


@pytest.mark.django_db
def test_a_message_the_database_refuses_is_set_aside(consumer, evaluated, monkeypatch):
    DeviceFactory(identifier="d1")
    record = mqtt.record_readings

    def refusing(**kwargs):
        if any(r.fill_percent == 13 for r in kwargs["readings"]):
            raise DataError("value out of range")
        return record(**kwargs)

    monkeypatch.setattr(mqtt, "record_readings", refusing)
    poison = json.dumps(
        {"device": "d1", "measured_at": START.isoformat(), "fill_percent": 13}
    ).encode()

    consumer.ingest([message(1), message(0, body=poison), message(2)])

    assert Reading.objects.count() == 2
    quarantined = QuarantinedReading.objects.get()
    assert quarantined.reason == "malformed"
    assert quarantined.detail == ("The message could not be stored: value out of range")
    assert quarantined.payload["payload"] == poison.decode()
    assert sorted(mid for mid, _count in consumer.client.acked) == [1, 2, 3]
