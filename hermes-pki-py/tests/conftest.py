"""Test certificates made with the openssl command line tool."""

import subprocess
from pathlib import Path

import pytest


def openssl(*args, cwd):
    return subprocess.run(
        ["openssl", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


class Certs:
    def __init__(self, d: Path):
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

    def path(self, name):
        return self.dir / name

    def read(self, name):
        return (self.dir / name).read_bytes()

    def openssl(self, *args):
        return openssl(*args, cwd=self.dir)

    def fingerprint(self, name, digest):
        out = self.openssl("x509", "-in", name, "-noout", "-fingerprint", f"-{digest}")
        return out.strip().split("=", 1)[1].replace(":", "").upper()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return Certs(tmp_path_factory.mktemp("certs"))
