from __future__ import annotations

import ast
import importlib.metadata
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import hermes_pki
from hermes_pki import Certificate, HermesError, ParseError, load_certificates

if TYPE_CHECKING:
    from conftest import Certs

REPO = Path(__file__).resolve().parents[2]


def cargo_version() -> str:
    text = (REPO / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1]
    found = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M)
    assert found is not None
    return found.group(1)


def openssl_time(certs: Certs, which: str) -> datetime:
    out = certs.openssl("x509", "-in", "leaf.pem", "-noout", f"-{which}").strip()
    value = " ".join(out.split("=", 1)[1].split())
    return datetime.strptime(value, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=timezone.utc)


def test_version_matches_cargo_and_wheel_metadata() -> None:
    assert hermes_pki.__version__ == cargo_version()
    assert importlib.metadata.version("hermes-pki") == cargo_version()


def test_parse_pem_thumbprints_match_openssl(certs: Certs) -> None:
    cert = Certificate.from_pem(certs.read("leaf.pem").decode())
    assert cert.sha256 == certs.fingerprint("leaf.pem", "sha256")
    assert cert.sha512 == certs.fingerprint("leaf.pem", "sha512")
    assert cert.thumbprint == cert.sha512
    assert len(cert.sha256) == 64 and len(cert.sha512) == 128


def test_pem_bytes_der_and_round_trips(certs: Certs) -> None:
    from_str = Certificate.from_pem(certs.read("leaf.pem").decode())
    from_bytes = Certificate.from_pem(certs.read("leaf.pem"))
    from_der = Certificate.from_der(certs.read("leaf.der"))
    assert from_str == from_bytes == from_der
    assert from_der.der == certs.read("leaf.der")
    assert bytes(from_der) == certs.read("leaf.der")
    assert Certificate.from_pem(from_der.to_pem()) == from_der
    assert from_der.to_pem().startswith("-----BEGIN CERTIFICATE-----\n")


def test_names_serial_and_flags(certs: Certs) -> None:
    leaf = Certificate.from_pem(certs.read("leaf.pem"))
    ca = Certificate.from_pem(certs.read("ca.pem"))
    assert "CN=Alice" in leaf.subject
    assert "CN=Test CA" in leaf.issuer
    assert leaf.issuer == ca.subject
    assert leaf.serial == "01A2B3"
    assert leaf.serial_number == 0x01A2B3
    assert ca.is_ca and not leaf.is_ca
    assert ca.is_self_signed and not leaf.is_self_signed
    assert leaf.extended_key_usage == ["1.3.6.1.5.5.7.3.4"]


def test_emails_are_normalised(certs: Certs) -> None:
    leaf = Certificate.from_pem(certs.read("leaf.pem"))
    assert set(leaf.emails) == {"alice@example.com", "Bob@example.org"}
    assert len(leaf.emails) == 2


def test_validity_matches_openssl(certs: Certs) -> None:
    leaf = Certificate.from_pem(certs.read("leaf.pem"))
    assert leaf.not_after == openssl_time(certs, "enddate")
    assert leaf.not_before == openssl_time(certs, "startdate")
    assert leaf.not_after.tzinfo is not None
    assert leaf.not_after.utcoffset() == timedelta(0)
    now = datetime.now(timezone.utc)
    assert leaf.is_valid_at(now)
    assert not leaf.is_valid_at(leaf.not_after + timedelta(seconds=1))
    assert not leaf.is_valid_at(leaf.not_before - timedelta(seconds=1))
    with pytest.raises(ValueError):
        leaf.is_valid_at(datetime(2030, 1, 1))


def test_garbage_raises_parse_error() -> None:
    with pytest.raises(ParseError) as info:
        Certificate.from_der(b"not a certificate")
    assert isinstance(info.value, HermesError)
    assert str(info.value)
    assert info.value.kind == "parse"
    with pytest.raises(ParseError):
        Certificate.from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(ParseError):
        Certificate.from_pem(b"\xff\xfe garbage")
    with pytest.raises(TypeError):
        Certificate.from_pem(42)  # type: ignore[arg-type]


def test_private_key_is_not_a_certificate(certs: Certs) -> None:
    with pytest.raises(HermesError) as info:
        Certificate.from_pem(certs.read("leaf.key"))
    assert isinstance(info.value, ParseError)


