"""Tests the GENERATED UniFFI Python bindings (hermes-pki-ffi/generated/python)."""

import os
import subprocess
import uuid
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


# --- certificate requests, bulk CSV, lifecycle, PostgreSQL ------------------------------------

def request_options(email, name, **kw):
    fields = dict(email=email, common_name=name, handler=None, organization=None,
                  given_name=None, surname=None, days=None, key=ffi.KeyType.EC_P256, ca_id=None,
                  crl_distribution_point=None, create_user=False, deliver_pkcs12=None,
                  store_password=False)
    fields.update(kw)
    return ffi.RequestOptions(**fields)


def csr_policy(**kw):
    fields = dict(email=None, allowed_domains=[], copy_subject_fields=False, days=None,
                  ca_id=None, crl_distribution_point=None, create_user=False)
    fields.update(kw)
    return ffi.CsrPolicy(**fields)


def info(r):
    """A request's fields, times to the second: the stores keep whole seconds while the
    record a call returns has the clock's full precision."""
    return (r.id, r.handler, r.status, r.email, r.key_id, r.csr, r.reference,
            r.certificate_thumbprint, int(r.created.timestamp()), int(r.updated.timestamp()),
            int(r.next_attempt.timestamp()), r.attempts, r.last_error)


def state(pki):
    """The store's certificates (with whether their key is stored), anchors and requests."""
    return ([(c.thumbprint(), c) for c in pki.certificates(None)],
            [c.thumbprint() for c in pki.trust_anchors()], pki.requests_list(None),
            pki.users())


def external_ca(d):
    """A CA outside the store (openssl) that signs PKCS#10 requests."""
    if not (d / "ext-ca.pem").exists():
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ext-ca.key", "-out", "ext-ca.pem", "-days", "30",
                "-subj", "/CN=External CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    return d


def sign_csr(d, csr_pem, email, name):
    external_ca(d)
    (d / f"{name}.csr").write_text(csr_pem)
    (d / f"{name}.ext").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ext-ca.pem", "-CAkey", "ext-ca.key",
            "-CAcreateserial", "-days", "20", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
            cwd=d)
    return (d / f"{name}.pem").read_bytes()


def test_built_in_request_with_delivery_and_refusals(gateways):
    a = gateways["a"]
    r = a.request(request_options("carol@a.example", "Carol", deliver_pkcs12=12,
                                  create_user=True), "pki@a.example")
    assert not r.is_pending and r.request.status == ffi.RequestStatus.COMPLETED
    assert r.request.handler == "built-in" and r.certificate.emails() == ["carol@a.example"]
    assert r.request.certificate_thumbprint == r.certificate.thumbprint()
    assert len(r.delivery.password) == 12 and b"From: pki@a.example" in r.delivery.message
    imported = ffi.Pki.in_memory().import_pkcs12(r.delivery.pkcs12, r.delivery.password)
    assert imported.certificate == r.certificate
    assert "carol@a.example" in a.users()
    assert info(a.request_get(r.request.id)) == info(r.request)
    assert [info(x) for x in a.requests_list(ffi.RequestStatus.COMPLETED)] == [info(r.request)]
    before = state(a)
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request(request_options("carol@a.example", "Carol", deliver_pkcs12=3), None)
    with pytest.raises(ffi.HermesError.NotFound):
        a.request(request_options("carol@a.example", "Carol", handler="nope"), None)
    with pytest.raises(ffi.HermesError.NotFound):
        a.request(request_options("carol@a.example", "Carol", ca_id=999), None)
    with pytest.raises(ffi.HermesError.NotFound):
        a.request_csr(r.request.id)
    with pytest.raises(ffi.HermesError.NotFound):
        a.request_get(r.request.id + 50)
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_get(0)
    assert state(a) == before


