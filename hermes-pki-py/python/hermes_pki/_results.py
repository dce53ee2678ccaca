"""The result objects of hermes-pki: frozen dataclasses the native module fills in.

They carry what the core answered, converted to Python types (bytes, str, int, datetime in
UTC, enums); they compute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional

from ._enums import (
    ContentCipher,
    CrlOutcome,
    EncryptPolicy,
    Exclusion,
    LayerKind,
    NotEncrypted,
    NotSigned,
    OpenedKind,
    ReasonKind,
    RefreshOutcome,
    RequestStatus,
    RevocationReason,
    SignatureForm,
    SignerProblemKind,
    Source,
    TrustStatus,
    Unreadable,
    WarningKind,
    Why,
)
from ._native import Certificate, LoadProblem


@dataclass(frozen=True)
class CaInfo:
    """A certificate authority of the store."""

    id: int
    name: str
    #: SHA-512 thumbprint of the CA's current certificate (upper-case hex).
    certificate_thumbprint: str
    #: The CA above it in this store (the root of a root + intermediate pair).
    parent: Optional[int]
    is_default: bool
    imported: bool
    created: datetime


@dataclass(frozen=True)
class CreatedCa:
    """What create_ca() made: a root, and the intermediate that issues when one was asked for."""

    root: CaInfo
    root_certificate: Certificate
    intermediate: Optional[CaInfo]
    intermediate_certificate: Optional[Certificate]
    #: The CA that issues: the intermediate if one was made, else the root.
    issuing: CaInfo


@dataclass(frozen=True)
class IssuedInfo:
    """The record of a certificate a CA of the store issued."""

    ca: int
    serial_number: int
    subject: str
    email: Optional[str]
    thumbprint: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime


@dataclass(frozen=True)
class Issued:
    """A newly issued certificate (its private key is stored, sealed, in the store)."""

    certificate: Certificate
    #: The issuing CA's certificate and those above it, issuer first.
    chain: List[Certificate]
    record: IssuedInfo


@dataclass(frozen=True)
class ImportReport:
    """What import_certificates() read and stored, and what it could not read."""

    certificates: List[Certificate]
    problems: List[LoadProblem]


@dataclass(frozen=True)
class TrustListEntry:
    """An entry of the trust list."""

    thumbprint: str
    status: TrustStatus
    #: For a whitelisted certificate: still trusted after it expired.
    allow_expired: bool


@dataclass(frozen=True)
class CertificateDetails:
    """A stored certificate and what the store knows about it."""

    certificate: Certificate
    has_private_key: bool
    is_trust_anchor: bool
    trust_list_entry: Optional[TrustListEntry]


@dataclass(frozen=True)
class Reason:
    """One reason a certificate is not valid."""

    kind: ReasonKind
    #: The message an admin reads.
    message: str
    #: The certificate the reason is about, when it names one.
    subject: Optional[str]
    #: notAfter (expired), notBefore (not yet valid), revocation date, or a stale CRL's
    #: nextUpdate.
    date: Optional[datetime]
    #: For a revoked certificate: the CRL reason, if given.
    revocation_reason: Optional[RevocationReason]
    #: For a blacklisted certificate: its SHA-512 thumbprint.
    thumbprint: Optional[str]


@dataclass(frozen=True)
class ValidationWarning:
    """Something a valid result still tells."""

    kind: WarningKind
    message: str
    subject: Optional[str]
    date: Optional[datetime]


@dataclass(frozen=True)
class Validation:
    """The verdict of validate(): valid with its chain, or not valid with every reason."""

    is_valid: bool
    #: From the certificate (first) to the trust anchor (last); empty when not valid.
    chain: List[Certificate]
    warnings: List[ValidationWarning]
    #: Why not valid (at least one when not valid; empty when valid).
    reasons: List[Reason]


@dataclass(frozen=True)
class CreatedCrl:
    """A CRL made by create_crl(), already in the CRL store."""

    id: int
    number: int
    der: bytes
    pem: str


@dataclass(frozen=True)
class CrlImport:
    """What importing one CRL of an input did."""

    #: The CRL's issuer (RFC 4514); None when it could not be read.
    issuer: Optional[str]
    outcome: CrlOutcome
    #: The stored CRL's id (stored, pending, invalid, already stored) or the current one that
    #: stays (not newer).
    id: Optional[int]
    #: The CRLs a newly stored one replaced.
    replaced: List[int]
    #: Why it is invalid or unreadable.
    detail: Optional[str]


@dataclass(frozen=True)
class CrlInfo:
    """A CRL of the store."""

    id: int
    issuer: str
    number: Optional[int]
    is_delta: bool
    this_update: datetime
    next_update: Optional[datetime]
    is_valid: bool
    #: Why a stored CRL is not used.
    invalid_reason: Optional[str]
    entries: int
    source: Optional[str]
    stored_at: datetime


@dataclass(frozen=True)
class CrlRefresh:
    """What refreshing one distribution point URL did."""

    url: str
    outcome: RefreshOutcome
    #: When a URL that is not due will be due.
    due: Optional[datetime]
    imports: List[CrlImport]
    #: Why the fetch failed or the body was not a CRL.
    error: Optional[str]


@dataclass(frozen=True)
class SettingLevel:
    """A level that has a value for a setting."""

    source: Source
    value: str


@dataclass(frozen=True)
class EffectiveSetting:
    """The value a setting has for a scope, and where it came from."""

    key: str
    value: str
    source: Source
    #: Every level with a value, most specific first.
    levels: List[SettingLevel]


@dataclass(frozen=True)
class SelectedCertificate:
    """A selected certificate and why it is there."""

    certificate: Certificate
    why: Why
    #: For an additional certificate: the level whose list names it.
    source: Optional[Source]


@dataclass(frozen=True)
class LeftOutCertificate:
    """A certificate that was considered and left out, with why."""

    thumbprint: str
    certificate: Optional[Certificate]
    why: Why
    exclusion: Exclusion
    message: str
    #: For an invalid certificate: the validation's reasons.
    reasons: List[Reason]


@dataclass(frozen=True)
class EncryptionSelection:
    """The encryption certificates of a recipient."""

    recipient: str
    auto_select: bool
    selected: List[SelectedCertificate]
    left_out: List[LeftOutCertificate]


@dataclass(frozen=True)
class Pkcs12Import:
    """What import_pkcs12() stored."""

    certificate: Certificate
    #: The other certificates of the file (stored as certificates, not trusted).
    chain: List[Certificate]
    #: How many of the file's certificates were not in the store before.
    newly_stored: int


@dataclass(frozen=True)
class SelectedThumbprint:
    """A certificate a recipient's message is encrypted to, by thumbprint, and why."""

    thumbprint: str
    why: Why
    #: For an additional certificate: the level whose list names it.
    source: Optional[Source]


