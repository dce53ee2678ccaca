//! A small stable C API of hermes-pki, for programs such as a mail filter (milter): open a
//! store, create a CA and issue certificates, import certificates and trust anchors, validate a
//! certificate, `protect` an outbound message and `open` an inbound one, and free what was
//! returned. The header `include/hermes_pki.h` is generated from this file by cbindgen.
//!
//! The rules of the interface:
//!
//! - **Opaque handles.** [`HermesPki`], [`HermesValidation`], [`HermesProtected`] and
//!   [`HermesOpened`] are pointers the caller holds and gives back to the matching `*_free`
//!   function (which accepts NULL). Strings the library allocates (`char **out_*`) are freed
//!   with [`hermes_string_free`]. Pointers read from a handle (`const char *`, `const uint8_t *`)
//!   are borrowed: they live as long as the handle.
//! - **Explicit lengths.** Binary input is `(const uint8_t *data, size_t len)`; text input is a
//!   NUL-terminated UTF-8 string.
//! - **Error codes with a message getter.** Every fallible function returns a
//!   [`HermesStatus`]; on failure [`hermes_last_error_message`] returns the message on the same
//!   thread. A verdict (not valid, bad signature, no key) is a result, read from the handle,
//!   never an error.
//! - **No panics across the boundary.** Every entry point runs inside `catch_unwind`; a panic
//!   becomes [`HermesStatus::Internal`] (or the accessor's neutral value).
//!
//! This crate is thin: it converts types and maps errors; every operation is the core's.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::SystemTime;

use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::KeySpec;
use hermes_pki::pki::{OpenOptions, Opened, Pki, ProtectOptions, Protected, SignerStatus};
use hermes_pki::trust::{LeafPolicy, Validation};
use hermes_pki::ErrorKind;

/// The result of every fallible function: `HERMES_STATUS_OK`, or the kind of error (the
/// message is [`hermes_last_error_message`]).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HermesStatus {
    /// Success.
    Ok = 0,
    /// Input could not be parsed.
    Parse = 1,
    /// An algorithm or feature that is not supported.
    Unsupported = 2,
    /// A key or algorithm too weak to be accepted.
    Weak = 3,
    /// A private key does not belong to its certificate.
    KeyMismatch = 4,
    /// Wrong password, or protected data altered.
    BadPassword = 5,
    /// The input asks for more work or memory than the limits allow.
    LimitExceeded = 6,
    /// A cryptographic operation failed.
    Crypto = 7,
    /// The object does not exist.
    NotFound = 8,
    /// The object already exists.
    Duplicate = 9,
    /// The storage backend failed.
    Storage = 10,
    /// Reading or writing a file failed.
    Io = 11,
    /// An argument is out of range, NULL where it may not be, or not UTF-8.
    InvalidArgument = 12,
    /// A private key that cannot be used.
    InvalidKey = 13,
    /// A certificate that must be a CA is not one.
    NotCa = 14,
    /// Not permitted (for example: encryption required but impossible; nothing was made).
    NotPermitted = 15,
    /// A bug in the library (a panic was caught at the boundary), or an error kind this
    /// version of the C API does not know.
    Internal = 99,
}

impl From<ErrorKind> for HermesStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Parse => HermesStatus::Parse,
            ErrorKind::Unsupported => HermesStatus::Unsupported,
            ErrorKind::Weak => HermesStatus::Weak,
            ErrorKind::KeyMismatch => HermesStatus::KeyMismatch,
            ErrorKind::BadPassword => HermesStatus::BadPassword,
            ErrorKind::LimitExceeded => HermesStatus::LimitExceeded,
            ErrorKind::Crypto => HermesStatus::Crypto,
            ErrorKind::NotFound => HermesStatus::NotFound,
            ErrorKind::Duplicate => HermesStatus::Duplicate,
            ErrorKind::Storage => HermesStatus::Storage,
            ErrorKind::Io => HermesStatus::Io,
            ErrorKind::InvalidArgument => HermesStatus::InvalidArgument,
            ErrorKind::InvalidKey => HermesStatus::InvalidKey,
            ErrorKind::NotCa => HermesStatus::NotCa,
            ErrorKind::NotPermitted => HermesStatus::NotPermitted,
            #[allow(unreachable_patterns)]
            _ => HermesStatus::Internal,
        }
    }
}