def test_exception_hierarchy() -> None:
    errors = [getattr(hermes_pki, n) for n in hermes_pki.__all__ if n.endswith("Error")]
    # One class per ErrorKind of the core, InvalidKey, NotCa and NotPermitted included.
    assert {e.kind for e in errors} == {
        "other", "parse", "unsupported", "weak", "key-mismatch", "bad-password",
        "limit-exceeded", "crypto", "not-found", "duplicate", "storage", "io",
        "invalid-argument", "invalid-key", "not-ca", "not-permitted",
    }
    for e in errors:
        assert issubclass(e, HermesError), e
    inputs = {
        hermes_pki.ParseError, hermes_pki.UnsupportedError, hermes_pki.WeakError,
        hermes_pki.KeyMismatchError, hermes_pki.BadPasswordError,
        hermes_pki.LimitExceededError, hermes_pki.DuplicateError,
        hermes_pki.InvalidArgumentError, hermes_pki.InvalidKeyError, hermes_pki.NotCaError,
    }
    for e in errors:
        assert issubclass(e, ValueError) == (e in inputs), e
    assert issubclass(hermes_pki.NotFoundError, LookupError)
    assert issubclass(hermes_pki.IoError, OSError)
    assert not issubclass(hermes_pki.StorageError, (ValueError, OSError))
    assert not issubclass(hermes_pki.CryptoError, ValueError)
    assert issubclass(HermesError, Exception)


def test_load_bundle_with_private_key_reports_a_problem(certs: Certs) -> None:
    bundle = certs.read("ca.pem") + certs.read("leaf.key") + certs.read("leaf.pem")
    found, problems = load_certificates(bundle)
    assert [c.sha256 for c in found] == [
        certs.fingerprint("ca.pem", "sha256"),
        certs.fingerprint("leaf.pem", "sha256"),
    ]
    assert len(problems) == 1
    assert problems[0].kind == "parse"
    assert problems[0].location
    assert problems[0].message
    assert "LoadProblem" in repr(problems[0])


def test_load_der_p7b_and_garbage(certs: Certs) -> None:
    found, problems = load_certificates(certs.read("leaf.der"))
    assert len(found) == 1 and not problems
    found, problems = load_certificates(certs.read("bundle.p7b"))
    assert {c.sha256 for c in found} == {
        certs.fingerprint("ca.pem", "sha256"),
        certs.fingerprint("leaf.pem", "sha256"),
    }
    assert not problems
    found, problems = load_certificates(b"garbage")
    assert found == [] and len(problems) == 1


def test_eq_hash_repr(certs: Certs) -> None:
    a = Certificate.from_pem(certs.read("leaf.pem"))
    b = Certificate.from_der(certs.read("leaf.der"))
    ca = Certificate.from_pem(certs.read("ca.pem"))
    assert a == b and hash(a) == hash(b)
    assert a != ca
    assert a != "not a certificate"
    assert len({a, b, ca}) == 2
    assert "CN=Alice" in repr(a) and a.sha256 in repr(a)


def test_parsing_from_threads(certs: Certs) -> None:
    der = certs.read("leaf.der")
    with ThreadPoolExecutor(max_workers=4) as pool:
        prints = set(pool.map(lambda _: Certificate.from_der(der).sha512, range(32)))
    assert prints == {certs.fingerprint("leaf.pem", "sha512")}


def test_type_stubs_match_module() -> None:
    package = Path(hermes_pki.__file__).parent
    assert (package / "py.typed").exists()
    stub = ast.parse((package / "_native.pyi").read_text())
    declared = {
        node.name for node in stub.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))
    } | {
        node.target.id for node in stub.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    native = hermes_pki._native
    public = {n for n in dir(native) if not n.startswith("_")} | {"__version__"}
    assert declared == public
    for cls_node in stub.body:
        if not isinstance(cls_node, ast.ClassDef):
            continue
        cls = getattr(native, cls_node.name)
        stubbed = {n.name for n in cls_node.body if isinstance(n, ast.FunctionDef)}
        real = {n for n in dir(cls) if not n.startswith("_")}
        # Every stubbed method exists, and every public method is stubbed.
        assert stubbed - {"__bytes__", "__eq__", "__hash__"} == real, cls_node.name
    # Every name the package exports is importable and listed once.
    assert len(hermes_pki.__all__) == len(set(hermes_pki.__all__))
    for name in hermes_pki.__all__:
        assert hasattr(hermes_pki, name), name
