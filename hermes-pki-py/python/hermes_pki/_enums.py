"""The kinds hermes-pki takes and returns, as enums. Each value is the core's own name."""

from __future__ import annotations

import enum


class KeyType(enum.Enum):
    """A key to generate (CAs and issued certificates)."""

    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    RSA_4096 = "rsa-4096"
    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"
    #: Signing only: refused for S/MIME certificates and CAs (UnsupportedError).
    ED25519 = "ed25519"


class HashAlgorithm(enum.Enum):
    """The digest of a signature. SHA-1 is refused for new signatures (WeakError)."""

    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class Usage(enum.Enum):
    """What a validated certificate must be good for."""

    SMIME_SIGNING = "smime-signing"
    SMIME_ENCRYPTION = "smime-encryption"
    #: A TLS server certificate (give ``server_name``).
    TLS_SERVER = "tls-server"
    #: Any use: the chain is checked, the end certificate's usages are not.
    ANY = "any"


class TrustStatus(enum.Enum):
    """A trust-list decision."""

    WHITELISTED = "whitelisted"
    BLACKLISTED = "blacklisted"


class RevocationReason(enum.Enum):
    """The CRLReason of RFC 5280 5.3.1 (the RFC's names)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    REMOVE_FROM_CRL = "removeFromCRL"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"


class SignatureForm(enum.Enum):
    """How a message is signed."""

    #: multipart/signed, readable without S/MIME (the default).
    DETACHED = "detached"
    #: application/pkcs7-mime; smime-type=signed-data.
    OPAQUE = "opaque"


class ContentCipher(enum.Enum):
    """The content encryption of an encrypted message."""

    AES128_CBC = "aes128-cbc"
    AES256_CBC = "aes256-cbc"
    AES128_GCM = "aes128-gcm"
    AES256_GCM = "aes256-gcm"


class Source(enum.Enum):
    """Where a setting's value came from."""

    USER = "user"
    DOMAIN = "domain"
    GLOBAL = "global"
    DEFAULT = "default"


class Why(enum.Enum):
    """Why a certificate is (or would have been) selected."""

    MANUAL = "manual"
    AUTOMATIC = "automatic"
    #: Named by the additional-certificates setting (escrow).
    ADDITIONAL = "additional"


class Exclusion(enum.Enum):
    """Why a certificate that was considered for selection is left out."""

    NOT_STORED = "not-stored"
    INVALID = "invalid"
    AUTO_SELECT_OFF = "auto-select-off"
    NO_KEY = "no-key"


class EncryptPolicy(enum.Enum):
    """The effective ``encrypt`` setting of a recipient."""

    NEVER = "never"
    IF_POSSIBLE = "if-possible"
    REQUIRED = "required"


class NotSigned(enum.Enum):
    """Why protect() did not sign."""

    SETTING_OFF = "setting-off"
    NO_CERTIFICATE = "no-certificate"


class NotEncrypted(enum.Enum):
    """Why protect() did not encrypt for a recipient."""

    SETTING_NEVER = "setting-never"
    NO_CERTIFICATE = "no-certificate"


class OpenedKind(enum.Enum):
    """The three answers of open_message()."""

    NOT_SMIME = "not-smime"
    UNREADABLE = "unreadable"
    PROCESSED = "processed"


class Unreadable(enum.Enum):
    """Why an S/MIME message could not be read here."""

    NO_KEY = "no-key"
    DECRYPTION_FAILED = "decryption-failed"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"
    TOO_MANY_LAYERS = "too-many-layers"


class LayerKind(enum.Enum):
    """An S/MIME layer."""

    ENCRYPTED = "encrypted"
    SIGNED = "signed"


class SignerProblemKind(enum.Enum):
    """Why a signer is not valid."""

    SIGNATURE = "signature"
    CERTIFICATE_NOT_FOUND = "certificate-not-found"
    CERTIFICATE = "certificate"
    SIGNER_IS_NOT_SENDER = "signer-is-not-sender"


class ReasonKind(enum.Enum):
    """Why a certificate is not valid (one per rule of the trust engine)."""

    NO_PATH_TO_TRUST_ANCHOR = "no-path-to-trust-anchor"
    BUDGET_EXCEEDED = "budget-exceeded"
    CHAIN_TOO_LONG = "chain-too-long"
    NOT_YET_VALID = "not-yet-valid"
    EXPIRED = "expired"
    BAD_SIGNATURE = "bad-signature"
    ISSUER_NOT_CA = "issuer-not-ca"
    ISSUER_CANNOT_SIGN_CERTIFICATES = "issuer-cannot-sign-certificates"
    PATH_LENGTH_EXCEEDED = "path-length-exceeded"
    UNKNOWN_CRITICAL_EXTENSION = "unknown-critical-extension"
    MALFORMED = "malformed"
    PROFILE = "profile"
    WEAK_ALGORITHM = "weak-algorithm"
    WEAK_KEY = "weak-key"
    NAME_CONSTRAINTS = "name-constraints"
    POLICY = "policy"
    REVOKED = "revoked"
    STALE_CRL = "stale-crl"
    NO_REVOCATION_INFO = "no-revocation-info"
    BLACKLISTED = "blacklisted"
    USAGE = "usage"
    EXTENDED_KEY_USAGE = "extended-key-usage"
    LEAF_IS_CA = "leaf-is-ca"
    NAME_MISMATCH = "name-mismatch"
    #: A kind this version of the bindings does not know yet (see the message).
    OTHER = "other"


class WarningKind(enum.Enum):
    """What a valid result still tells."""

    PROFILE = "profile"
    NO_REVOCATION_INFO = "no-revocation-info"
    STALE_CRL = "stale-crl"
    OTHER = "other"


class CrlOutcome(enum.Enum):
    """What importing one CRL did."""

    STORED = "stored"
    STORED_PENDING = "stored-pending"
    STORED_INVALID = "stored-invalid"
    NOT_NEWER = "not-newer"
    ALREADY_STORED = "already-stored"
    UNREADABLE = "unreadable"


class RefreshOutcome(enum.Enum):
    """What refreshing one CRL distribution point did."""

    NOT_DUE = "not-due"
    IMPORTED = "imported"
    FETCH_FAILED = "fetch-failed"
    UNREADABLE = "unreadable"


class RequestStatus(enum.Enum):
    """Where a certificate request stands."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RequestHandler(enum.Enum):
    """The built-in certificate request handlers (a request's ``handler`` is its name)."""

    #: The store's CA issues at once.
    BUILT_IN = "built-in"
    #: Outward: a key and a PKCS#10 request for an external CA; pending until completed.
    CSR = "csr"
    #: Inward: a client's PKCS#10 (``submit_csr``); pending until approved.
    CSR_INWARD = "csr-inward"


class KeyDerivation(enum.Enum):
    """How the passphrase of an exported private key is stretched."""

    #: scrypt (N=2^14, r=8, p=1): the default.
    SCRYPT = "scrypt"
    #: PBKDF2-HMAC-SHA256, 600,000 iterations (for tools without scrypt).
    PBKDF2_SHA256 = "pbkdf2-sha256"