/// The key of a new CA or certificate.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HermesKeyType {
    /// The library's default (RSA 4096 for a CA, RSA 2048 for a certificate).
    Default = 0,
    /// RSA 2048.
    Rsa2048 = 1,
    /// RSA 3072.
    Rsa3072 = 2,
    /// RSA 4096.
    Rsa4096 = 3,
    /// ECDSA/ECDH P-256.
    EcP256 = 4,
    /// ECDSA/ECDH P-384.
    EcP384 = 5,
}

/// The key spec of a `HermesKeyType` value given as an int (C callers may pass any int, so
/// the enum itself is never taken as an argument).
fn key_spec(key: c_int) -> Result<Option<KeySpec>, Failure> {
    Ok(match key {
        k if k == HermesKeyType::Default as c_int => None,
        k if k == HermesKeyType::Rsa2048 as c_int => Some(KeySpec::Rsa(2048)),
        k if k == HermesKeyType::Rsa3072 as c_int => Some(KeySpec::Rsa(3072)),
        k if k == HermesKeyType::Rsa4096 as c_int => Some(KeySpec::Rsa(4096)),
        k if k == HermesKeyType::EcP256 as c_int => Some(KeySpec::EcP256),
        k if k == HermesKeyType::EcP384 as c_int => Some(KeySpec::EcP384),
        other => return Err(bad_argument(format!("{other} is not a HermesKeyType"))),
    })
}

/// What a certificate is validated for.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HermesUsage {
    /// S/MIME signing.
    SmimeSigning = 0,
    /// S/MIME encryption.
    SmimeEncryption = 1,
    /// Any use: the chain is checked, the end certificate's usages are not.
    Any = 2,
}

/// The three answers of [`hermes_open`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HermesOpenedKind {
    /// Not S/MIME: the message as it came.
    NotSmime = 0,
    /// S/MIME that cannot be read here (no key, damaged, unsupported): the message as it came.
    Unreadable = 1,
    /// Decrypted and/or verified: the inner message, with verdicts.
    Processed = 2,
}

/// A store and the facade over it. It may be used from several threads (the store is
/// thread-safe); each thread reads its own [`hermes_last_error_message`].
pub struct HermesPki {
    inner: Pki,
}

/// The verdict of [`hermes_validate`].
pub struct HermesValidation {
    valid: bool,
    reasons: Vec<CString>,
}

/// One recipient of a protected message, read from a [`HermesProtected`].
struct RecipientRow {
    address: CString,
    encrypted: bool,
    message: usize,
    why_not: Option<CString>,
}

/// What [`hermes_protect`] made.
pub struct HermesProtected {
    signed: bool,
    messages: Vec<Vec<u8>>,
    recipients: Vec<RecipientRow>,
}

/// One signer of an opened message, read from a [`HermesOpened`].
struct SignerRow {
    valid: bool,
    email: Option<CString>,
    reasons: CString,
}

/// What [`hermes_open`] found.
pub struct HermesOpened {
    kind: HermesOpenedKind,
    message: Vec<u8>,
    unreadable: Option<CString>,
    valid: bool,
    signed: bool,
    encrypted: bool,
    signers: Vec<SignerRow>,
}

// ---------------------------------------------------------------------------------------------
// errors and the boundary

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// An error on its way to the caller.
struct Failure {
    status: HermesStatus,
    message: String,
}

impl From<hermes_pki::Error> for Failure {
    fn from(e: hermes_pki::Error) -> Self {
        Failure {
            status: e.kind().into(),
            message: e.to_string(),
        }
    }
}

fn bad_argument(message: impl Into<String>) -> Failure {
    Failure {
        status: HermesStatus::InvalidArgument,
        message: message.into(),
    }
}

/// A C string of `text`, NUL bytes (which no message should hold) replaced.
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

fn set_error(message: &str) {
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c_string(message)));
}

/// Runs an entry point: clears the last error, catches panics, records the error.
fn boundary(f: impl FnOnce() -> Result<(), Failure>) -> HermesStatus {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => HermesStatus::Ok,
        Ok(Err(failure)) => {
            set_error(&failure.message);
            failure.status
        }
        Err(_) => {
            set_error("internal error: a panic in hermes-pki was caught at the C boundary");
            HermesStatus::Internal
        }
    }
}

/// A static C string from bytes that end in their only NUL.
fn cstr(bytes: &'static [u8]) -> &'static CStr {
    CStr::from_bytes_with_nul(bytes).unwrap_or_default()
}

/// Runs an accessor: its value, or `neutral` if it panicked.
fn shielded<T>(neutral: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(neutral)
}

/// Reads a required NUL-terminated UTF-8 argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid during the call.
unsafe fn text_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(bad_argument(format!("{name} is NULL")));
    }
    // SAFETY: not NULL, and the caller guarantees a NUL-terminated string valid for the call.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| bad_argument(format!("{name} is not UTF-8")))
}

