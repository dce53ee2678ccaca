"""The Pki facade: CAs, certificates, validation, trust, CRLs, users, domains, settings and
selection. Every call is exercised, and bad input for each: the right exception, and the
store's listings unchanged."""

from __future__ import annotations

import http.server
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from hermes_pki import (
    Certificate,
    CrlOutcome,
    DuplicateError,
    Exclusion,
    HashAlgorithm,
    InvalidArgumentError,
    InvalidKeyError,
    IoError,
    KeyMismatchError,
    KeyType,
    NotCaError,
    NotFoundError,
    NotPermittedError,
    ParseError,
    Pki,
    ReasonKind,
    RefreshOutcome,
    RevocationReason,
    Source,
    StorageError,
    TrustStatus,
    UnsupportedError,
    Usage,
    WeakError,
    Why,
)

if TYPE_CHECKING:
    from conftest import Certs, Gateway, Snapshot

Snap = Callable[[Pki], "Snapshot"]
NOW = datetime.now(timezone.utc)


# --- opening a store -------------------------------------------------------------------


def test_open_creates_and_reopens_the_sqlite_store(gw: Gateway) -> None:
    assert (gw.dir / "hermes.db").is_file()
    again = Pki.open(str(gw.dir))
    assert [c.name for c in again.list_cas()] == ["Example Root CA", "Example Mail CA"]
    assert again.get_certificate(gw.alice.certificate.thumbprint) == gw.alice.certificate


def test_open_refuses_a_file_and_a_damaged_database(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    with pytest.raises(IoError) as info:
        Pki.open(a_file)
    assert isinstance(info.value, OSError)
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "hermes.db").write_bytes(b"this is not a SQLite database" * 100)
    with pytest.raises(StorageError):
        Pki.open(damaged)
    assert (damaged / "hermes.db").read_bytes() == b"this is not a SQLite database" * 100


# --- certificate authorities -------------------------------------------------------------


def test_create_ca_makes_root_and_issuing_intermediate(gw: Gateway) -> None:
    c = gw.created
    assert c.intermediate is not None and c.intermediate_certificate is not None
    assert c.issuing == c.intermediate
    # The first CA made is the default: the issuing intermediate.
    assert c.intermediate.is_default and not c.root.is_default
    assert c.intermediate.parent == c.root.id and c.root.parent is None
    assert c.root_certificate.is_ca and c.root_certificate.is_self_signed
    assert c.intermediate_certificate.issuer == c.root_certificate.subject
    assert "CN=Example Root CA" in c.root_certificate.subject
    assert "C=DE" in c.root_certificate.subject
    assert c.root.certificate_thumbprint == c.root_certificate.thumbprint
    assert c.root.created.tzinfo is not None and not c.root.imported
    anchors = {a.thumbprint for a in gw.pki.trust_anchors()}
    assert {c.root_certificate.thumbprint, c.intermediate_certificate.thumbprint} <= anchors


def test_create_ca_bad_input_leaves_the_store_unchanged(gw: Gateway, snap: Snap) -> None:
    before = snap(gw.pki)
    with pytest.raises(WeakError):
        gw.pki.create_ca("Other CA", key=KeyType.EC_P256, hash=HashAlgorithm.SHA1)
    with pytest.raises(DuplicateError) as dup:
        gw.pki.create_ca("example root ca", key=KeyType.EC_P256)
    assert isinstance(dup.value, ValueError) and dup.value.kind == "duplicate"
    with pytest.raises(InvalidArgumentError):
        gw.pki.create_ca("Other CA", key=KeyType.EC_P256, years=0)
    with pytest.raises(UnsupportedError):
        gw.pki.create_ca("Other CA", key=KeyType.ED25519)
    with pytest.raises(TypeError):
        gw.pki.create_ca("Other CA", key="ec-p256")  # type: ignore[arg-type]
    assert snap(gw.pki) == before


