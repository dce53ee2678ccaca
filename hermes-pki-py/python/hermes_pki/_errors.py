"""The exceptions of hermes-pki: one base class, one subclass per error kind of the core.

The core raises them (the native module looks each class up here by name); a verdict such as
"not valid", "bad signature" or "revoked" is a result object, never one of these.
"""

from __future__ import annotations


class HermesError(Exception):
    """Base class of every hermes-pki error. ``kind`` is the core's stable kind name."""

    kind: str = "other"


class ParseError(HermesError, ValueError):
    """Input could not be parsed (malformed DER/PEM, wrong PEM label, truncated data)."""

    kind = "parse"


class UnsupportedError(HermesError, ValueError):
    """The input uses an algorithm or feature this library does not support."""

    kind = "unsupported"


class WeakError(HermesError, ValueError):
    """A key or algorithm is too weak to be accepted (RSA below 2048 bits, SHA-1)."""

    kind = "weak"


class KeyMismatchError(HermesError, ValueError):
    """A private key does not belong to the certificate it was given with."""

    kind = "key-mismatch"


class BadPasswordError(HermesError, ValueError):
    """A password is wrong, or the protected data was altered."""

    kind = "bad-password"


class LimitExceededError(HermesError, ValueError):
    """The input asks for more work or memory than the limits allow."""

    kind = "limit-exceeded"


class CryptoError(HermesError):
    """A cryptographic operation failed."""

    kind = "crypto"


class NotFoundError(HermesError, LookupError):
    """The object asked for does not exist."""

    kind = "not-found"


class DuplicateError(HermesError, ValueError):
    """The object already exists where it must be unique."""

    kind = "duplicate"


class StorageError(HermesError):
    """The storage backend failed (database error, corrupt store)."""

    kind = "storage"


class IoError(HermesError, OSError):
    """Reading or writing a file failed."""

    kind = "io"


class InvalidArgumentError(HermesError, ValueError):
    """An argument is out of its allowed range."""

    kind = "invalid-argument"


class InvalidKeyError(HermesError, ValueError):
    """A private key could not be read."""

    kind = "invalid-key"


class NotCaError(HermesError, ValueError):
    """A certificate that must be a CA is not one."""

    kind = "not-ca"


class NotPermittedError(HermesError):
    """The operation is disabled by configuration or by a setting (the message says which)."""

    kind = "not-permitted"
