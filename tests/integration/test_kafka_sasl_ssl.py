"""Kafka over SASL_SSL (SCRAM-SHA-256 over TLS): a broker of the test's own, started from the
same jars as the local one, with a generated CA; no plaintext listener for clients.

A worker attaches to it with the ``DRIFTMEND_KAFKA_*`` security settings: the librdkafka
clients (ingest, output, profiles) and the faust agents (aiokafka) all have to get through,
or no window closes. A wrong password is one clear error.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pytest
import redis
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from app.baseline import build_baseline
from app.errors import KafkaError
from app.kafka.connect import check_connection
from app.kafka.topics import TopicSpec, ensure_topics
from app.repository import BaselineRepository
from app.settings import Settings
from app.worker.options import worker_command
from tests.conftest import make_records
from tests.integration.certs import KEYSTORE_PASSWORD, certificates, need, pkcs12_keystore
from tests.integration.harness import ROOT, WorkerProcess, free_port, redis_url, unique

USER, PASSWORD = "driftmend", "scram-secret-for-tests"
MECHANISM = "SCRAM-SHA-256"
WINDOW = 1_000
RECORDS = 4 * WINDOW


@dataclass(frozen=True)
class SecureBroker:
    port: int
    ca: Path

    def settings(self, password: str = PASSWORD) -> Settings:
        return Settings(
            kafka_bootstrap_servers=f"127.0.0.1:{self.port}",
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism=MECHANISM,
            kafka_sasl_username=USER,
            kafka_sasl_password=SecretStr(password),
            kafka_ssl_ca_location=self.ca,
        )

    def env(self) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.port}",
            "DRIFTMEND_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "DRIFTMEND_KAFKA_SASL_MECHANISM": MECHANISM,
            "DRIFTMEND_KAFKA_SASL_USERNAME": USER,
            "DRIFTMEND_KAFKA_SASL_PASSWORD": PASSWORD,
            "DRIFTMEND_KAFKA_SSL_CA_LOCATION": str(self.ca),
        }


def _kafka_jars() -> Path:
    """The folder of the broker's jars (fetched by ``scripts/services.sh`` when missing)."""
    state = Path(os.environ.get("DRIFTMEND_SERVICES_STATE", ROOT / ".state"))
    libs = state / "kafka" / "libs"
    if not (libs / ".complete").exists():
        script = str(ROOT / "scripts/services.sh")
        done = subprocess.run(["bash", script, "jars"], check=False, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"cannot fetch Kafka's jars:\n{done.stderr[-2000:]}", pytrace=False)
    return libs


def _server_properties(folder: Path, port: int, controller: int, keystore: Path) -> Path:
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{USER}" password="{PASSWORD}";'
    )
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller}",
        "controller.listener.names": "CONTROLLER",
        "listeners": f"SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"SASL_SSL://127.0.0.1:{port}",
        "inter.broker.listener.name": "SASL_SSL",
        "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        f"listener.name.sasl_ssl.{MECHANISM.lower()}.sasl.jaas.config": jaas,
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(keystore),
        "ssl.keystore.password": KEYSTORE_PASSWORD,
        "ssl.key.password": KEYSTORE_PASSWORD,
        # the broker checks that a client with its own settings could connect: trust the CA
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(folder / "ca.crt"),
        "log.dirs": str(folder / "data"),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    path = folder / "server.properties"
    path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    return path


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    need("java", "openssl")
    libs = _kafka_jars()
    folder = tmp_path_factory.mktemp("kafka-sasl-ssl")
    certificates(folder)
    keystore = pkcs12_keystore(folder)
    port, controller = free_port(), free_port()
    config = _server_properties(folder, port, controller, keystore)
    java = ["java", "-Xmx512m", "-cp", f"{libs}/*"]
    log4j = f"-Dlog4j2.configurationFile={ROOT / 'infra/kafka/log4j2.properties'}"
    cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    scram = f"{MECHANISM}=[name={USER},password={PASSWORD}]"
    subprocess.run(
        [*java, log4j, "kafka.tools.StorageTool", "format", "--standalone",
         f"--cluster-id={cluster}", "-c", str(config), "--add-scram", scram],
        check=True, capture_output=True,
    )  # fmt: skip
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [*java, log4j, "kafka.Kafka", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    secure = SecureBroker(port, folder / "ca.crt")
    try:
        admin = AdminClient(secure.settings().kafka_config())
        deadline = time.monotonic() + 90
        while True:
            try:
                admin.list_topics(timeout=5)
                break
            except KafkaException:
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = (folder / "server.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"the SASL_SSL broker did not start:\n{tail}", pytrace=False)
                time.sleep(0.5)
        yield secure
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _read(settings: Settings, topic: str, expected: int, timeout: float = 90.0) -> list[bytes]:
    consumer = Consumer(
        {
            **settings.kafka_config(),
            "group.id": unique("reader"),
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    out: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            out.extend(m.value() for m in consumer.consume(1000, 0.5) if m.error() is None)
    finally:
        consumer.close()
    return out


def test_a_worker_runs_end_to_end_over_sasl_ssl(broker: SecureBroker, tmp_path: Path) -> None:
    settings = broker.settings()
    feed, topic = unique("sasl-feed"), unique("sasl-input")
    repo = BaselineRepository(redis.Redis.from_url(redis_url()))
    repo.save(build_baseline(feed, make_records(np.random.default_rng(7), 5_000), "test"))
    ensure_topics(AdminClient(settings.kafka_config()), [TopicSpec(topic, 1)])
    values = [orjson.dumps(r) for r in make_records(np.random.default_rng(8), RECORDS)]
    worker = WorkerProcess(feed, topic, ["--window-records", str(WINDOW)], env=broker.env())
    worker.start(tmp_path)
    try:
        producer = Producer({**settings.kafka_config(), "enable.idempotence": True})
        for value in values:
            producer.produce(topic, value=value, partition=0)
            producer.poll(0)
        assert producer.flush(30) == 0
        # windows close only through the faust agents (aiokafka, SCRAM over TLS)
        worker.wait_for("driftmend_windows_closed_total", RECORDS // WINDOW - 1, timeout=120)
        assert _read(settings, f"{topic}.healed", len(values)) == values
    finally:
        code = worker.stop()
    assert code == 0, worker.log()


def test_a_wrong_password_is_one_clear_error(broker: SecureBroker) -> None:
    with pytest.raises(KafkaError, match=r"SASL_SSL.*[Aa]uthentication failed"):
        check_connection(broker.settings(password="wrong"), timeout=10)


def test_an_unknown_ca_is_one_clear_error(broker: SecureBroker) -> None:
    settings = broker.settings().model_copy(update={"kafka_ssl_ca_location": None})
    with pytest.raises(KafkaError, match="certificate verify failed"):
        check_connection(settings, timeout=10)


def test_the_worker_stops_at_start_with_the_reason(broker: SecureBroker, tmp_path: Path) -> None:
    env = {**os.environ, **broker.env(), "DRIFTMEND_KAFKA_SASL_PASSWORD": "wrong"}
    done = subprocess.run(
        worker_command("any-feed", "any-topic"),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Authentication failed" in done.stderr + done.stdout
