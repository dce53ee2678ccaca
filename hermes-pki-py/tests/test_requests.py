"""Certificate requests (built-in, outward and inward CSR, bulk CSV), the lifecycle calls
(delete a certificate, remove a trust anchor, import and export a private key) and opening a
PostgreSQL store by URL. Every call is exercised, and bad input for each: the right exception,
and the store unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Tuple
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from hermes_pki import (
    BadPasswordError,
    Certificate,
    InvalidArgumentError,
    InvalidKeyError,
    KeyDerivation,
    KeyMismatchError,
    KeyType,
    LimitExceededError,
    NotFoundError,
    NotPermittedError,
    ParseError,
    Pki,
    RequestHandler,
    RequestInfo,
    RequestStatus,
)

if TYPE_CHECKING:
    from conftest import Certs, Gateway, Snapshot

Snap = Callable[[Pki], "Snapshot"]
NOW = datetime.now(timezone.utc)


def state(pki: Pki, snap: Snap) -> Tuple[object, ...]:
    """The store's listings with its requests and which certificates have their key."""
    keys = [pki.show_certificate(c).has_private_key for c in pki.list_certificates()]
    return (snap(pki), pki.list_requests(), keys)


def sign_csr(certs: Certs, csr_pem: str, email: str) -> bytes:
    """The certificate the test CA (openssl) issues for a PKCS#10 request."""
    name = uuid.uuid4().hex
    (certs.dir / f"{name}.csr").write_text(csr_pem)
    (certs.dir / f"{name}.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\n"
    )
    certs.openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "0x" + name[:12], "-days", "300", "-extfile", f"{name}.ext",
        "-out", f"{name}.pem",
    )
    return certs.read(f"{name}.pem")


def client_csr(certs: Certs, email: str) -> bytes:
    """A client's PKCS#10 request (EC P-256) for `email`, made with openssl."""
    name = uuid.uuid4().hex
    certs.openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN=Client/emailAddress={email}",
    )
    return certs.read(f"{name}.csr")


# --- built-in requests -----------------------------------------------------------------


def test_built_in_request_issues_at_once_with_a_pkcs12_delivery(gw: Gateway) -> None:
    pki = gw.pki
    r = pki.request(
        "carol@example.com", "Carol Example", key=KeyType.EC_P256, deliver_pkcs12=16,
        create_user=True, delivery_from="pki@example.com", organization="Example",
    )
    assert not r.is_pending and r.certificate is not None
    assert r.request.status is RequestStatus.COMPLETED
    assert r.request.handler == RequestHandler.BUILT_IN.value
    assert r.request.email == "carol@example.com"
    assert r.certificate.emails == ["carol@example.com"]
    assert r.request.certificate_thumbprint == r.certificate.thumbprint
    assert r.chain[0] == pki.ca_certificate(gw.ca)
    assert pki.show_certificate(r.certificate).has_private_key
    assert "carol@example.com" in pki.users()
    d = r.delivery
    assert d is not None and len(d.password) == 16 and d.password not in repr(d)
    key, cert, _ = pkcs12.load_key_and_certificates(d.pkcs12, d.password.encode())
    assert cert is not None and cert.public_bytes(serialization.Encoding.DER) == r.certificate.der
    assert key is not None
    assert b"From: pki@example.com\r\n" in d.message
    assert b"To: carol@example.com\r\n" in d.message
    assert b"application/x-pkcs12" in d.message
    assert pki.get_request(r.request.id) == r.request
    assert pki.list_requests(status=RequestStatus.COMPLETED) == [r.request]
    assert pki.list_requests(status=RequestStatus.PENDING) == []
    with pytest.raises(NotFoundError):
        pki.request_csr(r.request.id)  # a built-in request has no PKCS#10


def test_request_refusals_store_nothing(gw: Gateway, snap: Snap) -> None:
    pki = gw.pki
    before = state(pki, snap)
    with pytest.raises(InvalidArgumentError):
        pki.request("carol@example.com", "Carol", deliver_pkcs12=4)
    with pytest.raises(InvalidArgumentError):
        pki.request("carol@example.com", "Carol", store_password=True)
    with pytest.raises(InvalidArgumentError):
        pki.request("carol@example.com", " ")
    with pytest.raises(InvalidArgumentError):
        pki.request("not an address", "Carol", key=KeyType.EC_P256)
    with pytest.raises(NotFoundError):
        pki.request("carol@example.com", "Carol", handler="no-such-handler")
    with pytest.raises(InvalidArgumentError):
        pki.request("carol@example.com", "Carol", handler=RequestHandler.CSR_INWARD)
    with pytest.raises(NotFoundError):
        pki.request("carol@example.com", "Carol", ca=999)
    with pytest.raises(TypeError):
        pki.request("carol@example.com", "Carol", key="ec-p256")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        pki.request("carol@example.com", "Carol", key=KeyType.EC_P256, at=datetime(2030, 1, 1))
    assert state(pki, snap) == before