def test_import_ca_and_its_refusals(certs: Certs, tmp_path: Path, snap: Snap) -> None:
    pki = Pki.open(tmp_path)
    before = snap(pki)
    with pytest.raises(InvalidKeyError):
        pki.import_ca(certs.read("ca.pem"), b"not a key")
    with pytest.raises(KeyMismatchError):
        pki.import_ca(certs.read("ca.pem"), certs.read("leaf.key"))
    with pytest.raises(NotCaError):
        pki.import_ca(certs.read("leaf.pem"), certs.read("leaf.key"))
    with pytest.raises(ParseError):
        pki.import_ca(b"garbage", certs.read("ca.key"))
    assert snap(pki) == before
    ca = pki.import_ca(certs.read("ca.pem"), certs.read("ca.key"))
    assert ca.imported and ca.is_default and ca.name == "Test CA"
    assert pki.ca_certificate(ca.id).sha256 == certs.fingerprint("ca.pem", "sha256")
    with pytest.raises(DuplicateError):
        pki.import_ca(certs.read("ca.pem"), certs.read("ca.key"))


def test_list_get_default_and_set_default(gw: Gateway, snap: Snap) -> None:
    root, mail = gw.pki.list_cas()
    assert gw.pki.get_ca(mail.id) == mail
    assert gw.pki.get_ca("EXAMPLE MAIL CA") == mail
    default = gw.pki.default_ca()
    assert default is not None and default.id == mail.id
    gw.pki.set_default_ca("Example Root CA")
    default = gw.pki.default_ca()
    assert default is not None and default.id == root.id and default.is_default
    assert not gw.pki.get_ca(mail.id).is_default
    assert Pki.in_memory().default_ca() is None
    before = snap(gw.pki)
    with pytest.raises(NotFoundError) as info:
        gw.pki.get_ca("No Such CA")
    assert isinstance(info.value, LookupError)
    with pytest.raises(NotFoundError):
        gw.pki.set_default_ca(99)
    with pytest.raises(TypeError):
        gw.pki.get_ca(1.5)  # type: ignore[arg-type]
    assert snap(gw.pki) == before


def test_renew_ca_keeps_issued_certificates_valid(gw: Gateway, snap: Snap) -> None:
    old = gw.pki.ca_certificate(gw.ca)
    renewed = gw.pki.renew_ca(gw.ca)
    assert renewed.subject == old.subject and renewed.serial_number != old.serial_number
    assert renewed.not_after > old.not_after
    assert gw.pki.ca_certificate(gw.ca) == renewed
    assert gw.pki.validate(gw.alice.certificate).is_valid
    before = snap(gw.pki)
    with pytest.raises(NotFoundError):
        gw.pki.renew_ca(42)
    assert snap(gw.pki) == before


def test_delete_ca_refused_while_it_issued_and_allowed_when_empty(
    gw: Gateway, snap: Snap
) -> None:
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.delete_ca(gw.ca)
    with pytest.raises(NotFoundError):
        gw.pki.delete_ca(77)
    assert snap(gw.pki) == before
    spare = gw.pki.create_ca("Spare CA", key=KeyType.EC_P256)
    gw.pki.delete_ca(spare.root.id)
    assert [c.name for c in gw.pki.list_cas()] == ["Example Root CA", "Example Mail CA"]
    assert spare.root_certificate.thumbprint not in {
        a.thumbprint for a in gw.pki.trust_anchors()
    }