@dataclass(frozen=True)
class ProtectedMessage:
    """One protected message and the recipients who get it."""

    message: bytes
    recipients: List[str]
    signed: bool
    #: None: not encrypted.
    cipher: Optional[ContentCipher]
    #: Thumbprints of the certificates it is encrypted to.
    encrypted_to: List[str]


@dataclass(frozen=True)
class RecipientResult:
    """What protect() did for one recipient, and why."""

    recipient: str
    policy: EncryptPolicy
    policy_source: Source
    encrypted: bool
    #: The certificates the recipient's message is encrypted to on its account.
    certificates: List[SelectedThumbprint]
    left_out: List[LeftOutCertificate]
    #: Why not encrypted (None when encrypted).
    not_encrypted: Optional[NotEncrypted]
    #: For NotEncrypted.SETTING_NEVER: where the ``never`` came from.
    not_encrypted_source: Optional[Source]
    #: Index of the recipient's message in Protected.messages.
    message_index: int


@dataclass(frozen=True)
class Protected:
    """What protect() made: one message per group of recipients, and per recipient why."""

    signed: bool
    signer: Optional[SelectedCertificate]
    #: Why not signed (None when signed).
    not_signed: Optional[NotSigned]
    #: For NotSigned.SETTING_OFF: where the ``off`` came from.
    not_signed_source: Optional[Source]
    messages: List[ProtectedMessage]
    recipients: List[RecipientResult]


@dataclass(frozen=True)
class SignerProblem:
    """One reason a signer is not valid."""

    kind: SignerProblemKind
    message: str
    #: For SIGNATURE: the signature status's message.
    signature: Optional[str]
    #: For CERTIFICATE: the validation's reasons.
    certificate_reasons: List[Reason]
    #: For SIGNER_IS_NOT_SENDER: the certificate's and the message's addresses.
    signer_addresses: List[str]
    sender_addresses: List[str]


@dataclass(frozen=True)
class SignerResult:
    """The verdict on one signer."""

    certificate: Optional[Certificate]
    is_valid: bool
    #: Every reason it is not valid (empty when valid).
    problems: List[SignerProblem]
    #: Thumbprints of the certificates stored by self-introduction.
    stored: List[str]


@dataclass(frozen=True)
class Layer:
    """One S/MIME layer, outermost first."""

    kind: LayerKind
    is_valid: bool
    #: Encrypted: the cipher, readable; None for a signed layer.
    cipher: Optional[str]
    authenticated: bool
    recipient_certificate: Optional[Certificate]
    weak: List[str]
    #: Signed: the form and one result per signer.
    form: Optional[SignatureForm]
    signers: List[SignerResult]


