"""Broker security with the generated password file and ACL, on a Mosquitto of our own:
each wristband logs in with its own secret and may publish only under its own serial."""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as paho
from django.core.management import call_command
from paho.mqtt.enums import CallbackAPIVersion

from gatehouse.devices import services
from gatehouse.devices.protocol import TOPIC_FILTER, topic_for
from gatehouse.devices.tests.broker import OwnBroker, wait_for
from gatehouse.devices.tests.helpers import unique_serial
from gatehouse.testing import SETUP, BaseTestCase


def _client(broker: OwnBroker, user: str, password: str) -> tuple[paho.Client, list[object]]:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:10]}")
    client.username_pw_set(user, password)
    result: list[object] = []
    client.on_connect = lambda c, u, f, reason, p: result.append(reason)
    client.connect(broker.broker.host, broker.port)
    client.loop_start()
    wait_for(lambda: result, timeout=10, message="connack")
    return client, result


class BrokerSecurityTest(BaseTestCase):
    def test_a_wristband_publishes_only_under_its_own_serial(self):
        scope = self.command.scope
        bands = [
            services.wristband_register(
                scope=scope, actor=SETUP, neighbourhood=self.nb_a, serial=unique_serial("A"), model="HB-2"
            )
            for _ in range(2)
        ]
        (band_a, secret_a), (band_b, _secret_b) = (
            services.wristband_credentials_issue(scope=scope, actor=SETUP, wristband=b) for b in bands
        )
        broker = OwnBroker(extra=())  # the shipped allow_anonymous false stays
        broker.conf.write_text(
            broker.conf.read_text()
            + f"password_file {broker.dir}/passwd\nacl_file {broker.dir}/acl\nallow_anonymous false\n"
        )
        call_command(
            "mosquitto_config",
            passwd=str(broker.dir / "passwd"),
            acl=str(broker.dir / "acl"),
            ingester_user="ingester",
            ingester_password="ingester-secret",
        )
        broker.start()
        clients: list[paho.Client] = []
        try:
            received: list[str] = []
            got = threading.Event()
            ingester, result = _client(broker, "ingester", "ingester-secret")
            clients.append(ingester)
            self.assertFalse(result[0].is_failure)

            def on_message(client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
                received.append(message.topic)
                got.set()

            ingester.on_message = on_message
            subscribed = threading.Event()
            ingester.on_subscribe = lambda *args: subscribed.set()
            ingester.subscribe(TOPIC_FILTER, qos=1)
            self.assertTrue(subscribed.wait(10))

            device, result = _client(broker, band_a.serial, secret_a)
            clients.append(device)
            self.assertFalse(result[0].is_failure)
            # paho keeps a QoS 1 message while (re)connecting: wait for the broker's PUBACK itself.
            for topic in (topic_for(band_b.serial), topic_for(band_a.serial)):
                info = device.publish(topic, b"{}", qos=1)
                wait_for(lambda info=info: info._published, timeout=10, message=f"PUBACK for {topic}")
            self.assertTrue(got.wait(10))
            self.assertEqual(received, [topic_for(band_a.serial)])

            impostor, result = _client(broker, band_b.serial, secret_a)
            clients.append(impostor)
            self.assertTrue(result[0].is_failure)
        finally:
            for client in clients:
                client.disconnect()
                client.loop_stop()
            broker.cleanup()