def test_ca_chain_and_export_key(gw: Gateway, tmp_path: Path, snap: Snap) -> None:
    chain = gw.pki.ca_chain(gw.ca)
    assert chain == [gw.created.intermediate_certificate, gw.created.root_certificate]
    before = snap(gw.pki)
    with pytest.raises(NotPermittedError) as info:
        gw.pki.export_ca_key(gw.ca)
    assert info.value.kind == "not-permitted"
    assert snap(gw.pki) == before
    allowed = Pki.open(gw.dir, allow_ca_key_export=True)
    pem = allowed.export_ca_key(gw.ca)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    key = serialization.load_pem_private_key(pem, password=None)
    ca_cert = gw.pki.ca_certificate(gw.ca)
    from cryptography import x509

    ca_public = x509.load_der_x509_certificate(ca_cert.der).public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    assert key.public_key().public_bytes(der, spki) == ca_public.public_bytes(der, spki)
    encrypted = allowed.export_ca_key("Example Mail CA", password=b"secret")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_issue_and_issued_records(gw: Gateway, snap: Snap) -> None:
    issued = gw.pki.issue(
        "Carol@Example.COM", "Carol Example", organization="Example", given_name="Carol",
        surname="Example", days=30, key=KeyType.RSA_2048, hash=HashAlgorithm.SHA384,
        crl_distribution_point="http://crl.example.com/mail.crl", ca="Example Mail CA",
    )
    c = issued.certificate
    assert c.emails == ["Carol@example.com"]
    assert "CN=Carol Example" in c.subject and not c.is_ca
    assert c.extended_key_usage == ["1.3.6.1.5.5.7.3.4"]
    assert c.crl_distribution_points == ["http://crl.example.com/mail.crl"]
    assert c.not_after - c.not_before == timedelta(days=30)
    assert issued.chain[0] == gw.pki.ca_certificate(gw.ca)
    assert issued.record.serial_number == c.serial_number > 0
    assert issued.record.email == "Carol@example.com" and issued.record.ca == gw.ca
    records = gw.pki.issued_certificates(gw.ca)
    assert {r.thumbprint for r in records} == {
        gw.alice.certificate.thumbprint, gw.bob.certificate.thumbprint, c.thumbprint
    }
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.issue("dave@example.com", "Dave", days=0)
    with pytest.raises(InvalidArgumentError):
        gw.pki.issue("not an address", "Dave")
    with pytest.raises(UnsupportedError):
        gw.pki.issue("dave@example.com", "Dave", key=KeyType.ED25519)
    with pytest.raises(WeakError):
        gw.pki.issue("dave@example.com", "Dave", hash=HashAlgorithm.SHA1)
    with pytest.raises(NotFoundError):
        gw.pki.issue("dave@example.com", "Dave", ca=99)
    assert snap(gw.pki) == before
    with pytest.raises(NotFoundError):
        Pki.in_memory().issue("dave@example.com", "Dave", key=KeyType.EC_P256)


# --- certificates ----------------------------------------------------------------------


def test_import_certificates_reports_problems_and_stores_the_rest(
    certs: Certs, tmp_path: Path, snap: Snap
) -> None:
    pki = Pki.open(tmp_path)
    bundle = certs.read("ca.pem") + certs.read("leaf.key") + certs.read("leaf.pem")
    report = pki.import_certificates(bundle)
    assert [c.sha256 for c in report.certificates] == [
        certs.fingerprint("ca.pem", "sha256"), certs.fingerprint("leaf.pem", "sha256")
    ]
    assert len(report.problems) == 1 and report.problems[0].kind == "parse"
    assert {c.sha256 for c in pki.list_certificates()} == {
        c.sha256 for c in report.certificates
    }
    before = snap(pki)
    garbage = pki.import_certificates(b"garbage")
    assert garbage.certificates == [] and len(garbage.problems) == 1
    assert snap(pki) == before


