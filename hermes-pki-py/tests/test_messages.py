"""The gateway's two operations (protect, open_message), S/MIME sign / verify / encrypt /
decrypt, and PKCS#12 in and out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from hermes_pki import (
    BadPasswordError,
    ContentCipher,
    EncryptPolicy,
    InvalidArgumentError,
    KeyType,
    LayerKind,
    LimitExceededError,
    NotEncrypted,
    NotFoundError,
    NotPermittedError,
    NotSigned,
    OpenedKind,
    ParseError,
    Pki,
    ReasonKind,
    RevocationReason,
    SignatureForm,
    SignerProblemKind,
    Source,
    TrustStatus,
    Unreadable,
    Why,
)

if TYPE_CHECKING:
    from conftest import Gateway, Snapshot

Snap = Callable[[Pki], "Snapshot"]

MAIL = (
    b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\n"
    b"Hello Bob, this is Alice.\r\n"
)


def test_protect_signs_and_encrypts_and_open_reads_it(gw: Gateway, snap: Snap) -> None:
    before = snap(gw.pki)
    p = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"])
    assert snap(gw.pki) == before  # protect writes nothing
    assert p.signed and p.not_signed is None and p.signer is not None
    assert p.signer.certificate == gw.alice.certificate and p.signer.why is Why.AUTOMATIC
    (msg,) = p.messages
    assert msg.signed and msg.cipher is ContentCipher.AES256_CBC
    assert msg.recipients == ["bob@example.com"]
    assert msg.encrypted_to == [gw.bob.certificate.thumbprint]
    (r,) = p.recipients
    assert r.encrypted and r.message_index == 0 and r.not_encrypted is None
    assert (r.policy, r.policy_source) == (EncryptPolicy.IF_POSSIBLE, Source.DEFAULT)
    assert [(c.thumbprint, c.why) for c in r.certificates] == [
        (gw.bob.certificate.thumbprint, Why.AUTOMATIC)
    ]
    assert b"Hello Bob" not in msg.message
    o = gw.pki.open_message(msg.message)
    assert o.kind is OpenedKind.PROCESSED
    assert o.is_valid and o.is_signed and o.is_encrypted
    assert [layer.kind for layer in o.layers] == [LayerKind.ENCRYPTED, LayerKind.SIGNED]
    enc, sig = o.layers
    assert enc.recipient_certificate == gw.bob.certificate and enc.cipher
    assert sig.form is SignatureForm.DETACHED
    (signer,) = sig.signers
    assert signer.is_valid and signer.problems == []
    assert signer.certificate == gw.alice.certificate
    assert o.entity is not None and o.entity.endswith(b"Hello Bob, this is Alice.\r\n")
    assert o.outer_header is not None and b"Subject: hello" in o.outer_header
    assert o.senders == ["alice@example.com"]
    assert b"Hello Bob, this is Alice." in o.message


def test_protect_per_recipient_decisions(gw: Gateway) -> None:
    gw.pki.set_setting("encrypt", "never", user="bob@example.com")
    gw.pki.set_setting("sign", "off", domain="example.com")
    p = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com", "carol@example.net"])
    assert not p.signed and p.signer is None
    assert (p.not_signed, p.not_signed_source) == (NotSigned.SETTING_OFF, Source.DOMAIN)
    bob, carol = p.recipients
    assert not bob.encrypted and bob.not_encrypted is NotEncrypted.SETTING_NEVER
    assert bob.not_encrypted_source is Source.USER and bob.policy is EncryptPolicy.NEVER
    assert not carol.encrypted and carol.not_encrypted is NotEncrypted.NO_CERTIFICATE
    (msg,) = p.messages
    assert msg.cipher is None and not msg.signed and msg.message.endswith(b"this is Alice.\r\n")
    o = gw.pki.open_message(msg.message)
    assert o.kind is OpenedKind.NOT_SMIME and o.message == msg.message and o.layers == []


def test_protect_refusals(gw: Gateway, snap: Snap) -> None:
    gw.pki.set_setting("encrypt", "required", user="carol@example.net")
    before = snap(gw.pki)
    with pytest.raises(NotPermittedError) as info:
        gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com", "carol@example.net"])
    assert "carol@example.net" in str(info.value)
    with pytest.raises(InvalidArgumentError):
        gw.pki.protect(MAIL, "alice@example.com", [])
    with pytest.raises(InvalidArgumentError):
        gw.pki.protect(MAIL, "not an address", ["bob@example.com"])
    with pytest.raises(InvalidArgumentError):
        gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"], at=__import__(
            "datetime").datetime(2030, 1, 1))
    with pytest.raises(TypeError):
        gw.pki.protect(MAIL, "alice@example.com", "bob@example.com")
    assert snap(gw.pki) == before


def test_open_verdicts_are_results(
    gw: Gateway, new_gateway: Callable[[Path], Gateway], tmp_path: Path
) -> None:
    p = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"])
    # Another store has no key for bob: unreadable, not an exception.
    other = new_gateway(tmp_path / "other")
    o = other.pki.open_message(p.messages[0].message)
    assert o.kind is OpenedKind.UNREADABLE and o.unreadable is Unreadable.NO_KEY
    assert o.unreadable_detail and o.message == p.messages[0].message
    # Signed only, then alice revoked: the signer is not valid, with the reason.
    gw.pki.set_setting("encrypt", "never", user="bob@example.com")
    signed = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"]).messages[0].message
    gw.pki.create_crl(gw.ca, revoke=[gw.alice.certificate], reason=RevocationReason.SUPERSEDED)
    o = gw.pki.open_message(signed, informational_headers=True)
    assert o.kind is OpenedKind.PROCESSED and o.is_signed and not o.is_valid
    (signer,) = o.layers[0].signers
    assert not signer.is_valid
    (problem,) = signer.problems
    assert problem.kind is SignerProblemKind.CERTIFICATE
    assert [r.kind for r in problem.certificate_reasons] == [ReasonKind.REVOKED]
    assert b"X-Hermes-" in o.message
    # Altered in transit: a bad signature.
    tampered = signed.replace(b"Hello Bob", b"Hello Bub")
    o = gw.pki.open_message(tampered)
    (signer,) = o.layers[0].signers
    assert [pr.kind for pr in signer.problems][0] is SignerProblemKind.SIGNATURE
    assert signer.problems[0].signature
    # A garbage S/MIME body is unreadable.
    junk = (
        b"From: a@example.com\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data"
        b"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
    )
    o = gw.pki.open_message(junk)
    assert o.kind is OpenedKind.UNREADABLE and o.unreadable in (
        Unreadable.MALFORMED, Unreadable.UNSUPPORTED
    )


def test_open_signer_is_not_sender(gw: Gateway) -> None:
    gw.pki.set_setting("encrypt", "never", user="bob@example.com")
    signed = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"]).messages[0].message
    forged = signed.replace(b"From: alice@example.com", b"From: mallory@example.com")
    o = gw.pki.open_message(forged)
    (signer,) = o.layers[0].signers
    kinds = [pr.kind for pr in signer.problems]
    assert SignerProblemKind.SIGNER_IS_NOT_SENDER in kinds
    p = signer.problems[kinds.index(SignerProblemKind.SIGNER_IS_NOT_SENDER)]
    assert p.sender_addresses == ["mallory@example.com"]
    assert p.signer_addresses == ["alice@example.com"]


def test_sign_verify_encrypt_decrypt(gw: Gateway) -> None:
    for form in (SignatureForm.DETACHED, SignatureForm.OPAQUE):
        signed = gw.pki.sign(MAIL, gw.alice.certificate, form=form)
        v = gw.pki.verify(signed)
        assert v.is_valid and v.form is form
        (s,) = v.signers
        assert s.signature_valid and s.is_valid and s.certificate == gw.alice.certificate
        assert s.validation is not None and s.validation.is_valid
        assert v.message.endswith(b"Hello Bob, this is Alice.\r\n")
    tampered = gw.pki.sign(MAIL, gw.alice.certificate).replace(b"Hello Bob", b"Hello Bub")
    v = gw.pki.verify(tampered)
    assert not v.is_valid and not v.signers[0].signature_valid
    for cipher in (ContentCipher.AES256_CBC, ContentCipher.AES128_GCM):
        enc = gw.pki.encrypt(MAIL, [gw.bob.certificate], cipher=cipher)
        assert b"Hello Bob" not in enc
        assert gw.pki.decrypt(enc).endswith(b"Hello Bob, this is Alice.\r\n")
    with pytest.raises(NotFoundError):
        Pki.in_memory().sign(MAIL, gw.alice.certificate)
    with pytest.raises(InvalidArgumentError):
        gw.pki.encrypt(MAIL, [])
    with pytest.raises(ParseError):
        gw.pki.verify(MAIL)
    with pytest.raises(ParseError):
        gw.pki.decrypt(MAIL)
    other = Pki.in_memory()
    with pytest.raises(NotFoundError):
        other.decrypt(gw.pki.encrypt(MAIL, [gw.bob.certificate]))


def test_pkcs12_out_and_in(gw: Gateway, tmp_path: Path, snap: Snap) -> None:
    p12 = gw.pki.export_pkcs12(gw.alice.certificate, "pw", iterations=2048)
    key, cert, extra = pkcs12.load_key_and_certificates(p12, b"pw")
    assert key is not None and cert is not None
    from cryptography.hazmat.primitives.serialization import Encoding

    assert cert.public_bytes(Encoding.DER) == gw.alice.certificate.der
    assert len(extra) == 2
    named = gw.pki.export_pkcs12(
        gw.alice.certificate.thumbprint, "pw", friendly_name="Alice's key", legacy=True
    )
    loaded = pkcs12.load_pkcs12(named, b"pw")
    assert loaded.cert is not None and loaded.cert.friendly_name == b"Alice's key"
    elsewhere = Pki.open(tmp_path / "elsewhere")
    before = snap(elsewhere)
    with pytest.raises(BadPasswordError) as info:
        elsewhere.import_pkcs12(p12, "wrong")
    assert isinstance(info.value, ValueError)
    with pytest.raises(ParseError):
        elsewhere.import_pkcs12(b"garbage", "pw")
    with pytest.raises(LimitExceededError):
        elsewhere.import_pkcs12(b"\x30" * (17 * 1024 * 1024), "pw")
    assert snap(elsewhere) == before
    imported = elsewhere.import_pkcs12(p12, "pw")
    assert imported.certificate == gw.alice.certificate
    assert imported.newly_stored == 3 and len(imported.chain) == 2
    assert elsewhere.show_certificate(gw.alice.certificate).has_private_key
    keyless = Pki.open(tmp_path / "keyless")
    keyless.import_certificates(gw.bob.certificate.der)
    before = snap(keyless)
    with pytest.raises(NotFoundError):
        keyless.export_pkcs12("AB" * 64, "pw")
    with pytest.raises(NotFoundError):
        keyless.export_pkcs12(gw.bob.certificate, "pw")
    assert snap(keyless) == before


def test_whitelisted_signer_after_blacklist_removed(gw: Gateway) -> None:
    gw.pki.set_trust_list_entry(gw.alice.certificate, TrustStatus.BLACKLISTED)
    signed = gw.pki.sign(MAIL, gw.alice.certificate)
    v = gw.pki.verify(signed)
    assert not v.is_valid and v.signers[0].signature_valid
    assert v.signers[0].validation is not None
    assert [r.kind for r in v.signers[0].validation.reasons] == [ReasonKind.BLACKLISTED]
    p = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"])
    assert (p.not_signed, p.signer) == (NotSigned.NO_CERTIFICATE, None)


def test_issue_rsa_keys_work_end_to_end(gw: Gateway) -> None:
    carol = gw.pki.issue("carol@example.com", "Carol", key=KeyType.RSA_2048)
    enc = gw.pki.encrypt(MAIL, [carol.certificate])
    assert gw.pki.decrypt(enc).endswith(b"this is Alice.\r\n")
    assert gw.pki.verify(gw.pki.sign(MAIL, carol.certificate)).signers[0].signature_valid


def test_protect_adds_escrow_certificates_with_their_level(gw: Gateway) -> None:
    escrow = gw.pki.issue("escrow@example.com", "Escrow", key=KeyType.EC_P256)
    gw.pki.set_setting("additional-certificates", escrow.certificate.thumbprint)
    p = gw.pki.protect(MAIL, "alice@example.com", ["bob@example.com"])
    (r,) = p.recipients
    assert [(c.thumbprint, c.why, c.source) for c in r.certificates] == [
        (gw.bob.certificate.thumbprint, Why.AUTOMATIC, None),
        (escrow.certificate.thumbprint, Why.ADDITIONAL, Source.GLOBAL),
    ]
    assert set(p.messages[0].encrypted_to) == {
        gw.bob.certificate.thumbprint, escrow.certificate.thumbprint
    }
    sel = gw.pki.encryption_certificates("bob@example.com")
    assert [(s.why, s.source) for s in sel.selected] == [
        (Why.AUTOMATIC, None), (Why.ADDITIONAL, Source.GLOBAL)
    ]
