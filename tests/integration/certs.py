"""A throwaway certificate authority for TLS tests: a CA and a server certificate for
127.0.0.1 signed by it (openssl), plus a PKCS12 keystore of the server's for Java."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

KEYSTORE_PASSWORD = "keystore-for-tests"


def need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed for this test", pytrace=False)


def certificates(folder: Path) -> None:
    """``ca.crt``/``ca.key`` and ``server.crt``/``server.key`` (for 127.0.0.1) in ``folder``."""
    need("openssl")
    (folder / "ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for step in (
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.crt",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile ext -out server.crt",
    ):
        subprocess.run(["openssl", *step.split()], cwd=folder, check=True, capture_output=True)


def pkcs12_keystore(folder: Path) -> Path:
    """``server.p12``: the server's key and certificate chain, for a JVM."""
    subprocess.run(
        [
            "openssl", "pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key",
            "-certfile", "ca.crt", "-name", "server", "-out", "server.p12",
            "-passout", f"pass:{KEYSTORE_PASSWORD}",
        ],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    return folder / "server.p12"