/// Reads a `(data, len)` argument; `data` may be NULL only when `len` is 0.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes that stay valid during the call.
unsafe fn bytes_arg<'a>(data: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if data.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(bad_argument(format!("{name} is NULL with length {len}")));
    }
    // SAFETY: not NULL, and the caller guarantees `len` readable bytes for the call.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows the handle behind `p`.
///
/// # Safety
/// `p` is NULL or a handle returned by this library and not yet freed.
unsafe fn handle<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees a live handle or NULL.
    unsafe { p.as_ref() }.ok_or_else(|| bad_argument(format!("{name} is NULL")))
}

/// Stores `value` into the out-parameter `out`.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
unsafe fn put<T>(out: *mut T, value: T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        return Err(bad_argument(format!("{name} is NULL")));
    }
    // SAFETY: not NULL, and the caller guarantees it is valid for a write.
    unsafe { out.write(value) };
    Ok(())
}

/// The one certificate in `input` (PEM or DER).
fn one_certificate(input: &[u8]) -> Result<Certificate, Failure> {
    let mut loaded = hermes_pki::cert::load_certificates(input);
    if let Some(problem) = loaded.problems.into_iter().next() {
        return Err(Failure {
            status: problem.error.kind().into(),
            message: format!("{}: {}", problem.location, problem.error),
        });
    }
    match loaded.certificates.len() {
        1 => Ok(loaded.certificates.remove(0)),
        n => Err(bad_argument(format!(
            "expected exactly one certificate, found {n}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// library

/// The library version (a static string; do not free).
#[no_mangle]
pub extern "C" fn hermes_version() -> *const c_char {
    cstr(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()).as_ptr()
}

/// The message of the last failed call on this thread, or NULL when the last call succeeded.
/// Borrowed: valid until the next call into this library on the same thread.
#[no_mangle]
pub extern "C" fn hermes_last_error_message() -> *const c_char {
    shielded(std::ptr::null(), || {
        LAST_ERROR.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |m| m.as_ptr()))
    })
}

/// A short stable name for a `HermesStatus` value: `"ok"`, `"parse"`, `"not-found"`, ...;
/// `"unknown"` for a value that is none (a static string).
#[no_mangle]
pub extern "C" fn hermes_status_name(status: c_int) -> *const c_char {
    let known = [
        HermesStatus::Ok,
        HermesStatus::Parse,
        HermesStatus::Unsupported,
        HermesStatus::Weak,
        HermesStatus::KeyMismatch,
        HermesStatus::BadPassword,
        HermesStatus::LimitExceeded,
        HermesStatus::Crypto,
        HermesStatus::NotFound,
        HermesStatus::Duplicate,
        HermesStatus::Storage,
        HermesStatus::Io,
        HermesStatus::InvalidArgument,
        HermesStatus::InvalidKey,
        HermesStatus::NotCa,
        HermesStatus::NotPermitted,
        HermesStatus::Internal,
    ];
    let Some(status) = known.into_iter().find(|s| *s as c_int == status) else {
        return cstr(b"unknown\0").as_ptr();
    };
    let name: &CStr = match status {
        HermesStatus::Ok => cstr(b"ok\0"),
        HermesStatus::Parse => cstr(b"parse\0"),
        HermesStatus::Unsupported => cstr(b"unsupported\0"),
        HermesStatus::Weak => cstr(b"weak\0"),
        HermesStatus::KeyMismatch => cstr(b"key-mismatch\0"),
        HermesStatus::BadPassword => cstr(b"bad-password\0"),
        HermesStatus::LimitExceeded => cstr(b"limit-exceeded\0"),
        HermesStatus::Crypto => cstr(b"crypto\0"),
        HermesStatus::NotFound => cstr(b"not-found\0"),
        HermesStatus::Duplicate => cstr(b"duplicate\0"),
        HermesStatus::Storage => cstr(b"storage\0"),
        HermesStatus::Io => cstr(b"io\0"),
        HermesStatus::InvalidArgument => cstr(b"invalid-argument\0"),
        HermesStatus::InvalidKey => cstr(b"invalid-key\0"),
        HermesStatus::NotCa => cstr(b"not-ca\0"),
        HermesStatus::NotPermitted => cstr(b"not-permitted\0"),
        HermesStatus::Internal => cstr(b"internal\0"),
    };
    name.as_ptr()
}

/// Frees a string this library returned through a `char **` out-parameter (NULL is fine).
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hermes_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller guarantees it came from `CString::into_raw` here, freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

// ---------------------------------------------------------------------------------------------
// the store

/// Opens (creating if needed) the SQLite store in the directory `dir` (`hermes.db` and its
/// `master.key`), as the command-line tool's `--store DIR`. Free with [`hermes_pki_free`].
///
/// # Safety
/// `dir` is a NUL-terminated string; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_pki_open(
    dir: *const c_char,
    out: *mut *mut HermesPki,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for `dir` and `out`.
        let dir = unsafe { text_arg(dir, "dir") }?;
        let pki = Box::new(HermesPki {
            inner: Pki::open(dir)?,
        });
        // SAFETY: as above.
        unsafe { put(out, Box::into_raw(pki), "out") }
    })
}

