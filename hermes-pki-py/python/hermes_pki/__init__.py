"""hermes-pki: the certificate and S/MIME engine of an email encryption gateway.

Certificates are parsed by the Rust core; this package only exposes it.
"""

from ._native import (
    BadPasswordError,
    Certificate,
    CryptoError,
    DuplicateError,
    HermesError,
    InvalidArgumentError,
    IoError,
    KeyMismatchError,
    LimitExceededError,
    LoadProblem,
    NotFoundError,
    ParseError,
    StorageError,
    UnsupportedError,
    WeakError,
    __version__,
    load_certificates,
)

__all__ = [
    "BadPasswordError",
    "Certificate",
    "CryptoError",
    "DuplicateError",
    "HermesError",
    "InvalidArgumentError",
    "IoError",
    "KeyMismatchError",
    "LimitExceededError",
    "LoadProblem",
    "NotFoundError",
    "ParseError",
    "StorageError",
    "UnsupportedError",
    "WeakError",
    "__version__",
    "load_certificates",
]