def test_list_certificates_filters(gw: Gateway, certs: Certs, snap: Snap) -> None:
    gw.pki.import_certificates(certs.read("leaf.pem"))
    alice = gw.alice.certificate
    by_mail = gw.pki.list_certificates(email="alice@EXAMPLE.com")
    assert set(by_mail) == {alice, Certificate.from_pem(certs.read("leaf.pem"))}
    with_key = gw.pki.list_certificates(with_key=True)
    assert alice in with_key and Certificate.from_pem(certs.read("leaf.pem")) not in with_key
    assert Certificate.from_pem(certs.read("leaf.pem")) in gw.pki.list_certificates(
        with_key=False
    )
    later = alice.not_after + timedelta(days=1)
    assert alice in gw.pki.list_certificates(expired_at=later)
    assert alice not in gw.pki.list_certificates(unexpired_at=later)
    everything = gw.pki.list_certificates()
    assert gw.pki.list_certificates(offset=1, limit=2) == everything[1:3]
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.list_certificates(expired_at=later, unexpired_at=later)
    with pytest.raises(InvalidArgumentError):
        gw.pki.list_certificates(email="no address")
    with pytest.raises(ValueError):
        gw.pki.list_certificates(expired_at=datetime(2030, 1, 1))
    assert snap(gw.pki) == before


def test_get_and_show_certificate(gw: Gateway) -> None:
    t = gw.alice.certificate.thumbprint
    assert gw.pki.get_certificate(t.lower()) == gw.alice.certificate
    details = gw.pki.show_certificate(gw.alice.certificate)
    assert details.certificate == gw.alice.certificate
    assert details.has_private_key and not details.is_trust_anchor
    assert details.trust_list_entry is None
    root = gw.pki.show_certificate(gw.created.root_certificate)
    assert root.is_trust_anchor and root.trust_list_entry is not None
    assert root.trust_list_entry.status is TrustStatus.WHITELISTED
    with pytest.raises(NotFoundError):
        gw.pki.get_certificate("AB" * 64)
    with pytest.raises(NotFoundError):
        gw.pki.show_certificate("AB" * 64)
    with pytest.raises(InvalidArgumentError):
        gw.pki.get_certificate("xyz")
    with pytest.raises(InvalidArgumentError):
        gw.pki.get_certificate("AB" * 10)
    with pytest.raises(TypeError):
        gw.pki.get_certificate(42)  # type: ignore[arg-type]


# --- validation and trust --------------------------------------------------------------


def test_validate_valid_with_chain(gw: Gateway) -> None:
    v = gw.pki.validate(gw.alice.certificate)
    assert v.is_valid and v.reasons == []
    assert v.chain[0] == gw.alice.certificate
    assert v.chain[-1] in gw.pki.trust_anchors()
    assert gw.pki.validate(gw.alice.certificate, usage=Usage.SMIME_ENCRYPTION).is_valid
    now = datetime.now(timezone.utc)
    assert gw.pki.validate(gw.alice.certificate, usage=Usage.ANY, at=now).is_valid
    tls = gw.pki.validate(
        gw.alice.certificate, usage=Usage.TLS_SERVER, server_name="mail.example.com"
    )
    assert not tls.is_valid and tls.reasons


def test_validate_not_valid_is_a_result_with_typed_reasons(gw: Gateway, certs: Certs) -> None:
    later = gw.alice.certificate.not_after + timedelta(days=1)
    v = gw.pki.validate(gw.alice.certificate, at=later)
    assert not v.is_valid and v.chain == []
    expired = [r for r in v.reasons if r.kind is ReasonKind.EXPIRED]
    assert expired and expired[0].date == gw.alice.certificate.not_after
    assert expired[0].subject == gw.alice.certificate.subject and expired[0].message
    stranger = Certificate.from_pem(certs.read("leaf.pem"))
    v = gw.pki.validate(stranger)
    assert not v.is_valid
    assert [r.kind for r in v.reasons] == [ReasonKind.NO_PATH_TO_TRUST_ANCHOR]


def test_validate_bad_input(gw: Gateway) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        gw.pki.validate(gw.alice.certificate, at=datetime(2030, 1, 1))
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidArgumentError):
        gw.pki.validate(gw.alice.certificate, server_name="mail.example.com")
    with pytest.raises(InvalidArgumentError):
        gw.pki.validate(gw.alice.certificate, usage=Usage.TLS_SERVER)
    with pytest.raises(TypeError):
        gw.pki.validate(gw.alice.certificate.der)  # type: ignore[arg-type]