# --- outward CSR: an external CA ---------------------------------------------------------


def test_outward_csr_request_completed_with_the_external_certificate(
    gw: Gateway, certs: Certs, snap: Snap
) -> None:
    pki = gw.pki
    r = pki.request("dave@example.com", "Dave", handler=RequestHandler.CSR, key=KeyType.EC_P256)
    assert r.is_pending and r.certificate is None and r.delivery is None
    rid = r.request.id
    assert r.request.status is RequestStatus.PENDING and r.request.key_id is not None
    der = pki.request_csr(rid)
    pem = pki.request_csr_pem(rid)
    assert der == r.request.csr
    assert pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    issued = sign_csr(certs, pem, "dave@example.com")

    before = state(pki, snap)
    with pytest.raises(KeyMismatchError):
        pki.complete_request(rid, certs.read("leaf.pem"))
    with pytest.raises(ParseError):
        pki.complete_request(rid, b"not a certificate")
    with pytest.raises(NotFoundError):
        pki.complete_request(rid + 100, issued)
    with pytest.raises(InvalidArgumentError):
        pki.retry_request(rid)  # waits for the external CA's certificate
    with pytest.raises(InvalidArgumentError):
        pki.approve_request(rid)  # only inward requests are approved
    assert state(pki, snap) == before

    done = pki.complete_request(rid, issued + certs.read("ca.pem"))
    assert not done.is_pending and done.request.status is RequestStatus.COMPLETED
    assert done.certificate is not None and done.certificate.emails == ["dave@example.com"]
    assert [c.subject for c in done.chain] == [Certificate.from_pem(certs.read("ca.pem")).subject]
    assert pki.show_certificate(done.certificate).has_private_key
    assert pki.get_request(rid).certificate_thumbprint == done.certificate.thumbprint
    before = state(pki, snap)
    with pytest.raises(InvalidArgumentError):
        pki.complete_request(rid, issued)  # no longer pending
    with pytest.raises(InvalidArgumentError):
        pki.cancel_request(rid)
    assert state(pki, snap) == before


def test_complete_matching_requests_after_a_plain_import(gw: Gateway, certs: Certs) -> None:
    pki = gw.pki
    r = pki.request("erin@example.com", "Erin", handler="csr", key=KeyType.EC_P256)
    issued = sign_csr(certs, pki.request_csr_pem(r.request.id), "erin@example.com")
    report = pki.import_certificates(issued)
    assert pki.complete_matching_requests([gw.alice.certificate]) == []
    done = pki.complete_matching_requests(report.certificates)
    assert len(done) == 1 and done[0].request.id == r.request.id
    assert done[0].certificate == report.certificates[0]
    assert pki.get_request(r.request.id).status is RequestStatus.COMPLETED
    assert pki.complete_matching_requests(report.certificates) == []


# --- inward CSR: a client's PKCS#10 ------------------------------------------------------


def test_inward_csr_pending_then_approved(gw: Gateway, certs: Certs) -> None:
    pki = gw.pki
    csr = client_csr(certs, "frank@example.com")
    r = pki.submit_csr(csr, allowed_domains=["example.com"], days=100, create_user=True)
    assert r.is_pending and r.request.handler == RequestHandler.CSR_INWARD.value
    assert r.request.key_id is None and r.request.csr is not None
    assert pki.request_csr(r.request.id) == r.request.csr
    with pytest.raises(InvalidArgumentError):
        pki.retry_request(r.request.id)  # waits for an approval
    with pytest.raises(InvalidArgumentError):
        pki.complete_request(r.request.id, certs.read("leaf.pem"))
    done = pki.approve_request(r.request.id)
    assert done.request.status is RequestStatus.COMPLETED and done.certificate is not None
    assert done.certificate.emails == ["frank@example.com"]
    assert done.certificate.not_after - done.certificate.not_before == timedelta(days=100)
    assert not pki.show_certificate(done.certificate).has_private_key  # the client keeps it
    assert "frank@example.com" in pki.users()
    with pytest.raises(InvalidArgumentError):
        pki.approve_request(r.request.id)

    at_once = pki.submit_csr(client_csr(certs, "gina@example.com"), approve=True)
    assert not at_once.is_pending and at_once.certificate is not None
    assert at_once.certificate.emails == ["gina@example.com"]