@dataclass(frozen=True)
class Opened:
    """What open_message() answered: not S/MIME, unreadable, or processed with verdicts."""

    kind: OpenedKind
    #: Processed: the message for delivery; otherwise the message as it came.
    message: bytes
    #: Processed: every layer valid.
    is_valid: bool
    is_signed: bool
    is_encrypted: bool
    #: Unreadable: why, with the detail.
    unreadable: Optional[Unreadable]
    unreadable_detail: Optional[str]
    layers: List[Layer]
    #: Processed: the innermost entity (what the layers protected) and the unsigned outer
    #: header fields.
    entity: Optional[bytes]
    outer_header: Optional[bytes]
    senders: List[str]


@dataclass(frozen=True)
class VerifiedSigner:
    """A signer of a verified message with the trust engine's verdict on its certificate."""

    certificate: Optional[Certificate]
    #: Whether the signature itself verified.
    signature_valid: bool
    #: The validation of the certificate for S/MIME signing (None without a certificate).
    validation: Optional[Validation]
    #: Signature valid and certificate valid.
    is_valid: bool


@dataclass(frozen=True)
class Verification:
    """What verify() found: at least one signer and every signer valid, or not."""

    is_valid: bool
    #: The outer header fields with the signed entity: the message as it reads unsigned.
    message: bytes
    form: SignatureForm
    signers: List[VerifiedSigner]


@dataclass(frozen=True)
class RequestInfo:
    """A certificate request as stored."""

    id: int
    #: The handler's name (``RequestHandler`` values for the built-in ones).
    handler: str
    status: RequestStatus
    email: str
    #: The id of the key kept in the store for it (hex), if any.
    key_id: Optional[str]
    #: The PKCS#10 request (DER), if any.
    csr: Optional[bytes]
    #: The handler's own reference (an order number), if any.
    reference: Optional[str]
    #: SHA-512 thumbprint of the issued certificate, once issued.
    certificate_thumbprint: Optional[str]
    created: datetime
    updated: datetime
    #: When ``run_due_requests`` tries it next (pending requests of external handlers).
    next_attempt: datetime
    attempts: int
    last_error: Optional[str]


@dataclass(frozen=True)
class Delivery:
    """A PKCS#12 file for the user, its password, and a mail message carrying the file."""

    #: The generated password (send it by another channel).
    password: str = field(repr=False)
    pkcs12: bytes = field(repr=False)
    #: The message (RFC 5322, CRLF line ends) with the PKCS#12 file attached.
    message: bytes = field(repr=False)


@dataclass(frozen=True)
class RequestResult:
    """What a request came to: its record, and the certificate once issued."""

    request: RequestInfo
    is_pending: bool
    certificate: Optional[Certificate]
    #: The issuing chain, nearest first.
    chain: List[Certificate]
    #: The PKCS#12 delivery, when ``deliver_pkcs12`` asked for one.
    delivery: Optional[Delivery]


@dataclass(frozen=True)
class BulkRow:
    """A row of a bulk file that is (to be) requested."""

    #: The line the row starts on (1 is the header row).
    line: int
    email: str
    common_name: str


@dataclass(frozen=True)
class BulkNote:
    """A row of a bulk file that is not requested, and why."""

    line: int
    #: The row's address as written (empty if it has none).
    email: str
    message: str


@dataclass(frozen=True)
class BulkPlan:
    """What bulk_preview() found; nothing was changed."""

    rows: List[BulkRow]
    #: Rows whose address already has a valid signing certificate.
    skipped: List[BulkNote]
    errors: List[BulkNote]
    #: Header columns that are not used, as written.
    ignored_columns: List[str]


@dataclass(frozen=True)
class BulkIssued:
    """A row bulk_run() issued."""

    line: int
    result: RequestResult


@dataclass(frozen=True)
class BulkReport:
    """What bulk_run() did: it stops at the first failure."""

    issued: List[BulkIssued]
    #: The row whose request failed, with the error.
    failed: Optional[BulkNote]
    #: The failed row and those after it.
    not_issued: List[BulkRow]
    is_complete: bool


@dataclass(frozen=True)
class DeletedCertificate:
    """What delete_certificate() removed."""

    #: Whether the private key went too (no other certificate or pending request uses it).
    key_removed: bool


@dataclass(frozen=True)
class KeyImport:
    """What import_key() attached."""

    #: The key's id (hex).
    key_id: str
    #: Thumbprints of the stored certificates it belongs to.
    certificates: List[str]
    #: Whether the key was not stored before.
    newly_stored: bool
