"""Fixtures: certificates made with the openssl command line tool, and stores made with
hermes_pki itself (a CA with two users issued)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Tuple

import pytest

import hermes_pki
from hermes_pki import KeyType, Pki


def openssl(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


class Certs:
    def __init__(self, d: Path) -> None:
        self.dir = d
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "3650", "-subj", "/CN=Test CA/O=Hermes Test",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d,
        )
        (d / "leaf.ext").write_text(
            "basicConstraints=CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=emailProtection\n"
            "subjectAltName=email:alice@example.com,email:Bob@EXAMPLE.org\n"
        )
        openssl(
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key",
            "-out", "leaf.csr",
            "-subj", "/CN=Alice/O=Hermes Test/emailAddress=alice@example.com", cwd=d,
        )
        openssl(
            "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "0x01A2B3", "-days", "400", "-extfile", "leaf.ext",
            "-out", "leaf.pem", cwd=d,
        )
        openssl("x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der", cwd=d)
        openssl(
            "crl2pkcs7", "-nocrl", "-certfile", "ca.pem", "-certfile", "leaf.pem",
            "-outform", "DER", "-out", "bundle.p7b", cwd=d,
        )

    def path(self, name: str) -> Path:
        return self.dir / name

    def read(self, name: str) -> bytes:
        return (self.dir / name).read_bytes()

    def openssl(self, *args: str) -> str:
        return openssl(*args, cwd=self.dir)

    def fingerprint(self, name: str, digest: str) -> str:
        out = self.openssl("x509", "-in", name, "-noout", "-fingerprint", f"-{digest}")
        return out.strip().split("=", 1)[1].replace(":", "").upper()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


@dataclass
class Gateway:
    """A SQLite store with a root + intermediate CA (EC P-256) and two users."""

    pki: Pki
    dir: Path
    created: hermes_pki.CreatedCa
    alice: hermes_pki.Issued
    bob: hermes_pki.Issued

    @property
    def ca(self) -> int:
        return self.created.issuing.id


def make_gateway(d: Path) -> Gateway:
    pki = Pki.open(d)
    created = pki.create_ca(
        "Example Root CA", organization="Example", country="DE", key=KeyType.EC_P256,
        intermediate="Example Mail CA",
    )
    alice = pki.issue("alice@example.com", "Alice Example", key=KeyType.EC_P256)
    bob = pki.issue("bob@example.com", "Bob Example", key=KeyType.EC_P256)
    return Gateway(pki, d, created, alice, bob)


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    return make_gateway(tmp_path / "store")


Snapshot = Tuple[object, ...]


def snapshot(pki: Pki) -> Snapshot:
    """Everything a store's listings show, to compare before and after a refused call."""
    cas = pki.list_cas()
    return (
        cas,
        [c.thumbprint for c in pki.list_certificates()],
        [c.thumbprint for c in pki.trust_anchors()],
        pki.trust_list(),
        pki.list_crls(),
        pki.users(),
        pki.domains(),
        pki.settings(),
        [pki.settings(user=u) for u in pki.users()],
        [pki.issued_certificates(ca.id) for ca in cas],
    )


@pytest.fixture
def snap() -> Callable[[Pki], Snapshot]:
    return snapshot


@pytest.fixture
def new_gateway() -> Callable[[Path], Gateway]:
    return make_gateway