def test_inward_csr_refusals_store_nothing(gw: Gateway, certs: Certs, snap: Snap) -> None:
    pki = gw.pki
    csr = client_csr(certs, "henry@example.com")
    before = state(pki, snap)
    with pytest.raises(ParseError):
        pki.submit_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
    with pytest.raises(NotPermittedError):
        pki.submit_csr(csr, allowed_domains=["example.org"])
    with pytest.raises(NotPermittedError):
        pki.submit_csr(csr, email="someone@example.com")
    with pytest.raises(NotFoundError):
        pki.submit_csr(csr, ca="no such CA", approve=True)
    with pytest.raises(InvalidArgumentError):
        pki.submit_csr(csr, days=0, approve=True)
    assert state(pki, snap) == before


# --- scheduling: reschedule, cancel, retry, run_due ----------------------------------------


def test_reschedule_cancel_and_the_driver(gw: Gateway, snap: Snap) -> None:
    pki = gw.pki
    r = pki.request("ivy@example.com", "Ivy", handler=RequestHandler.CSR, key=KeyType.EC_P256)
    rid = r.request.id
    when = (NOW + timedelta(days=1)).replace(microsecond=0)
    moved = pki.reschedule_request(rid, when)
    assert moved.next_attempt == when and moved.status is RequestStatus.PENDING
    assert pki.run_due_requests(at=NOW + timedelta(days=2)) == []  # no external handler here

    before = state(pki, snap)
    with pytest.raises(InvalidArgumentError):
        pki.reschedule_request(rid, datetime(2030, 1, 1))  # naive
    with pytest.raises(NotFoundError):
        pki.get_request(rid + 100)
    with pytest.raises(InvalidArgumentError):
        pki.get_request(0)
    with pytest.raises(NotFoundError):
        pki.cancel_request(rid + 100)
    with pytest.raises(OverflowError):
        pki.get_request(-1)
    assert state(pki, snap) == before

    key_id = r.request.key_id
    cancelled = pki.cancel_request(rid)
    assert cancelled.status is RequestStatus.CANCELLED and cancelled.key_id == key_id
    assert pki.list_requests(status=RequestStatus.PENDING) == []
    assert pki.list_requests(status=RequestStatus.CANCELLED) == [cancelled]
    with pytest.raises(InvalidArgumentError):
        pki.cancel_request(rid)
    with pytest.raises(InvalidArgumentError):
        pki.reschedule_request(rid, when)
    with pytest.raises(TypeError):
        pki.list_requests(status="pending")  # type: ignore[arg-type]
    assert all(isinstance(x, RequestInfo) for x in pki.list_requests())


# --- bulk CSV ----------------------------------------------------------------------------

BULK = (
    b"EMAIL,COMMONNAME,GIVENNAME,DEPARTMENT\n"
    b"kim@example.com,Kim Example,Kim,Sales\n"
    b"alice@example.com,Alice Example,Alice,Sales\n"
    b"lee@example.com,Lee Example,Lee,Support\n"
)


def test_bulk_preview_changes_nothing_and_run_issues(gw: Gateway, snap: Snap) -> None:
    pki = gw.pki
    before = state(pki, snap)
    plan = pki.bulk_preview(BULK, key=KeyType.EC_P256)
    assert [(r.line, r.email, r.common_name) for r in plan.rows] == [
        (2, "kim@example.com", "Kim Example"),
        (4, "lee@example.com", "Lee Example"),
    ]
    assert [(n.line, n.email) for n in plan.skipped] == [(3, "alice@example.com")]
    assert plan.errors == [] and plan.ignored_columns == ["DEPARTMENT"]
    assert len(pki.bulk_preview(BULK, skip_existing=False).rows) == 3
    assert state(pki, snap) == before

    report = pki.bulk_run(BULK, key=KeyType.EC_P256, deliver_pkcs12=12, create_user=True)
    assert report.is_complete and report.failed is None and report.not_issued == []
    assert [i.line for i in report.issued] == [2, 4]
    for i in report.issued:
        assert i.result.certificate is not None and i.result.delivery is not None
        assert len(i.result.delivery.password) == 12
    assert {"kim@example.com", "lee@example.com"} <= set(pki.users())
    assert len(pki.list_requests(status=RequestStatus.COMPLETED)) == 2


