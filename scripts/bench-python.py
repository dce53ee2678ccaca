#!/usr/bin/env python3
"""Benchmark of the Python binding: S/MIME sign, verify, encrypt and decrypt of a 4 KB
message, N times each (default 1,000) through hermes_pki, side by side with the same work
through pyca/cryptography's PKCS#7 API in the same run, on the same RSA-2048 keys and
certificates (issued by hermes_pki, handed to cryptography through PKCS#12).

    python scripts/bench-python.py [--iterations N] [--store sqlite|memory]

Needs the hermes_pki wheel and cryptography (>= 44) installed. Prints a Markdown table: mean
time per operation and the ratio hermes_pki / cryptography. What each side does per call:

- hermes_pki goes through the store facade, as a gateway does: sign looks up the signer's
  key (unsealed from the store) and validates its chain to include it; verify checks the
  signature and validates the signer's certificate (chain, trust list, CRLs); decrypt finds
  the key for the recipient in the store. cryptography signs and decrypts with the key
  object it is given, and has no PKCS#7 verification API (verify: no comparison).
- Both: detached multipart/signed with SHA-256 and RSA PKCS#1 v1.5; AES-256-CBC content
  encryption to one RSA recipient (PKCS#1 v1.5 key transport).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

import hermes_pki
from hermes_pki import ContentCipher, KeyType, Pki

BODY = ("The quick brown fox jumps over the lazy dog. " * 100)[:4096]
MESSAGE = (
    "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: benchmark\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY.replace("dog. ", "dog.\r\n")
).encode()


def timed(n: int, f: Callable[[], object]) -> float:
    """Mean seconds per call over n calls (after one warm-up call)."""
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n


def fmt(seconds: Optional[float]) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    args = parser.parse_args()
    n: int = args.iterations

    with tempfile.TemporaryDirectory() as tmp:
        pki = Pki.open(Path(tmp) / "store") if args.store == "sqlite" else Pki.in_memory()
        pki.create_ca("Bench Root CA", key=KeyType.RSA_2048, intermediate="Bench Mail CA")
        alice = pki.issue("alice@example.com", "Alice", key=KeyType.RSA_2048)
        bob = pki.issue("bob@example.com", "Bob", key=KeyType.RSA_2048)

        # The same keys and certificates for cryptography.
        def load(cert: hermes_pki.Certificate) -> Tuple[object, x509.Certificate]:
            key, c, _ = pkcs12.load_key_and_certificates(
                pki.export_pkcs12(cert, "pw", iterations=2048), b"pw"
            )
            assert key is not None and c is not None
            return key, c

        a_key, a_cert = load(alice.certificate)
        b_key, b_cert = load(bob.certificate)
        opts = [pkcs7.PKCS7Options.DetachedSignature]

        def pyca_sign() -> bytes:
            return (
                pkcs7.PKCS7SignatureBuilder()
                .set_data(MESSAGE)
                .add_signer(a_cert, a_key, hashes.SHA256())  # type: ignore[arg-type]
                .sign(serialization.Encoding.SMIME, opts)
            )

        def pyca_encrypt() -> bytes:
            return (
                pkcs7.PKCS7EnvelopeBuilder()
                .set_data(MESSAGE)
                .set_content_encryption_algorithm(algorithms.AES256)
                .add_recipient(b_cert)
                .encrypt(serialization.Encoding.SMIME, [])
            )

        h_signed = pki.sign(MESSAGE, alice.certificate)
        h_encrypted = pki.encrypt(MESSAGE, [bob.certificate], cipher=ContentCipher.AES256_CBC)
        p_encrypted = pyca_encrypt()
        # Each side reads what the other wrote (the comparison is of the same work).
        assert pki.verify(pyca_sign()).signers[0].signature_valid
        tail = MESSAGE[-40:]
        assert tail in pki.decrypt(p_encrypted)
        assert tail in pkcs7.pkcs7_decrypt_smime(h_encrypted, b_cert, b_key, [])  # type: ignore[arg-type]
        assert pki.verify(h_signed).is_valid

        rows: List[Tuple[str, Optional[float], Optional[float]]] = []
        ours: Dict[str, Callable[[], object]] = {
            "sign": lambda: pki.sign(MESSAGE, alice.certificate),
            "verify": lambda: pki.verify(h_signed),
            "encrypt": lambda: pki.encrypt(
                MESSAGE, [bob.certificate], cipher=ContentCipher.AES256_CBC
            ),
            "decrypt": lambda: pki.decrypt(h_encrypted),
        }
        theirs: Dict[str, Optional[Callable[[], object]]] = {
            "sign": pyca_sign,
            "verify": None,
            "encrypt": pyca_encrypt,
            "decrypt": lambda: pkcs7.pkcs7_decrypt_smime(
                p_encrypted, b_cert, b_key, []  # type: ignore[arg-type]
            ),
        }
        for op, f in ours.items():
            g = theirs[op]
            rows.append((op, timed(n, f), timed(n, g) if g is not None else None))

    print(
        f"{n} operations each on a {len(MESSAGE)}-byte message, RSA-2048, "
        f"hermes_pki {hermes_pki.__version__} ({args.store} store), "
        f"cryptography {__import__('cryptography').__version__}\n"
    )
    print("| operation | hermes_pki | cryptography (PKCS#7) | ratio (hermes_pki / cryptography) |")
    print("|---|---|---|---|")
    for op, ours_s, theirs_s in rows:
        ratio = f"{ours_s / theirs_s:.2f}" if ours_s and theirs_s else "n/a (no verify API)"
        print(f"| {op} | {fmt(ours_s)} | {fmt(theirs_s)} | {ratio} |")


if __name__ == "__main__":
    main()