def test_trust_anchor_added_makes_its_certificates_valid(
    certs: Certs, tmp_path: Path, snap: Snap
) -> None:
    pki = Pki.open(tmp_path)
    leaf = Certificate.from_pem(certs.read("leaf.pem"))
    ca = Certificate.from_pem(certs.read("ca.pem"))
    assert not pki.validate(leaf, usage=Usage.ANY).is_valid
    before = snap(pki)
    with pytest.raises(NotCaError):
        pki.add_trust_anchor(leaf)
    assert snap(pki) == before
    pki.add_trust_anchor(ca)
    assert pki.trust_anchors() == [ca]
    v = pki.validate(leaf, usage=Usage.SMIME_SIGNING)
    assert v.is_valid and v.chain == [leaf, ca]


def test_trust_list_blacklist_and_remove(gw: Gateway, snap: Snap) -> None:
    bob = gw.bob.certificate
    gw.pki.set_trust_list_entry(bob, TrustStatus.BLACKLISTED)
    entry = [e for e in gw.pki.trust_list() if e.thumbprint == bob.thumbprint]
    assert entry and entry[0].status is TrustStatus.BLACKLISTED and not entry[0].allow_expired
    v = gw.pki.validate(bob)
    assert not v.is_valid
    black = [r for r in v.reasons if r.kind is ReasonKind.BLACKLISTED]
    assert black and black[0].thumbprint == bob.thumbprint
    assert gw.pki.remove_trust_list_entry(bob.thumbprint) is True
    assert gw.pki.remove_trust_list_entry(bob.thumbprint) is False
    assert gw.pki.validate(bob).is_valid
    gw.pki.set_trust_list_entry(bob.thumbprint, TrustStatus.WHITELISTED, allow_expired=True)
    assert any(e.allow_expired for e in gw.pki.trust_list() if e.thumbprint == bob.thumbprint)
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.set_trust_list_entry(bob, TrustStatus.BLACKLISTED, allow_expired=True)
    with pytest.raises(InvalidArgumentError):
        gw.pki.set_trust_list_entry("00", TrustStatus.BLACKLISTED)
    with pytest.raises(TypeError):
        gw.pki.set_trust_list_entry(bob, "blacklisted")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        gw.pki.remove_trust_list_entry("zz")
    assert snap(gw.pki) == before


# --- CRLs ------------------------------------------------------------------------------


def test_revoke_with_a_crl_and_validate_again(gw: Gateway, snap: Snap) -> None:
    assert gw.pki.validate(gw.bob.certificate).is_valid
    crl = gw.pki.create_crl(
        gw.ca, revoke=[gw.bob.certificate], reason=RevocationReason.KEY_COMPROMISE
    )
    assert crl.number >= 1 and crl.pem.startswith("-----BEGIN X509 CRL-----")
    v = gw.pki.validate(gw.bob.certificate)
    assert not v.is_valid
    revoked = [r for r in v.reasons if r.kind is ReasonKind.REVOKED]
    assert revoked and revoked[0].revocation_reason is RevocationReason.KEY_COMPROMISE
    assert revoked[0].date is not None
    assert gw.pki.validate(gw.alice.certificate).is_valid
    listed = [c for c in gw.pki.list_crls() if c.id == crl.id]
    assert listed and listed[0].is_valid and listed[0].entries == 1
    assert listed[0].number == crl.number and not listed[0].is_delta
    assert gw.pki.crl_der(crl.id) == crl.der
    # The next CRL carries bob forward; an int serial revokes too.
    alice_serial = gw.alice.certificate.serial_number
    second = gw.pki.create_crl(gw.ca, revoke=[alice_serial], next_update_days=30)
    assert second.number > crl.number
    assert not gw.pki.validate(gw.alice.certificate).is_valid
    assert not gw.pki.validate(gw.bob.certificate).is_valid
    before = snap(gw.pki)
    with pytest.raises(NotFoundError):
        gw.pki.create_crl(gw.ca, revoke=[123456789])
    with pytest.raises(InvalidArgumentError):
        gw.pki.create_crl(gw.ca, next_update_days=0)
    with pytest.raises(InvalidArgumentError):
        gw.pki.create_crl(gw.ca, revoke=[-1])
    with pytest.raises(InvalidArgumentError):
        gw.pki.create_crl(gw.ca, revoke=[alice_serial], reason=RevocationReason.REMOVE_FROM_CRL)
    with pytest.raises(WeakError):
        gw.pki.create_crl(gw.ca, hash=HashAlgorithm.SHA1)
    with pytest.raises(TypeError):
        gw.pki.create_crl(gw.ca, revoke=["01"])  # type: ignore[list-item]
    assert snap(gw.pki) == before