def test_bulk_refusals_store_nothing(gw: Gateway, snap: Snap) -> None:
    pki = gw.pki
    before = state(pki, snap)
    with pytest.raises(ParseError):
        pki.bulk_preview(b"EMAIL,DEPARTMENT\nkim@example.com,Sales\n")
    with pytest.raises(LimitExceededError):
        pki.bulk_preview(BULK, max_rows=2)
    with pytest.raises(ParseError):
        pki.bulk_run(b"EMAIL,DEPARTMENT\nkim@example.com,Sales\n")
    bad = b"EMAIL,COMMONNAME\nkim@example.com,Kim\nnot an address,Nobody\n"
    plan = pki.bulk_preview(bad)
    assert [e.line for e in plan.errors] == [3] and len(plan.rows) == 1
    with pytest.raises(InvalidArgumentError):
        pki.bulk_run(bad, key=KeyType.EC_P256)
    long_name = b"EMAIL,COMMONNAME\nkim@example.com," + b"K" * 40 + b"\n"
    assert pki.bulk_preview(long_name, max_value_chars=20).errors != []
    with pytest.raises(InvalidArgumentError):
        pki.bulk_run(BULK, deliver_pkcs12=2)
    assert state(pki, snap) == before


# --- lifecycle ---------------------------------------------------------------------------


def test_delete_certificate_with_its_key(gw: Gateway, snap: Snap) -> None:
    pki = gw.pki
    alice = gw.alice.certificate
    before = state(pki, snap)
    with pytest.raises(NotPermittedError):
        pki.delete_certificate(pki.ca_certificate(gw.ca))
    with pytest.raises(InvalidArgumentError):
        pki.delete_certificate("not hex")
    with pytest.raises(TypeError):
        pki.delete_certificate(42)  # type: ignore[arg-type]
    assert state(pki, snap) == before

    deleted = pki.delete_certificate(alice.thumbprint)
    assert deleted.key_removed
    with pytest.raises(NotFoundError):
        pki.get_certificate(alice)
    with pytest.raises(NotFoundError):
        pki.delete_certificate(alice)
    # The issued record stays: the serial can still be revoked.
    assert alice.thumbprint in [i.thumbprint for i in pki.issued_certificates(gw.ca)]


def test_delete_certificate_keeps_the_key_of_a_pending_request(gw: Gateway, certs: Certs) -> None:
    pki = gw.pki
    r = pki.request("max@example.com", "Max", handler=RequestHandler.CSR, key=KeyType.EC_P256)
    issued = sign_csr(certs, pki.request_csr_pem(r.request.id), "max@example.com")
    (cert,) = pki.import_certificates(issued).certificates
    assert not pki.delete_certificate(cert).key_removed  # the pending request needs it
    assert pki.complete_request(r.request.id, issued).certificate == cert


def test_remove_trust_anchor(gw: Gateway, certs: Certs, snap: Snap) -> None:
    pki = gw.pki
    ca = Certificate.from_pem(certs.read("ca.pem"))
    pki.add_trust_anchor(ca)
    assert ca in pki.trust_anchors()
    before = state(pki, snap)
    with pytest.raises(NotPermittedError):
        pki.remove_trust_anchor(pki.ca_certificate(gw.created.root.id))
    with pytest.raises(NotFoundError):
        pki.remove_trust_anchor(gw.alice.certificate)
    assert state(pki, snap) == before
    pki.remove_trust_anchor(ca.thumbprint)
    assert ca not in pki.trust_anchors()
    with pytest.raises(NotFoundError):
        pki.remove_trust_anchor(ca)