/// Closes the store (NULL is fine).
///
/// # Safety
/// `pki` is NULL or a handle from [`hermes_pki_open`] not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hermes_pki_free(pki: *mut HermesPki) {
    if !pki.is_null() {
        // SAFETY: the caller guarantees it came from `Box::into_raw` here, freed once.
        let boxed = unsafe { Box::from_raw(pki) };
        shielded((), move || drop(boxed));
    }
}

/// Creates a CA named `common_name` with its key in the store, makes it the default CA, and
/// returns its certificate as PEM in `out_certificate_pem` (free with [`hermes_string_free`]).
///
/// # Safety
/// `pki` is a live handle; `common_name` a NUL-terminated string; `out_certificate_pem` valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_ca_create(
    pki: *mut HermesPki,
    common_name: *const c_char,
    key: c_int,
    out_certificate_pem: *mut *mut c_char,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, name) = unsafe { (handle(pki, "pki")?, text_arg(common_name, "common_name")?) };
        let mut spec = CaSpec::new(DistinguishedName::new(name)).make_default(true);
        if let Some(k) = key_spec(key)? {
            spec = spec.key(k);
        }
        let created = pki
            .inner
            .ca()
            .create(&spec, &hermes_pki::time::SystemClock)?;
        let pem = c_string(&created.issuing_certificate().to_pem());
        // SAFETY: as above.
        unsafe { put(out_certificate_pem, pem.into_raw(), "out_certificate_pem") }
    })
}

/// Issues an S/MIME certificate for `email` from the default CA, stores it with its key, and
/// returns it as PEM in `out_certificate_pem` (free with [`hermes_string_free`]).
///
/// # Safety
/// `pki` is a live handle; `email` and `common_name` NUL-terminated strings;
/// `out_certificate_pem` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_issue(
    pki: *mut HermesPki,
    email: *const c_char,
    common_name: *const c_char,
    key: c_int,
    out_certificate_pem: *mut *mut c_char,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, email, name) = unsafe {
            (
                handle(pki, "pki")?,
                text_arg(email, "email")?,
                text_arg(common_name, "common_name")?,
            )
        };
        let mut spec = IssueSpec::new(email, name);
        if let Some(k) = key_spec(key)? {
            spec = spec.key(k);
        }
        let issued = pki
            .inner
            .ca()
            .issue(&spec, &hermes_pki::time::SystemClock)?;
        let pem = c_string(&issued.certificate().to_pem());
        // SAFETY: as above.
        unsafe { put(out_certificate_pem, pem.into_raw(), "out_certificate_pem") }
    })
}

/// Imports every certificate in `data` (PEM, DER, PKCS#7; several at once): the number read
/// and stored goes to `out_imported`, the number of entries that could not be read to
/// `out_problems` (either may be NULL). An error only for the store.
///
/// # Safety
/// `pki` is a live handle; `data` points to `len` bytes; the out-parameters are NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_import_certificates(
    pki: *mut HermesPki,
    data: *const u8,
    len: usize,
    out_imported: *mut usize,
    out_problems: *mut usize,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, input) = unsafe { (handle(pki, "pki")?, bytes_arg(data, len, "data")?) };
        let report = pki.inner.import_certificates(input)?;
        if !out_imported.is_null() {
            // SAFETY: not NULL; the caller guarantees it is valid for a write.
            unsafe { out_imported.write(report.certificates.len()) };
        }
        if !out_problems.is_null() {
            // SAFETY: as above.
            unsafe { out_problems.write(report.problems.len()) };
        }
        Ok(())
    })
}

