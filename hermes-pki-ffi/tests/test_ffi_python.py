"""Tests the GENERATED UniFFI Python bindings (hermes-pki-ffi/generated/python)."""

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

sys.path.insert(0, os.environ["HERMES_FFI_GENERATED"])
import hermes_pki_ffi as ffi  # noqa: E402


def openssl(*args, cwd):
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def certdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ffi")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "key.pem", "-out", "cert.pem", "-days", "30",
            "-subj", "/CN=FFI Test/emailAddress=ffi@example.com",
            "-addext", "subjectAltName=email:other@Example.COM", cwd=d)
    openssl("x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der", cwd=d)
    return d


def fingerprint(d, digest):
    out = openssl("x509", "-in", "cert.pem", "-noout", "-fingerprint", f"-{digest}", cwd=d)
    return out.strip().split("=", 1)[1].replace(":", "").upper()


def test_version():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(repo, "Cargo.toml")) as f:
        text = f.read().split("[workspace.package]", 1)[1]
    version = text.split('version = "', 1)[1].split('"', 1)[0]
    assert ffi.version() == version


def test_certificate_from_pem_matches_openssl(certdir):
    cert = ffi.Certificate.from_pem((certdir / "cert.pem").read_text())
    assert cert.sha256() == fingerprint(certdir, "sha256")
    assert cert.sha512() == fingerprint(certdir, "sha512")
    assert "CN=FFI Test" in cert.subject()
    assert cert.issuer() == cert.subject()
    assert set(cert.emails()) == {"ffi@example.com", "other@example.com"}
    assert cert.is_self_signed()
    assert cert.der() == (certdir / "cert.der").read_bytes()
    end = openssl("x509", "-in", "cert.pem", "-noout", "-enddate", cwd=certdir).strip()
    end = datetime.strptime(" ".join(end.split("=", 1)[1].split()), "%b %d %H:%M:%S %Y GMT")
    assert cert.not_after_unix() == int(end.replace(tzinfo=timezone.utc).timestamp())
    assert cert.is_valid_at(datetime.now(timezone.utc))
    assert ffi.Certificate.from_der(cert.der()) == cert


def test_errors_and_load(certdir):
    with pytest.raises(ffi.HermesError.Parse) as info:
        ffi.Certificate.from_der(b"garbage")
    assert str(info.value)
    bundle = (certdir / "cert.pem").read_bytes() + (certdir / "key.pem").read_bytes()
    result = ffi.load_certificates(bundle)
    assert len(result.certificates) == 1
    assert len(result.problems) == 1
    assert result.problems[0].kind == ffi.ErrorKind.PARSE