def test_import_and_export_a_private_key(gw: Gateway, certs: Certs, snap: Snap) -> None:
    pki = gw.pki
    (leaf,) = pki.import_certificates(certs.read("leaf.pem")).certificates
    assert not pki.show_certificate(leaf).has_private_key
    stranger = certs.dir / "stranger.key"
    if not stranger.exists():
        certs.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", "stranger.key")
    enc = certs.dir / "leaf-enc.key"
    if not enc.exists():
        certs.openssl("pkcs8", "-topk8", "-in", "leaf.key", "-v2", "aes-256-cbc",
                      "-passout", "pass:secret", "-out", "leaf-enc.key")

    before = state(pki, snap)
    with pytest.raises(InvalidKeyError):
        pki.import_key(b"not a key")
    with pytest.raises(KeyMismatchError):
        pki.import_key(certs.read("stranger.key"))
    with pytest.raises(InvalidArgumentError):
        pki.import_key(certs.read("leaf-enc.key"))  # encrypted, no password
    with pytest.raises(BadPasswordError):
        pki.import_key(certs.read("leaf-enc.key"), password=b"wrong")
    with pytest.raises(NotFoundError):
        pki.export_key(leaf, b"pw")  # its key is not stored yet
    with pytest.raises(NotPermittedError):
        pki.export_key(pki.ca_certificate(gw.ca), b"pw")
    with pytest.raises(InvalidArgumentError):
        pki.export_key(gw.alice.certificate, b"")
    with pytest.raises(TypeError):
        pki.export_key(gw.alice.certificate, b"pw", kdf="scrypt")  # type: ignore[arg-type]
    assert state(pki, snap) == before

    imported = pki.import_key(certs.read("leaf-enc.key"), password=b"secret")
    assert imported.certificates == [leaf.thumbprint] and imported.newly_stored
    assert pki.show_certificate(leaf).has_private_key
    assert not pki.import_key(certs.read("leaf.key")).newly_stored

    original = serialization.load_pem_private_key(certs.read("leaf.key"), None)
    for kdf in (None, KeyDerivation.SCRYPT, KeyDerivation.PBKDF2_SHA256):
        pem = pki.export_key(leaf, b"pass phrase", kdf=kdf)
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        back = serialization.load_pem_private_key(pem, b"pass phrase")
        assert back.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) == original.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new empty database on the test server (HERMES_PKI_TEST_PG_URL, an admin URL),
    dropped afterwards. Without the variable: a failure under CI, else a skip."""
    admin = os.environ.get("HERMES_PKI_TEST_PG_URL", "").strip()
    if not admin:
        reason = ("HERMES_PKI_TEST_PG_URL is not set: start a server with "
                  "scripts/pg-test-cluster.sh start DIR and export the URL it prints")
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI never skips the PostgreSQL test)")
        print(f"NOTICE: PostgreSQL test skipped: {reason}")
        pytest.skip(reason)
    psql = shutil.which("psql")
    if psql is None:
        pytest.fail("psql is needed to create the test database")
    name = f"hpki_py_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    subprocess.run([psql, admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    scheme, rest = admin.split("://", 1)
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    try:
        yield f"{scheme}://{authority}/{name}"
    finally:
        subprocess.run([psql, admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=True)


def test_open_a_postgresql_store_by_url(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "master.key"
    monkeypatch.delenv("HERMES_PKI_MASTER_KEY_FILE", raising=False)
    with pytest.raises(InvalidArgumentError):
        Pki.open(pg_url)  # no master key
    with pytest.raises(NotFoundError) as refused:
        Pki.open(pg_url.replace("/hpki_py_", "/no_such_db_"), master_key_file=key_file)
    password = urlsplit(pg_url).password
    assert password and password not in str(refused.value)

    monkeypatch.setenv("HERMES_PKI_MASTER_KEY_FILE", str(key_file))
    pki = Pki.open(pg_url)
    assert key_file.stat().st_size == 32
    pki.create_ca("PG Root", key=KeyType.EC_P256)
    r = pki.request("pat@example.com", "Pat", key=KeyType.EC_P256, deliver_pkcs12=10)
    pending = pki.request("quinn@example.com", "Quinn", handler=RequestHandler.CSR,
                          key=KeyType.EC_P256)
    assert r.certificate is not None

    monkeypatch.delenv("HERMES_PKI_MASTER_KEY_FILE")
    other = Pki.open(pg_url, master_key_file=str(key_file))
    assert [c.name for c in other.list_cas()] == ["PG Root"]
    assert other.get_request(r.request.id) == r.request
    assert other.list_requests(status=RequestStatus.PENDING) == [pending.request]
    assert other.show_certificate(r.certificate).has_private_key
    assert other.export_key(r.certificate, b"pw").startswith(b"-----BEGIN ENCRYPTED")
    with pytest.raises(BadPasswordError):
        Pki.open(pg_url, master_key_file=tmp_path / "another.key")  # not this store's key
    assert other.delete_certificate(r.certificate).key_removed
    assert [c.thumbprint for c in other.list_certificates()] == [
        other.ca_certificate("PG Root").thumbprint
    ]