/// Makes the one certificate in `data` (PEM or DER; a CA certificate) a trust anchor.
///
/// # Safety
/// `pki` is a live handle; `data` points to `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn hermes_add_trust_anchor(
    pki: *mut HermesPki,
    data: *const u8,
    len: usize,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, input) = unsafe { (handle(pki, "pki")?, bytes_arg(data, len, "data")?) };
        pki.inner.add_trust_anchor(&one_certificate(input)?)?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// validate

/// Validates the one certificate in `data` (PEM or DER) for `usage`, now, over the store. A
/// certificate that is not valid is `HERMES_STATUS_OK` with a verdict that says so; free the
/// verdict with [`hermes_validation_free`].
///
/// # Safety
/// `pki` is a live handle; `data` points to `len` bytes; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_validate(
    pki: *mut HermesPki,
    data: *const u8,
    len: usize,
    usage: c_int,
    out: *mut *mut HermesValidation,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, input) = unsafe { (handle(pki, "pki")?, bytes_arg(data, len, "data")?) };
        let cert = one_certificate(input)?;
        let policy = match usage {
            u if u == HermesUsage::SmimeSigning as c_int => LeafPolicy::SmimeSigning,
            u if u == HermesUsage::SmimeEncryption as c_int => LeafPolicy::SmimeEncryption,
            u if u == HermesUsage::Any as c_int => LeafPolicy::Any,
            other => return Err(bad_argument(format!("{other} is not a HermesUsage"))),
        };
        let verdict = pki.inner.validate(&cert, policy, SystemTime::now(), &[])?;
        let result = Box::new(HermesValidation {
            valid: verdict.is_valid(),
            reasons: match &verdict {
                Validation::Invalid { reasons } => {
                    reasons.iter().map(|r| c_string(&r.to_string())).collect()
                }
                Validation::Valid { .. } => Vec::new(),
            },
        });
        // SAFETY: as above.
        unsafe { put(out, Box::into_raw(result), "out") }
    })
}

/// Whether the certificate is valid (false for NULL).
///
/// # Safety
/// `v` is NULL or a live verdict.
#[no_mangle]
pub unsafe extern "C" fn hermes_validation_is_valid(v: *const HermesValidation) -> bool {
    // SAFETY: the caller guarantees a live verdict or NULL.
    shielded(false, || unsafe { v.as_ref() }.is_some_and(|v| v.valid))
}

/// The number of reasons the certificate is not valid (0 when valid).
///
/// # Safety
/// `v` is NULL or a live verdict.
#[no_mangle]
pub unsafe extern "C" fn hermes_validation_reason_count(v: *const HermesValidation) -> usize {
    // SAFETY: the caller guarantees a live verdict or NULL.
    shielded(0, || unsafe { v.as_ref() }.map_or(0, |v| v.reasons.len()))
}

/// Reason `index` as text (borrowed from the verdict), or NULL out of range.
///
/// # Safety
/// `v` is NULL or a live verdict.
#[no_mangle]
pub unsafe extern "C" fn hermes_validation_reason(
    v: *const HermesValidation,
    index: usize,
) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live verdict or NULL.
        unsafe { v.as_ref() }
            .and_then(|v| v.reasons.get(index))
            .map_or(std::ptr::null(), |r| r.as_ptr())
    })
}

/// Frees a verdict (NULL is fine).
///
/// # Safety
/// `v` is NULL or a verdict from [`hermes_validate`] not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hermes_validation_free(v: *mut HermesValidation) {
    if !v.is_null() {
        // SAFETY: the caller guarantees it came from `Box::into_raw` here, freed once.
        drop(unsafe { Box::from_raw(v) });
    }
}

// ---------------------------------------------------------------------------------------------
// protect

