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


# --- the Pki facade through the generated bindings ---------------------------------------------

def ca_request(name, **kw):
    fields = dict(common_name=name, organization=None, country=None, key=ffi.KeyType.EC_P256,
                  years=None, intermediate=None, make_default=True)
    fields.update(kw)
    return ffi.CaRequest(**fields)


def issue_request(email, name, **kw):
    fields = dict(email=email, common_name=name, organization=None, days=None,
                  key=ffi.KeyType.EC_P256, ca_id=None, crl_distribution_point=None)
    fields.update(kw)
    return ffi.IssueRequest(**fields)


@pytest.fixture()
def gateways(tmp_path):
    """Two gateways that trust each other's CA: A (a SQLite store) with alice, B (in memory)
    with bob, and bob's certificate imported at A."""
    a = ffi.Pki.open(str(tmp_path / "a"))
    b = ffi.Pki.in_memory()
    ca_a = a.ca_create(ca_request("Gateway A CA"))
    ca_b = b.ca_create(ca_request("Gateway B CA"))
    alice = a.issue(issue_request("alice@a.example", "Alice"))
    bob = b.issue(issue_request("bob@b.example", "Bob"))
    a.add_trust_anchor(ca_b.root_certificate)
    b.add_trust_anchor(ca_a.root_certificate)
    loaded = a.import_certificates(bob.certificate.to_pem().encode())
    assert len(loaded.certificates) == 1 and loaded.problems == []
    return dict(a=a, b=b, ca_a=ca_a, ca_b=ca_b, alice=alice, bob=bob)


MAIL = (b"From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: Ticket 4711\r\n\r\n"
        b"Hello Bob, the ticket is solved.\r\n")


def test_ca_list_default_export_renew(gateways):
    a, ca = gateways["a"], gateways["ca_a"]
    assert ca.root.is_default and not ca.root.imported and ca.intermediate is None
    assert [c.id for c in a.ca_list()] == [ca.root.id]
    assert a.ca_default() == ca.root
    assert a.ca_find("gateway a ca").id == ca.root.id
    chain = a.ca_export(ca.root.id)
    assert chain[0] == ca.root_certificate and chain[0].is_ca()
    renewed = a.ca_renew(ca.root.id)
    assert renewed.subject() == ca.root_certificate.subject() and renewed != ca.root_certificate
    assert a.ca_find(str(ca.root.id)).thumbprint == renewed.thumbprint()
    with pytest.raises(ffi.HermesError.NotFound):
        a.ca_set_default(999)
    with pytest.raises(ffi.HermesError.Duplicate):
        a.ca_create(ca_request("Gateway A CA"))


def test_issue_and_validate_with_typed_verdict(gateways):
    a, b, bob, alice = gateways["a"], gateways["b"], gateways["bob"], gateways["alice"]
    assert bob.certificate.emails() == ["bob@b.example"]
    assert bob.chain[-1] == gateways["ca_b"].root_certificate
    ok = a.validate(bob.certificate, ffi.Usage.SMIME_ENCRYPTION(), None, [])
    assert ok.valid and ok.reasons == []
    assert ok.chain[0] == bob.certificate and ok.chain[-1] == gateways["ca_b"].root_certificate
    # A third store trusts nobody: not valid is a verdict with typed reasons, not an error.
    lonely = ffi.Pki.in_memory()
    bad = lonely.validate(alice.certificate, ffi.Usage.SMIME_SIGNING(), None, [])
    assert not bad.valid and bad.chain == []
    assert bad.reasons[0].kind == ffi.ReasonKind.NO_PATH_TO_TRUST_ANCHOR
    assert bad.reasons[0].message
    # Expired: validated after notAfter.
    later = datetime.fromtimestamp(bob.certificate.not_after_unix() + 86400, timezone.utc)
    expired = a.validate(bob.certificate, ffi.Usage.SMIME_ENCRYPTION(), later, [])
    assert ffi.ReasonKind.EXPIRED in [r.kind for r in expired.reasons]
    # The trust list: blacklisted, then removed.
    bob_thumb = bob.certificate.thumbprint()
    assert bob_thumb not in [e.thumbprint for e in a.trust_list()]
    a.trust_list_set(bob_thumb, ffi.TrustStatus.BLACKLISTED, False)
    [entry] = [e for e in a.trust_list() if e.thumbprint == bob_thumb]
    assert entry.status == ffi.TrustStatus.BLACKLISTED and not entry.allow_expired
    black = a.validate(bob.certificate, ffi.Usage.SMIME_ENCRYPTION(), None, [])
    assert [r.kind for r in black.reasons] == [ffi.ReasonKind.BLACKLISTED]
    assert a.trust_list_remove(bob.certificate.thumbprint())
    assert not a.trust_list_remove(bob.certificate.thumbprint())
    with pytest.raises(ffi.HermesError.NotCa):
        a.add_trust_anchor(alice.certificate)
    anchors = a.trust_anchors()
    assert gateways["ca_b"].root_certificate in anchors