def test_import_list_export_and_delete_crls(
    gw: Gateway, new_gateway: Callable[[Path], Gateway], tmp_path: Path, snap: Snap
) -> None:
    crl = gw.pki.create_crl(gw.ca, revoke=[gw.bob.certificate])
    again = gw.pki.import_crls(crl.der, source="same.crl")
    assert [i.outcome for i in again] == [CrlOutcome.ALREADY_STORED]
    assert again[0].id == crl.id and again[0].issuer is not None
    # A store that does not know the issuer keeps the CRL pending.
    other = Pki.open(tmp_path / "other")
    pending = other.import_crls(crl.pem.encode(), source="mail.crl")
    assert [i.outcome for i in pending] == [CrlOutcome.STORED_PENDING]
    info = other.list_crls()
    assert len(info) == 1 and info[0].source == "mail.crl" and info[0].entries == 1
    before = snap(other)
    with pytest.raises(ParseError):
        other.import_crls(b"not a CRL")
    with pytest.raises(NotFoundError):
        other.delete_crl(999)
    with pytest.raises(InvalidArgumentError):
        other.crl_der(0)
    with pytest.raises(NotFoundError):
        other.crl_der(999)
    assert snap(other) == before
    other.delete_crl(info[0].id)
    assert other.list_crls() == []