/// Signs and/or encrypts `message` from `sender` to the `recipient_count` addresses in
/// `recipients`, as the store's settings say: one message per group of recipients, and per
/// recipient whether it is encrypted and why not. Free with [`hermes_protected_free`].
/// `encrypt = required` for a recipient without a certificate is `HERMES_STATUS_NOT_PERMITTED`
/// (nothing is made).
///
/// # Safety
/// `pki` is a live handle; `message` points to `len` bytes; `sender` and each of the
/// `recipient_count` pointers in `recipients` are NUL-terminated strings; `out` is valid for
/// a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_protect(
    pki: *mut HermesPki,
    message: *const u8,
    len: usize,
    sender: *const c_char,
    recipients: *const *const c_char,
    recipient_count: usize,
    out: *mut *mut HermesProtected,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, message, sender) = unsafe {
            (
                handle(pki, "pki")?,
                bytes_arg(message, len, "message")?,
                text_arg(sender, "sender")?,
            )
        };
        if recipients.is_null() && recipient_count > 0 {
            return Err(bad_argument("recipients is NULL"));
        }
        let mut addrs: Vec<&str> = Vec::with_capacity(recipient_count);
        for i in 0..recipient_count {
            // SAFETY: `recipients` holds `recipient_count` pointers (caller's guarantee).
            let p = unsafe { *recipients.add(i) };
            // SAFETY: each is a NUL-terminated string (caller's guarantee).
            addrs.push(unsafe { text_arg(p, "a recipient") }?);
        }
        let options = ProtectOptions::new(SystemTime::now());
        let protected: Protected = pki.inner.protect(message, sender, &addrs, &options)?;
        let result = Box::new(HermesProtected {
            signed: protected.signing.is_signed(),
            recipients: protected
                .recipients
                .iter()
                .map(|r| RecipientRow {
                    address: c_string(r.recipient.as_str()),
                    encrypted: r.encrypted,
                    message: r.message,
                    why_not: r.why_not.as_ref().map(|w| c_string(&w.to_string())),
                })
                .collect(),
            messages: protected.messages.into_iter().map(|m| m.message).collect(),
        });
        // SAFETY: as above.
        unsafe { put(out, Box::into_raw(result), "out") }
    })
}

/// Whether the messages are signed.
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_is_signed(p: *const HermesProtected) -> bool {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(false, || unsafe { p.as_ref() }.is_some_and(|p| p.signed))
}

/// The number of messages (one per group of recipients).
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_message_count(p: *const HermesProtected) -> usize {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(0, || unsafe { p.as_ref() }.map_or(0, |p| p.messages.len()))
}

/// Message `index`: its bytes (borrowed from the result) in `out_data` and `out_len`.
/// `HERMES_STATUS_INVALID_ARGUMENT` out of range.
///
/// # Safety
/// `p` is NULL or a live result; `out_data` and `out_len` are valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_message(
    p: *const HermesProtected,
    index: usize,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let p = unsafe { handle(p, "protected") }?;
        let m = p.messages.get(index).ok_or_else(|| {
            bad_argument(format!(
                "message {index} asked for, there are {}",
                p.messages.len()
            ))
        })?;
        // SAFETY: as above.
        unsafe {
            put(out_data, m.as_ptr(), "out_data")?;
            put(out_len, m.len(), "out_len")
        }
    })
}

/// The number of recipients (each address once, in the order given).
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_recipient_count(p: *const HermesProtected) -> usize {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(0, || {
        unsafe { p.as_ref() }.map_or(0, |p| p.recipients.len())
    })
}

/// Recipient `index`'s address (normalised; borrowed), or NULL out of range.
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_recipient(
    p: *const HermesProtected,
    index: usize,
) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { p.as_ref() }
            .and_then(|p| p.recipients.get(index))
            .map_or(std::ptr::null(), |r| r.address.as_ptr())
    })
}

/// Whether recipient `index`'s message is encrypted (false out of range).
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_recipient_encrypted(
    p: *const HermesProtected,
    index: usize,
) -> bool {
    shielded(false, || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { p.as_ref() }
            .and_then(|p| p.recipients.get(index))
            .is_some_and(|r| r.encrypted)
    })
}

/// The index of recipient `index`'s message (`SIZE_MAX` out of range).
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_recipient_message(
    p: *const HermesProtected,
    index: usize,
) -> usize {
    shielded(usize::MAX, || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { p.as_ref() }
            .and_then(|p| p.recipients.get(index))
            .map_or(usize::MAX, |r| r.message)
    })
}

/// Why recipient `index`'s message is not encrypted (borrowed), or NULL when it is (or out of
/// range).
///
/// # Safety
/// `p` is NULL or a live result of [`hermes_protect`].
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_recipient_why_not(
    p: *const HermesProtected,
    index: usize,
) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { p.as_ref() }
            .and_then(|p| p.recipients.get(index))
            .and_then(|r| r.why_not.as_ref())
            .map_or(std::ptr::null(), |w| w.as_ptr())
    })
}