def test_certificates_listed_and_shown(gateways):
    a, bob = gateways["a"], gateways["bob"]
    assert a.certificates("bob@b.example") == [bob.certificate]
    assert bob.certificate in a.certificates(None)
    assert a.certificate(bob.certificate.thumbprint()) == bob.certificate
    assert a.certificate("00" * 64) is None
    with pytest.raises(ffi.HermesError):
        a.certificate("not hex")


def test_protect_and_open_with_verdicts(gateways):
    a, b = gateways["a"], gateways["b"]
    result = a.protect(MAIL, "alice@a.example", ["bob@b.example"], None)
    assert result.signing.signed and result.signing.certificate == gateways["alice"].certificate
    assert result.signing.why.kind == "automatic"
    [outcome] = result.recipients
    assert outcome.recipient == "bob@b.example" and outcome.encrypted and outcome.why_not is None
    assert [c.thumbprint for c in outcome.certificates] == [gateways["bob"].certificate.thumbprint()]
    assert outcome.policy == "if-possible" and outcome.policy_source == "default"
    message = result.messages[outcome.message_index]
    assert message.signed and message.cipher is not None
    assert message.encrypted_to == [gateways["bob"].certificate.thumbprint()]

    opened = b.open_message(message.message, None)
    assert opened.is_processed()
    m = opened.opened
    assert m.valid and m.signed and m.encrypted
    assert b"Hello Bob, the ticket is solved." in m.message
    assert m.senders == ["alice@a.example"]
    assert [l.is_encrypted() for l in m.layers] == [True, False]
    [signer] = m.signers
    assert signer.valid and signer.reasons == [] and signer.addresses == ["alice@a.example"]
    assert signer.certificate == gateways["alice"].certificate
    # Self-introduction stored Alice's certificate at B.
    assert signer.stored and b.certificate(gateways["alice"].certificate.thumbprint())

    # Informational header fields when asked.
    with_headers = b.open_message(message.message, ffi.OpenOptions(at=None,
                                                                   informational_headers=True))
    assert b"X-Hermes-Signature: valid" in with_headers.opened.message

    # A's own message is not for A's keys: unreadable (no key), an answer.
    unreadable = a.open_message(message.message, None)
    assert unreadable.is_unreadable() and unreadable.reason == ffi.UnreadableReason.NO_KEY
    # Plain text is not S/MIME.
    plain = b.open_message(MAIL, None)
    assert plain.is_not_smime() and plain.message == MAIL


def test_signer_is_not_sender_is_a_typed_reason(gateways):
    a, b = gateways["a"], gateways["b"]
    forged = MAIL.replace(b"From: Alice <alice@a.example>", b"From: Mallory <boss@a.example>")
    result = a.protect(forged, "alice@a.example", ["bob@b.example"], None)
    opened = b.open_message(result.messages[0].message, None).opened
    assert not opened.valid
    [signer] = opened.signers
    assert not signer.valid
    kinds = [r for r in signer.reasons if r.is_signer_is_not_sender()]
    assert kinds and kinds[0].senders == ["boss@a.example"]
    assert signer.messages


