"""Redis over TLS with an ACL user: a redis-server of the test's own with a generated CA and
server certificate; the repository works through ``rediss://`` and the ``redis_ssl_*``
settings, and a wrong password or a missing CA is one clear error."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from app.baseline import build_baseline
from app.errors import ConfigError, RepositoryError
from app.repository import BaselineRepository, connect_redis
from app.settings import Settings
from tests.conftest import make_records
from tests.integration.certs import certificates, need
from tests.integration.harness import free_port

PASSWORD = "s3cret-for-tests"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    need("redis-server", "openssl")  # make up installs redis-server
    folder = tmp_path_factory.mktemp("redis-tls")
    certificates(folder)
    port = free_port()
    (folder / "redis.conf").write_text(
        f"port 0\ntls-port {port}\nbind 127.0.0.1\n"
        "tls-cert-file server.crt\ntls-key-file server.key\ntls-ca-cert-file ca.crt\n"
        'tls-auth-clients no\nsave ""\nappendonly no\n'
        f"user default off\nuser driftmend on >{PASSWORD} ~* &* +@all\n"
    )
    proc = subprocess.Popen(["redis-server", "redis.conf"], cwd=folder, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        settings = _settings(port, folder / "ca.crt")
        while True:
            try:
                connect_redis(settings)
                break
            except RepositoryError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port, folder / "ca.crt"
    finally:
        proc.terminate()
        proc.wait(10)


def _settings(port: int, ca: Path | None, password: str = PASSWORD) -> Settings:
    return Settings(
        redis_url=SecretStr(f"rediss://driftmend:{password}@127.0.0.1:{port}/0"),
        redis_ssl_ca_certs=ca,
    )


def test_baselines_round_trip_over_tls(tls_redis: tuple[int, Path]) -> None:
    port, ca = tls_redis
    repo = BaselineRepository(connect_redis(_settings(port, ca)))
    saved = repo.save(build_baseline("tls-feed", make_records(np.random.default_rng(1), 500), "t"))
    assert repo.get("tls-feed").version == saved.version


def test_a_wrong_password_is_one_clear_error(tls_redis: tuple[int, Path]) -> None:
    port, ca = tls_redis
    with pytest.raises(RepositoryError, match="cannot reach Redis"):
        connect_redis(_settings(port, ca, password="wrong"))


def test_an_unknown_ca_is_refused(tls_redis: tuple[int, Path]) -> None:
    port, _ca = tls_redis
    with pytest.raises(RepositoryError, match="certificate"):
        connect_redis(_settings(port, None))  # the system CAs do not know the test CA


def test_tls_files_need_a_rediss_url(tmp_path: Path) -> None:
    settings = Settings(redis_url=SecretStr("redis://127.0.0.1:1/0"), redis_ssl_ca_certs=tmp_path)
    with pytest.raises(ConfigError, match="rediss://"):
        connect_redis(settings)
