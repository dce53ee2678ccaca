# Type stubs of the native module hermes_pki._native (checked with mypy --strict in CI).
import os
from datetime import datetime, timedelta
from typing import List, Optional, Sequence, Tuple, Union

from ._enums import (
    ContentCipher,
    HashAlgorithm,
    KeyDerivation,
    KeyType,
    RequestHandler,
    RequestStatus,
    RevocationReason,
    SignatureForm,
    TrustStatus,
    Usage,
)
from ._results import (
    BulkPlan,
    BulkReport,
    DeletedCertificate,
    KeyImport,
    RequestInfo,
    RequestResult,
    CaInfo,
    CertificateDetails,
    CreatedCa,
    CreatedCrl,
    CrlImport,
    CrlInfo,
    CrlRefresh,
    EffectiveSetting,
    EncryptionSelection,
    ImportReport,
    Issued,
    IssuedInfo,
    Opened,
    Pkcs12Import,
    Protected,
    SelectedCertificate,
    TrustListEntry,
    Validation,
    Verification,
)

__version__: str

#: A certificate named by the object or its SHA-512 thumbprint (hex).
_CertificateRef = Union["Certificate", str]
#: A CA named by its id or its name.
_CaRef = Union[int, str]

class Certificate:
    @classmethod
    def from_pem(cls, pem: Union[str, bytes]) -> Certificate: ...
    @classmethod
    def from_der(cls, der: bytes) -> Certificate: ...
    @property
    def der(self) -> bytes: ...
    def to_pem(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def sha512(self) -> str: ...
    @property
    def thumbprint(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def serial(self) -> str: ...
    @property
    def serial_number(self) -> int: ...
    @property
    def not_before(self) -> datetime: ...
    @property
    def not_after(self) -> datetime: ...
    def is_valid_at(self, when: datetime) -> bool: ...
    @property
    def emails(self) -> List[str]: ...
    @property
    def extended_key_usage(self) -> Optional[List[str]]: ...
    @property
    def crl_distribution_points(self) -> List[str]: ...
    @property
    def is_ca(self) -> bool: ...
    @property
    def is_self_signed(self) -> bool: ...
    def __bytes__(self) -> bytes: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class LoadProblem:
    @property
    def location(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...

def load_certificates(data: bytes) -> Tuple[List[Certificate], List[LoadProblem]]: ...

class Pki:
    @classmethod
    def open(
        cls,
        path: Union[str, "os.PathLike[str]"],
        *,
        master_key_file: Union[str, "os.PathLike[str]", None] = None,
        allow_ca_key_export: bool = False,
    ) -> Pki: ...
    @classmethod
    def in_memory(cls, *, allow_ca_key_export: bool = False) -> Pki: ...
    # certificate authorities
    def create_ca(
        self,
        common_name: str,
        *,
        organization: Optional[str] = None,
        organizational_unit: Optional[str] = None,
        locality: Optional[str] = None,
        state: Optional[str] = None,
        country: Optional[str] = None,
        email: Optional[str] = None,
        key: Optional[KeyType] = None,
        years: int = 5,
        hash: Optional[HashAlgorithm] = None,
        intermediate: Optional[str] = None,
        make_default: bool = False,
        at: Optional[datetime] = None,
    ) -> CreatedCa: ...
    def import_ca(
        self,
        certificate: bytes,
        key: bytes,
        *,
        password: Optional[bytes] = None,
        make_default: bool = False,
        at: Optional[datetime] = None,
    ) -> CaInfo: ...
    def list_cas(self) -> List[CaInfo]: ...
    def get_ca(self, ca: _CaRef) -> CaInfo: ...
    def default_ca(self) -> Optional[CaInfo]: ...
    def set_default_ca(self, ca: _CaRef) -> None: ...
    def renew_ca(self, ca: _CaRef, *, at: Optional[datetime] = None) -> Certificate: ...
    def delete_ca(self, ca: _CaRef) -> None: ...
    def ca_certificate(self, ca: _CaRef) -> Certificate: ...
    def ca_chain(self, ca: _CaRef) -> List[Certificate]: ...
    def export_ca_key(self, ca: _CaRef, *, password: Optional[bytes] = None) -> bytes: ...
    def issued_certificates(self, ca: _CaRef) -> List[IssuedInfo]: ...
    def issue(
        self,
        email: str,
        common_name: str,
        *,
        organization: Optional[str] = None,
        given_name: Optional[str] = None,
        surname: Optional[str] = None,
        days: int = 365,
        key: Optional[KeyType] = None,
        hash: Optional[HashAlgorithm] = None,
        crl_distribution_point: Optional[str] = None,
        ca: Optional[_CaRef] = None,
        at: Optional[datetime] = None,
    ) -> Issued: ...
    # certificates
    def import_certificates(self, data: bytes) -> ImportReport: ...
    def list_certificates(
        self,
        *,
        email: Optional[str] = None,
        expired_at: Optional[datetime] = None,
        unexpired_at: Optional[datetime] = None,
        with_key: Optional[bool] = None,
        offset: int = 0,
        limit: Optional[int] = None,
    ) -> List[Certificate]: ...
    def get_certificate(self, thumbprint: _CertificateRef) -> Certificate: ...
    def show_certificate(self, thumbprint: _CertificateRef) -> CertificateDetails: ...
    def validate(
        self,
        certificate: Certificate,
        *,
        usage: Optional[Usage] = None,
        at: Optional[datetime] = None,
        intermediates: Sequence[Certificate] = ...,
        server_name: Optional[str] = None,
    ) -> Validation: ...
    # trust
    def add_trust_anchor(self, certificate: Certificate) -> None: ...
    def trust_anchors(self) -> List[Certificate]: ...
    def set_trust_list_entry(
        self, certificate: _CertificateRef, status: TrustStatus, *, allow_expired: bool = False
    ) -> None: ...
    def remove_trust_list_entry(self, certificate: _CertificateRef) -> bool: ...
    def trust_list(self) -> List[TrustListEntry]: ...
    # CRLs
    def create_crl(
        self,
        ca: _CaRef,
        *,
        revoke: Sequence[Union[int, Certificate]] = ...,
        reason: Optional[RevocationReason] = None,
        next_update_days: int = 7,
        hash: Optional[HashAlgorithm] = None,
        only_these: bool = False,
        at: Optional[datetime] = None,
    ) -> CreatedCrl: ...
    def import_crls(
        self, data: bytes, *, source: Optional[str] = None, at: Optional[datetime] = None
    ) -> List[CrlImport]: ...
    def list_crls(self) -> List[CrlInfo]: ...
    def crl_der(self, id: int) -> bytes: ...
    def delete_crl(self, id: int) -> None: ...
    def crl_distribution_points(self) -> List[str]: ...
    def refresh_crls(
        self,
        *,
        force: bool = False,
        interval: Optional[timedelta] = None,
        timeout: Optional[timedelta] = None,
        at: Optional[datetime] = None,
    ) -> List[CrlRefresh]: ...
    # users, domains, settings
    def add_user(self, email: str) -> bool: ...
    def remove_user(self, email: str) -> bool: ...
    def users(self) -> List[str]: ...
    def add_domain(self, name: str) -> bool: ...
    def remove_domain(self, name: str) -> bool: ...
    def domains(self) -> List[str]: ...
    def set_setting(
        self, key: str, value: str, *, user: Optional[str] = None, domain: Optional[str] = None
    ) -> None: ...
    def unset_setting(
        self, key: str, *, user: Optional[str] = None, domain: Optional[str] = None
    ) -> bool: ...
    def get_setting(
        self, key: str, *, user: Optional[str] = None, domain: Optional[str] = None
    ) -> EffectiveSetting: ...
    def settings(
        self, *, user: Optional[str] = None, domain: Optional[str] = None
    ) -> List[EffectiveSetting]: ...
    # selection
    def select_encryption_certificates(
        self, user: str, certificates: Sequence[_CertificateRef]
    ) -> List[str]: ...
    def deselect_encryption_certificates(
        self, user: str, certificates: Sequence[_CertificateRef]
    ) -> None: ...
    def select_signing_certificate(self, user: str, certificate: _CertificateRef) -> None: ...
    def automatic_signing_certificate(self, user: str) -> bool: ...
    def encryption_certificates(
        self, recipient: str, *, at: Optional[datetime] = None
    ) -> EncryptionSelection: ...
    def signing_certificate(
        self, sender: str, *, at: Optional[datetime] = None
    ) -> Optional[SelectedCertificate]: ...
    # PKCS#12
    def import_pkcs12(self, data: bytes, password: str) -> Pkcs12Import: ...
    def export_pkcs12(
        self,
        certificate: _CertificateRef,
        password: str,
        *,
        friendly_name: Optional[str] = None,
        iterations: Optional[int] = None,
        legacy: bool = False,
    ) -> bytes: ...
    # messages
    def protect(
        self,
        message: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        at: Optional[datetime] = None,
        form: Optional[SignatureForm] = None,
    ) -> Protected: ...
    def open_message(
        self, message: bytes, *, at: Optional[datetime] = None, informational_headers: bool = False
    ) -> Opened: ...
    def sign(
        self,
        message: bytes,
        signer: Certificate,
        *,
        form: Optional[SignatureForm] = None,
        hash: Optional[HashAlgorithm] = None,
        at: Optional[datetime] = None,
    ) -> bytes: ...
    def verify(self, message: bytes, *, at: Optional[datetime] = None) -> Verification: ...
    def encrypt(
        self,
        message: bytes,
        recipients: Sequence[Certificate],
        *,
        cipher: Optional[ContentCipher] = None,
    ) -> bytes: ...
    def decrypt(self, message: bytes) -> bytes: ...
    # certificate requests
    def request(
        self,
        email: str,
        common_name: str,
        *,
        handler: Union[RequestHandler, str, None] = None,
        organization: Optional[str] = None,
        given_name: Optional[str] = None,
        surname: Optional[str] = None,
        days: int = 365,
        key: Optional[KeyType] = None,
        hash: Optional[HashAlgorithm] = None,
        crl_distribution_point: Optional[str] = None,
        ca: Optional[_CaRef] = None,
        create_user: bool = False,
        deliver_pkcs12: Optional[int] = None,
        store_password: bool = False,
        delivery_from: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> RequestResult: ...
    def submit_csr(
        self,
        csr: bytes,
        *,
        email: Optional[str] = None,
        allowed_domains: Sequence[str] = (),
        copy_subject_fields: bool = False,
        days: int = 365,
        hash: Optional[HashAlgorithm] = None,
        ca: Optional[_CaRef] = None,
        crl_distribution_point: Optional[str] = None,
        create_user: bool = False,
        approve: bool = False,
        at: Optional[datetime] = None,
    ) -> RequestResult: ...
    def approve_request(self, id: int, *, at: Optional[datetime] = None) -> RequestResult: ...
    def complete_request(
        self,
        id: int,
        certificate: bytes,
        *,
        delivery_from: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> RequestResult: ...
    def complete_matching_requests(
        self,
        certificates: Sequence[Certificate],
        *,
        delivery_from: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> List[RequestResult]: ...
    def list_requests(self, *, status: Optional[RequestStatus] = None) -> List[RequestInfo]: ...
    def get_request(self, id: int) -> RequestInfo: ...
    def request_csr(self, id: int) -> bytes: ...
    def request_csr_pem(self, id: int) -> str: ...
    def reschedule_request(
        self, id: int, when: datetime, *, at: Optional[datetime] = None
    ) -> RequestInfo: ...
    def cancel_request(self, id: int, *, at: Optional[datetime] = None) -> RequestInfo: ...
    def retry_request(self, id: int, *, at: Optional[datetime] = None) -> RequestResult: ...
    def run_due_requests(self, *, at: Optional[datetime] = None) -> List[RequestResult]: ...
    def bulk_preview(
        self,
        data: bytes,
        *,
        handler: Union[RequestHandler, str, None] = None,
        organization: Optional[str] = None,
        days: int = 365,
        key: Optional[KeyType] = None,
        hash: Optional[HashAlgorithm] = None,
        crl_distribution_point: Optional[str] = None,
        ca: Optional[_CaRef] = None,
        create_user: bool = False,
        deliver_pkcs12: Optional[int] = None,
        store_password: bool = False,
        skip_existing: bool = True,
        max_rows: Optional[int] = None,
        max_value_chars: Optional[int] = None,
        at: Optional[datetime] = None,
    ) -> BulkPlan: ...
    def bulk_run(
        self,
        data: bytes,
        *,
        handler: Union[RequestHandler, str, None] = None,
        organization: Optional[str] = None,
        days: int = 365,
        key: Optional[KeyType] = None,
        hash: Optional[HashAlgorithm] = None,
        crl_distribution_point: Optional[str] = None,
        ca: Optional[_CaRef] = None,
        create_user: bool = False,
        deliver_pkcs12: Optional[int] = None,
        store_password: bool = False,
        skip_existing: bool = True,
        max_rows: Optional[int] = None,
        max_value_chars: Optional[int] = None,
        delivery_from: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> BulkReport: ...
    # lifecycle
    def delete_certificate(self, certificate: _CertificateRef) -> DeletedCertificate: ...
    def remove_trust_anchor(self, certificate: _CertificateRef) -> None: ...
    def import_key(self, key: bytes, *, password: Optional[bytes] = None) -> KeyImport: ...
    def export_key(
        self,
        certificate: _CertificateRef,
        passphrase: bytes,
        *,
        kdf: Optional[KeyDerivation] = None,
    ) -> bytes: ...