def test_settings_users_domains_and_required_encryption(gateways):
    a = gateways["a"]
    assert a.add_user("carol@c.example") and not a.add_user("carol@c.example")
    assert "carol@c.example" in a.users()
    assert a.add_domain("c.example") and a.domains() == ["c.example"]
    user = ffi.Scope.USER(email="carol@c.example")
    assert a.setting_set(user, "encrypt", "required") == "required"
    eff = a.setting(user, "encrypt")
    assert eff.value == "required" and eff.source == "user"
    assert any(s.key == "sign" for s in a.settings(ffi.Scope.GLOBAL()))
    with pytest.raises(ffi.HermesError.NotPermitted) as info:
        a.protect(MAIL, "alice@a.example", ["carol@c.example"], None)
    assert "carol@c.example" in str(info.value)
    assert a.setting_unset(user, "encrypt")
    unencrypted = a.protect(MAIL, "alice@a.example", ["carol@c.example"], None)
    assert not unencrypted.recipients[0].encrypted
    assert unencrypted.recipients[0].why_not == "no-certificate"
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.setting_set(user, "no-such-setting", "on")
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.protect(MAIL, "alice@a.example", [], None)
    assert a.remove_user("carol@c.example") and a.remove_domain("c.example")


def test_selection(gateways):
    a, bob, alice = gateways["a"], gateways["bob"], gateways["alice"]
    sel = a.encryption_certificates("bob@b.example", None)
    assert [s.certificate for s in sel.selected] == [bob.certificate]
    assert sel.selected[0].why.kind == "automatic" and sel.left_out == []
    signing = a.signing_certificate("alice@a.example", None)
    assert signing.certificate == alice.certificate
    assert a.signing_certificate("bob@b.example", None) is None  # no key of Bob's at A
    a.select_signing("alice@a.example", alice.certificate.thumbprint())
    assert a.signing_certificate("alice@a.example", None).why.kind == "manual"
    assert a.automatic_signing("alice@a.example")
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.select_signing("alice@a.example", bob.certificate.thumbprint())


def test_pkcs12_out_and_in(gateways):
    a, alice = gateways["a"], gateways["alice"]
    data = a.export_pkcs12(alice.certificate.thumbprint(), "secret")
    other = ffi.Pki.in_memory()
    with pytest.raises(ffi.HermesError.BadPassword):
        other.import_pkcs12(data, "wrong")
    imported = other.import_pkcs12(data, "secret")
    assert imported.certificate == alice.certificate and imported.newly_stored >= 1
    assert other.certificate(alice.certificate.thumbprint()) == alice.certificate
    with pytest.raises(ffi.HermesError.NotFound):
        a.export_pkcs12(gateways["bob"].certificate.thumbprint(), "secret")  # no key at A


def test_crl_create_import_and_revocation(gateways):
    b, bob = gateways["b"], gateways["bob"]
    crl = b.crl_create(None, [ffi.RevocationRequest(serial=bob.serial, reason="keyCompromise")],
                       None)
    assert crl.number >= 1 and crl.der
    assert any(c.id == crl.id and c.entries == 1 and c.valid for c in b.crl_list())
    revoked = b.validate(bob.certificate, ffi.Usage.SMIME_SIGNING(), None, [])
    [reason] = [r for r in revoked.reasons if r.kind == ffi.ReasonKind.REVOKED]
    assert reason.revocation_reason == "keyCompromise" and reason.time is not None
    # The CRL imported at A revokes Bob there too.
    a = gateways["a"]
    [outcome] = a.crl_import(crl.der, "b.crl")
    assert outcome.outcome == "stored" and outcome.id is not None
    assert not a.validate(bob.certificate, ffi.Usage.SMIME_ENCRYPTION(), None, []).valid
    with pytest.raises(ffi.HermesError.Parse):
        a.crl_import(b"not a crl", None)
    assert a.crl_refresh(False) == []  # no distribution points in these certificates