/// Frees a result of [`hermes_protect`] (NULL is fine).
///
/// # Safety
/// `p` is NULL or a result of [`hermes_protect`] not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hermes_protected_free(p: *mut HermesProtected) {
    if !p.is_null() {
        // SAFETY: the caller guarantees it came from `Box::into_raw` here, freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

// ---------------------------------------------------------------------------------------------
// open

/// Opens an inbound message: decrypts it with the store's keys and verifies every signature,
/// with a verdict per signer. Not S/MIME and unreadable S/MIME are answers
/// ([`hermes_opened_kind`]), not errors. Free with [`hermes_opened_free`].
///
/// # Safety
/// `pki` is a live handle; `message` points to `len` bytes; `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_open(
    pki: *mut HermesPki,
    message: *const u8,
    len: usize,
    out: *mut *mut HermesOpened,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let (pki, message) = unsafe { (handle(pki, "pki")?, bytes_arg(message, len, "message")?) };
        let opened = pki
            .inner
            .open_message(message, &OpenOptions::new(SystemTime::now()))?;
        let result = Box::new(match opened {
            Opened::NotSmime(message) => HermesOpened {
                kind: HermesOpenedKind::NotSmime,
                message,
                unreadable: None,
                valid: false,
                signed: false,
                encrypted: false,
                signers: Vec::new(),
            },
            Opened::Unreadable {
                reason, message, ..
            } => HermesOpened {
                kind: HermesOpenedKind::Unreadable,
                message,
                unreadable: Some(c_string(&reason.to_string())),
                valid: false,
                signed: false,
                encrypted: false,
                signers: Vec::new(),
            },
            Opened::Processed(m) => HermesOpened {
                kind: HermesOpenedKind::Processed,
                valid: m.is_valid(),
                signed: m.is_signed(),
                encrypted: m.is_encrypted(),
                signers: m
                    .signers()
                    .map(|s| SignerRow {
                        valid: s.is_valid(),
                        email: s.addresses().first().map(|a| c_string(a)),
                        reasons: c_string(&match &s.verdict {
                            SignerStatus::Valid => String::new(),
                            SignerStatus::NotValid(rs) => rs
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; "),
                        }),
                    })
                    .collect(),
                message: m.message,
                unreadable: None,
            },
        });
        // SAFETY: as above.
        unsafe { put(out, Box::into_raw(result), "out") }
    })
}

/// Which of the three answers it is (`HERMES_OPENED_KIND_NOT_SMIME` for NULL).
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_kind(o: *const HermesOpened) -> HermesOpenedKind {
    shielded(HermesOpenedKind::NotSmime, || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { o.as_ref() }.map_or(HermesOpenedKind::NotSmime, |o| o.kind)
    })
}

/// The message for delivery (processed: outer header fields and the inner entity; otherwise
/// as it came), borrowed, in `out_data` and `out_len`.
///
/// # Safety
/// `o` is NULL or a live result; `out_data` and `out_len` are valid for a write.
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_message(
    o: *const HermesOpened,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> HermesStatus {
    boundary(|| {
        // SAFETY: the caller's guarantees for the arguments.
        let o = unsafe { handle(o, "opened") }?;
        // SAFETY: as above.
        unsafe {
            put(out_data, o.message.as_ptr(), "out_data")?;
            put(out_len, o.message.len(), "out_len")
        }
    })
}

/// Why the message is unreadable (borrowed), or NULL when it is not.
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_unreadable_reason(o: *const HermesOpened) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { o.as_ref() }
            .and_then(|o| o.unreadable.as_ref())
            .map_or(std::ptr::null(), |r| r.as_ptr())
    })
}

/// Processed, and every layer valid (every signer valid).
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_is_valid(o: *const HermesOpened) -> bool {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(false, || unsafe { o.as_ref() }.is_some_and(|o| o.valid))
}

/// Processed, and some layer is signed.
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_is_signed(o: *const HermesOpened) -> bool {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(false, || unsafe { o.as_ref() }.is_some_and(|o| o.signed))
}

/// Processed, and some layer is encrypted.
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_is_encrypted(o: *const HermesOpened) -> bool {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(false, || unsafe { o.as_ref() }.is_some_and(|o| o.encrypted))
}

/// The number of signers, of every signed layer.
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_signer_count(o: *const HermesOpened) -> usize {
    // SAFETY: the caller guarantees a live result or NULL.
    shielded(0, || unsafe { o.as_ref() }.map_or(0, |o| o.signers.len()))
}

/// Whether signer `index` is valid: signature, certificate, and signer = sender (false out of
/// range).
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_signer_is_valid(
    o: *const HermesOpened,
    index: usize,
) -> bool {
    shielded(false, || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { o.as_ref() }
            .and_then(|o| o.signers.get(index))
            .is_some_and(|s| s.valid)
    })
}