def test_outward_csr_complete_reschedule_cancel(gateways, certdir):
    a = gateways["a"]
    r = a.request(request_options("dave@a.example", "Dave", handler="csr"), None)
    assert r.is_pending and r.certificate is None and r.request.key_id
    rid = r.request.id
    pem = a.request_csr_pem(rid)
    assert pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert a.request_csr(rid) == r.request.csr
    issued = sign_csr(certdir, pem, "dave@a.example", "dave")
    before = state(a)
    with pytest.raises(ffi.HermesError.KeyMismatch):
        a.request_complete(rid, (certdir / "cert.pem").read_bytes(), None)
    with pytest.raises(ffi.HermesError.Parse):
        a.request_complete(rid, b"garbage", None)
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_retry(rid)
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_approve(rid)
    assert state(a) == before
    when = datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert a.request_reschedule(rid, when).next_attempt == when
    assert a.requests_run_due() == []
    done = a.request_complete(rid, issued + (certdir / "ext-ca.pem").read_bytes(), None)
    assert done.request.status == ffi.RequestStatus.COMPLETED
    assert done.certificate.emails() == ["dave@a.example"]
    assert [c.subject() for c in done.chain] == ["CN=External CA"]
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_cancel(rid)

    other = a.request(request_options("erin@a.example", "Erin", handler="csr"), None)
    cancelled = a.request_cancel(other.request.id)
    assert cancelled.status == ffi.RequestStatus.CANCELLED
    assert a.requests_list(ffi.RequestStatus.PENDING) == []

    third = a.request(request_options("finn@a.example", "Finn", handler="csr"), None)
    loaded = a.import_certificates(
        sign_csr(certdir, a.request_csr_pem(third.request.id), "finn@a.example", "finn"))
    matched = a.request_complete_matching(loaded.certificates)
    assert [m.request.id for m in matched] == [third.request.id]
    assert a.request_complete_matching(loaded.certificates) == []


def test_inward_csr_submit_and_approve(gateways, certdir):
    a = gateways["a"]
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "client.key", "-out", "client.csr",
            "-subj", "/CN=Client/emailAddress=gus@a.example", cwd=certdir)
    csr = (certdir / "client.csr").read_bytes()
    before = state(a)
    with pytest.raises(ffi.HermesError.NotPermitted):
        a.submit_csr(csr, csr_policy(allowed_domains=["b.example"]), False)
    with pytest.raises(ffi.HermesError.NotPermitted):
        a.submit_csr(csr, csr_policy(email="other@a.example"), True)
    with pytest.raises(ffi.HermesError.Parse):
        a.submit_csr(b"not a request", csr_policy(), False)
    assert state(a) == before
    r = a.submit_csr(csr, csr_policy(allowed_domains=["a.example"], days=50), False)
    assert r.is_pending and r.request.handler == "csr-inward"
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_retry(r.request.id)
    done = a.request_approve(r.request.id)
    assert done.certificate.emails() == ["gus@a.example"]
    assert done.certificate.not_after_unix() - done.certificate.not_before_unix() == 50 * 86400
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.request_approve(r.request.id)


BULK = (b"EMAIL,COMMONNAME,DEPARTMENT\nhal@a.example,Hal\nalice@a.example,Alice\n"
        b"ida@a.example,Ida\n")


def test_bulk_preview_and_run(gateways):
    a = gateways["a"]
    template = request_options("", "", deliver_pkcs12=10)
    before = state(a)
    plan = a.bulk_preview(BULK, template, True, None)
    assert [(r.line, r.email) for r in plan.rows] == [(2, "hal@a.example"), (4, "ida@a.example")]
    assert [n.email for n in plan.skipped] == ["alice@a.example"]
    assert plan.errors == [] and plan.ignored_columns == ["DEPARTMENT"]
    assert len(a.bulk_preview(BULK, template, False, None).rows) == 3
    with pytest.raises(ffi.HermesError.LimitExceeded):
        a.bulk_preview(BULK, template, True, ffi.BulkLimits(max_rows=2, max_value_chars=None))
    with pytest.raises(ffi.HermesError.Parse):
        a.bulk_preview(b"EMAIL\nhal@a.example\n", template, True, None)
    bad = b"EMAIL,COMMONNAME\nhal@a.example,Hal\nnot an address,X\n"
    assert [e.line for e in a.bulk_preview(bad, template, True, None).errors] == [3]
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.bulk_run(bad, template, True, None, None)
    assert state(a) == before
    report = a.bulk_run(BULK, template, True, None, None)
    assert report.is_complete and report.failed is None and report.not_issued == []
    assert [i.line for i in report.issued] == [2, 4]
    assert all(len(i.result.delivery.password) == 10 for i in report.issued)