class _CrlServer:
    """A local HTTP server for CRL distribution points (path -> body; others 404)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
                body = bodies.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def crl_server() -> Iterator[_CrlServer]:
    s = _CrlServer()
    yield s
    s.server.shutdown()


def test_refresh_crls_from_distribution_points(gw: Gateway, crl_server: _CrlServer) -> None:
    url = f"{crl_server.url}/mail.crl"
    missing = f"{crl_server.url}/missing.crl"
    carol = gw.pki.issue(
        "carol@example.com", "Carol", key=KeyType.EC_P256, crl_distribution_point=url
    )
    gw.pki.issue("dave@example.com", "Dave", key=KeyType.EC_P256, crl_distribution_point=missing)
    assert gw.pki.crl_distribution_points() == sorted([url, missing])
    # The CRL the CA publishes is made in another store holding the same CA.
    crl = gw.pki.create_crl(gw.ca, revoke=[carol.certificate])
    gw.pki.delete_crl(crl.id)
    assert gw.pki.validate(carol.certificate).is_valid
    crl_server.bodies["/mail.crl"] = crl.der
    # The server is on 127.0.0.1: private addresses are refused unless the setting allows them.
    refused = {r.url: r for r in gw.pki.refresh_crls(timeout=timedelta(seconds=10))}
    assert refused[url].outcome is RefreshOutcome.FETCH_FAILED
    assert "crl-fetch-allow-private" in (refused[url].error or "")
    gw.pki.set_setting("crl-fetch-allow-private", "on")
    report = {
        r.url: r for r in gw.pki.refresh_crls(force=True, timeout=timedelta(seconds=10))
    }
    assert report[url].outcome is RefreshOutcome.IMPORTED
    assert [i.outcome for i in report[url].imports] == [CrlOutcome.STORED]
    assert report[missing].outcome is RefreshOutcome.FETCH_FAILED
    failed = report[missing].error
    assert failed is not None and "404" in failed
    assert not gw.pki.validate(carol.certificate).is_valid
    later = gw.pki.refresh_crls()
    assert {r.outcome for r in later} == {RefreshOutcome.NOT_DUE}
    assert all(r.due is not None and r.due > NOW for r in later)
    forced = {r.url: r for r in gw.pki.refresh_crls(force=True, interval=timedelta(hours=1))}
    assert [i.outcome for i in forced[url].imports] == [CrlOutcome.ALREADY_STORED]


# --- users, domains, settings ----------------------------------------------------------


def test_users_and_domains(gw: Gateway, snap: Snap) -> None:
    assert gw.pki.add_user("Erin@Example.COM") is True
    assert gw.pki.add_user("Erin@example.com") is False
    assert "Erin@example.com" in gw.pki.users()
    assert gw.pki.add_domain("Example.ORG") is True
    assert gw.pki.domains() == ["example.org"]
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.add_user("no address")
    with pytest.raises(InvalidArgumentError):
        gw.pki.add_domain("not a domain!")
    with pytest.raises(InvalidArgumentError):
        gw.pki.remove_user("@@")
    assert snap(gw.pki) == before
    assert gw.pki.remove_user("Erin@EXAMPLE.com") is True
    assert gw.pki.remove_user("Erin@example.com") is False
    assert gw.pki.remove_domain("example.org") is True
    assert gw.pki.remove_domain("example.org") is False


def test_settings_levels_and_refusals(gw: Gateway, snap: Snap) -> None:
    gw.pki.set_setting("encrypt", "required", domain="example.com")
    gw.pki.set_setting("sign", "off", user="alice@example.com")
    e = gw.pki.get_setting("encrypt", user="alice@example.com")
    assert (e.key, e.value, e.source) == ("encrypt", "required", Source.DOMAIN)
    assert [lv.source for lv in e.levels] == [Source.DOMAIN]
    s = gw.pki.get_setting("sign", user="alice@example.com")
    assert (s.value, s.source) == ("off", Source.USER)
    assert gw.pki.get_setting("sign").source is Source.DEFAULT
    assert "alice@example.com" in gw.pki.users() and "example.com" in gw.pki.domains()
    keys = [x.key for x in gw.pki.settings(user="alice@example.com")]
    assert keys[:2] == ["sign", "encrypt"] and "revocation" in keys
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.set_setting("nonsense", "on")
    with pytest.raises(InvalidArgumentError):
        gw.pki.set_setting("encrypt", "always", user="bob@example.com")
    with pytest.raises(InvalidArgumentError):
        gw.pki.set_setting("sign", "on", user="a@example.com", domain="example.com")
    with pytest.raises(InvalidArgumentError):
        gw.pki.get_setting("sign", user="no address")
    with pytest.raises(InvalidArgumentError):
        gw.pki.settings(domain="bad domain!")
    assert snap(gw.pki) == before
    assert gw.pki.unset_setting("sign", user="alice@example.com") is True
    assert gw.pki.unset_setting("sign", user="alice@example.com") is False


# --- selection -------------------------------------------------------------------------


def test_selection_automatic_manual_and_left_out(gw: Gateway, snap: Snap) -> None:
    sel = gw.pki.encryption_certificates("bob@example.com")
    assert sel.recipient == "bob@example.com" and sel.auto_select
    assert [(s.certificate, s.why) for s in sel.selected] == [
        (gw.bob.certificate, Why.AUTOMATIC)
    ]
    signer = gw.pki.signing_certificate("alice@example.com")
    assert signer is not None and signer.certificate == gw.alice.certificate
    assert signer.why is Why.AUTOMATIC and signer.source is None
    assert gw.pki.signing_certificate("nobody@example.com") is None
    # Bob's certificate chosen by hand for a team address.
    added = gw.pki.select_encryption_certificates("team@example.com", [gw.bob.certificate])
    assert added == [gw.bob.certificate.thumbprint]
    team = gw.pki.encryption_certificates("team@example.com")
    assert [(s.certificate, s.why) for s in team.selected] == [(gw.bob.certificate, Why.MANUAL)]
    gw.pki.deselect_encryption_certificates("team@example.com", [gw.bob.certificate.thumbprint])
    assert gw.pki.encryption_certificates("team@example.com").selected == []
    # auto-select off: left out, with why.
    gw.pki.set_setting("auto-select", "off", user="bob@example.com")
    off = gw.pki.encryption_certificates("bob@example.com")
    assert off.selected == [] and not off.auto_select
    assert [lo.exclusion for lo in off.left_out] == [Exclusion.AUTO_SELECT_OFF]
    assert off.left_out[0].certificate == gw.bob.certificate and off.left_out[0].message
    gw.pki.select_signing_certificate("alice@example.com", gw.alice.certificate)
    chosen = gw.pki.signing_certificate("alice@example.com")
    assert chosen is not None and chosen.why is Why.MANUAL
    assert gw.pki.automatic_signing_certificate("alice@example.com") is True
    assert gw.pki.automatic_signing_certificate("alice@example.com") is False
    before = snap(gw.pki)
    with pytest.raises(InvalidArgumentError):
        gw.pki.select_encryption_certificates("team@example.com", [])
    with pytest.raises(InvalidArgumentError):
        gw.pki.select_encryption_certificates("team@example.com", [gw.created.root_certificate])
    with pytest.raises(NotFoundError):
        gw.pki.select_encryption_certificates("team@example.com", ["AB" * 64])
    with pytest.raises(NotFoundError):
        gw.pki.deselect_encryption_certificates("team@example.com", [gw.alice.certificate])
    with pytest.raises(InvalidArgumentError):
        gw.pki.select_signing_certificate("team@example.com", gw.created.root_certificate)
    with pytest.raises(InvalidArgumentError):
        gw.pki.encryption_certificates("not an address")
    with pytest.raises(InvalidArgumentError):
        gw.pki.signing_certificate("not an address")
    with pytest.raises(InvalidArgumentError):
        gw.pki.automatic_signing_certificate("not an address")
    assert snap(gw.pki) == before


def test_selection_left_out_invalid_with_reasons(gw: Gateway) -> None:
    gw.pki.set_trust_list_entry(gw.bob.certificate, TrustStatus.BLACKLISTED)
    sel = gw.pki.encryption_certificates("bob@example.com")
    assert sel.selected == []
    (lo,) = sel.left_out
    assert lo.exclusion is Exclusion.INVALID and lo.why is Why.AUTOMATIC
    assert [r.kind for r in lo.reasons] == [ReasonKind.BLACKLISTED]


def test_unknown_cas_and_wrong_types_are_refused(gw: Gateway, snap: Snap) -> None:
    before = snap(gw.pki)
    for call in (
        lambda: gw.pki.ca_certificate(99),
        lambda: gw.pki.ca_chain("No Such CA"),
        lambda: gw.pki.issued_certificates(99),
        lambda: Pki.open(gw.dir, allow_ca_key_export=True).export_ca_key(99),
        lambda: gw.pki.create_crl("No Such CA"),
    ):
        with pytest.raises(NotFoundError):
            call()
    with pytest.raises(TypeError):
        gw.pki.import_certificates("not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gw.pki.add_trust_anchor(gw.created.root_certificate.der)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        gw.pki.open_message("not bytes")  # type: ignore[arg-type]
    with pytest.raises((OverflowError, ValueError)):
        gw.pki.refresh_crls(interval=timedelta(seconds=-1))
    assert snap(gw.pki) == before


def test_every_exposed_call_is_exercised_by_the_tests() -> None:
    import re

    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    for cls in (Pki, Certificate):
        for name in dir(cls):
            if not name.startswith("_"):
                assert re.search(r"\." + name + r"\b", sources), f"{cls.__name__}.{name}"