/// Signer `index`'s first email address from its certificate (borrowed), or NULL (none, or
/// out of range).
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_signer_email(
    o: *const HermesOpened,
    index: usize,
) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { o.as_ref() }
            .and_then(|o| o.signers.get(index))
            .and_then(|s| s.email.as_ref())
            .map_or(std::ptr::null(), |e| e.as_ptr())
    })
}

/// Why signer `index` is not valid, the reasons joined by `"; "` (borrowed; empty when valid),
/// or NULL out of range.
///
/// # Safety
/// `o` is NULL or a live result of [`hermes_open`].
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_signer_reasons(
    o: *const HermesOpened,
    index: usize,
) -> *const c_char {
    shielded(std::ptr::null(), || {
        // SAFETY: the caller guarantees a live result or NULL.
        unsafe { o.as_ref() }
            .and_then(|o| o.signers.get(index))
            .map_or(std::ptr::null(), |s| s.reasons.as_ptr())
    })
}

/// Frees a result of [`hermes_open`] (NULL is fine).
///
/// # Safety
/// `o` is NULL or a result of [`hermes_open`] not yet freed.
#[no_mangle]
pub unsafe extern "C" fn hermes_opened_free(o: *mut HermesOpened) {
    if !o.is_null() {
        // SAFETY: the caller guarantees it came from `Box::into_raw` here, freed once.
        drop(unsafe { Box::from_raw(o) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        let p = hermes_last_error_message();
        assert!(!p.is_null());
        // SAFETY: a live thread-local message of this library.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
    }

    #[test]
    fn null_arguments_are_invalid_argument_errors_with_a_message() {
        let mut pki: *mut HermesPki = std::ptr::null_mut();
        // SAFETY: NULL `dir` is what is tested; `out` is a valid pointer.
        let status = unsafe { hermes_pki_open(std::ptr::null(), &mut pki) };
        assert_eq!(status, HermesStatus::InvalidArgument);
        assert!(pki.is_null());
        assert_eq!(last_error(), "dir is NULL");
    }

    #[test]
    fn garbage_trust_anchor_is_a_parse_error_and_success_clears_the_message() {
        let dir = std::env::temp_dir().join(format!("hermes-pki-c-test-{}", std::process::id()));
        let dir_c = CString::new(dir.to_str().unwrap()).unwrap();
        let mut pki: *mut HermesPki = std::ptr::null_mut();
        // SAFETY: valid arguments.
        assert_eq!(
            unsafe { hermes_pki_open(dir_c.as_ptr(), &mut pki) },
            HermesStatus::Ok
        );
        assert!(hermes_last_error_message().is_null());
        let garbage = b"not a certificate";
        // SAFETY: a live handle and a valid buffer.
        let status = unsafe { hermes_add_trust_anchor(pki, garbage.as_ptr(), garbage.len()) };
        assert_eq!(status, HermesStatus::Parse);
        assert!(!last_error().is_empty());
        // SAFETY: `status_name` returns a static string.
        let name = unsafe { CStr::from_ptr(hermes_status_name(status as c_int)) };
        assert_eq!(name.to_str().unwrap(), "parse");
        // SAFETY: a live handle, freed once.
        unsafe { hermes_pki_free(pki) };
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_panic_becomes_internal_with_a_message_and_does_not_unwind() {
        let status = boundary(|| panic!("a bug"));
        assert_eq!(status, HermesStatus::Internal);
        assert!(last_error().contains("panic"));
        assert_eq!(shielded(7usize, || panic!("a bug in an accessor")), 7);
    }

    #[test]
    fn accessors_of_null_handles_are_neutral() {
        // SAFETY: NULL is accepted by every accessor.
        unsafe {
            assert!(!hermes_opened_is_valid(std::ptr::null()));
            assert_eq!(hermes_opened_signer_count(std::ptr::null()), 0);
            assert!(hermes_opened_signer_email(std::ptr::null(), 0).is_null());
            assert_eq!(hermes_protected_message_count(std::ptr::null()), 0);
            assert_eq!(
                hermes_protected_recipient_message(std::ptr::null(), 0),
                usize::MAX
            );
            assert!(!hermes_validation_is_valid(std::ptr::null()));
            hermes_opened_free(std::ptr::null_mut());
            hermes_protected_free(std::ptr::null_mut());
            hermes_validation_free(std::ptr::null_mut());
            hermes_pki_free(std::ptr::null_mut());
            hermes_string_free(std::ptr::null_mut());
        }
    }

    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: a static string.
        let v = unsafe { CStr::from_ptr(hermes_version()) };
        assert_eq!(v.to_str().unwrap(), hermes_pki::VERSION);
    }
}