def test_lifecycle_delete_anchor_import_export_key(gateways, certdir):
    a, alice = gateways["a"], gateways["alice"]
    ca_thumb = gateways["ca_a"].root_certificate.thumbprint()
    loaded = a.import_certificates((certdir / "cert.pem").read_bytes())
    leaf = loaded.certificates[0]
    before = state(a)
    with pytest.raises(ffi.HermesError.NotPermitted):
        a.delete_certificate(ca_thumb)
    with pytest.raises(ffi.HermesError.NotPermitted):
        a.remove_trust_anchor(ca_thumb)
    with pytest.raises(ffi.HermesError.NotFound):
        a.remove_trust_anchor(leaf.thumbprint())
    with pytest.raises(ffi.HermesError.InvalidKey):
        a.import_key(b"not a key", None)
    with pytest.raises(ffi.HermesError.KeyMismatch):
        a.import_key(external_ca(certdir).joinpath("ext-ca.key").read_bytes(), None)
    with pytest.raises(ffi.HermesError.NotFound):
        a.export_key(leaf.thumbprint(), b"pw", None)
    with pytest.raises(ffi.HermesError.NotPermitted):
        a.export_key(ca_thumb, b"pw", None)
    with pytest.raises(ffi.HermesError.InvalidArgument):
        a.export_key(alice.certificate.thumbprint(), b"", None)
    assert state(a) == before

    imported = a.import_key((certdir / "key.pem").read_bytes(), None)
    assert imported.certificates == [leaf.thumbprint()] and imported.newly_stored
    for kdf in (None, ffi.KeyDerivation.PBKDF2_SHA256):
        pem = a.export_key(leaf.thumbprint(), b"secret", kdf)
        assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        again = a.import_key(pem.encode(), b"secret")
        assert again.key_id == imported.key_id and not again.newly_stored
    with pytest.raises(ffi.HermesError.BadPassword):
        a.import_key(a.export_key(leaf.thumbprint(), b"secret", None).encode(), b"wrong")

    other = gateways["ca_b"].root_certificate
    assert other in a.trust_anchors()
    a.remove_trust_anchor(other.thumbprint())
    assert other not in a.trust_anchors()
    assert a.delete_certificate(alice.certificate.thumbprint()) is True
    assert a.certificate(alice.certificate.thumbprint()) is None
    with pytest.raises(ffi.HermesError.NotFound):
        a.delete_certificate(alice.certificate.thumbprint())


def test_open_postgresql_store_by_url(tmp_path, monkeypatch):
    admin = os.environ.get("HERMES_PKI_TEST_PG_URL", "").strip()
    if not admin:
        reason = "HERMES_PKI_TEST_PG_URL is not set (scripts/pg-test-cluster.sh start DIR)"
        if os.environ.get("CI"):
            pytest.fail(reason + "; CI never skips the PostgreSQL test")
        print(f"NOTICE: PostgreSQL test skipped: {reason}")
        pytest.skip(reason)
    name = f"hpki_ffi_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    scheme, rest = admin.split("://", 1)
    url = f"{scheme}://{rest.split('/', 1)[0]}/{name}"
    try:
        key = str(tmp_path / "master.key")
        monkeypatch.delenv("HERMES_PKI_MASTER_KEY_FILE", raising=False)
        with pytest.raises(ffi.HermesError.InvalidArgument):
            ffi.Pki.open(url)
        monkeypatch.setenv("HERMES_PKI_MASTER_KEY_FILE", key)
        pki = ffi.Pki.open(url)
        pki.ca_create(ca_request("PG CA"))
        r = pki.request(request_options("pat@a.example", "Pat", handler="csr"), None)
        monkeypatch.delenv("HERMES_PKI_MASTER_KEY_FILE")
        again = ffi.Pki.open_with_key_file(url, key)
        assert [c.name for c in again.ca_list()] == ["PG CA"]
        assert [info(x) for x in again.requests_list(ffi.RequestStatus.PENDING)] == [
            info(r.request)]
        with pytest.raises(ffi.HermesError.BadPassword):
            ffi.Pki.open_with_key_file(url, str(tmp_path / "other.key"))
        del pki, again
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=True)
