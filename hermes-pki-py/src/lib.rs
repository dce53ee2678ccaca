//! Python bindings of hermes-pki (module `hermes_pki._native`, re-exported by the `hermes_pki`
//! package). Thin: converts types, maps errors to exception classes, releases the GIL.

use std::hash::{Hash, Hasher};

use hermes_pki::cert;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDelta, PyString, PyTzInfo};

create_exception!(
    hermes_pki,
    HermesError,
    PyException,
    "Base class of every hermes-pki error."
);
create_exception!(
    hermes_pki,
    ParseError,
    HermesError,
    "Input could not be parsed."
);
create_exception!(
    hermes_pki,
    UnsupportedError,
    HermesError,
    "Unsupported algorithm or feature."
);
create_exception!(
    hermes_pki,
    WeakError,
    HermesError,
    "A key or algorithm is too weak."
);
create_exception!(
    hermes_pki,
    KeyMismatchError,
    HermesError,
    "A key does not match its certificate."
);
create_exception!(
    hermes_pki,
    BadPasswordError,
    HermesError,
    "Wrong password, or tampered data."
);
create_exception!(
    hermes_pki,
    LimitExceededError,
    HermesError,
    "A resource limit was hit."
);
create_exception!(
    hermes_pki,
    CryptoError,
    HermesError,
    "A cryptographic operation failed."
);
create_exception!(
    hermes_pki,
    NotFoundError,
    HermesError,
    "The object does not exist."
);
create_exception!(
    hermes_pki,
    DuplicateError,
    HermesError,
    "The object already exists."
);
create_exception!(
    hermes_pki,
    StorageError,
    HermesError,
    "The storage backend failed."
);
create_exception!(hermes_pki, IoError, HermesError, "A file operation failed.");
create_exception!(
    hermes_pki,
    InvalidArgumentError,
    HermesError,
    "An argument is out of range."
);

/// Maps a core error to the exception class of its kind, with the core message and a `kind`
/// attribute (the kind's stable name, e.g. `"parse"`).
fn to_py_err(py: Python<'_>, err: hermes_pki::Error) -> PyErr {
    use hermes_pki::ErrorKind as K;
    let kind = err.kind();
    let msg = err.to_string();
    let e = match kind {
        K::Parse => ParseError::new_err(msg),
        K::Unsupported => UnsupportedError::new_err(msg),
        K::Weak => WeakError::new_err(msg),
        K::KeyMismatch => KeyMismatchError::new_err(msg),
        K::BadPassword => BadPasswordError::new_err(msg),
        K::LimitExceeded => LimitExceededError::new_err(msg),
        K::Crypto => CryptoError::new_err(msg),
        K::NotFound => NotFoundError::new_err(msg),
        K::Duplicate => DuplicateError::new_err(msg),
        K::Storage => StorageError::new_err(msg),
        K::Io => IoError::new_err(msg),
        K::InvalidArgument => InvalidArgumentError::new_err(msg),
        _ => HermesError::new_err(msg),
    };
    // Best effort: the exception is still right without the attribute.
    let _ = e.value(py).setattr("kind", kind.to_string());
    e
}

/// Seconds since the Unix epoch as a timezone-aware UTC `datetime` (any year 1..=9999).
fn utc_datetime(py: Python<'_>, secs: i64) -> PyResult<Bound<'_, PyDateTime>> {
    let utc = PyTzInfo::utc(py)?;
    let epoch = PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc))?;
    let days = i32::try_from(secs.div_euclid(86_400))
        .map_err(|_| PyValueError::new_err("time out of range"))?;
    let rem = i32::try_from(secs.rem_euclid(86_400))
        .map_err(|_| PyValueError::new_err("time out of range"))?;
    let delta = PyDelta::new(py, days, rem, 0, true)?;
    Ok(epoch.call_method1("__add__", (delta,))?.cast_into()?)
}

/// A parsed X.509 certificate. Equal (and hashed) by SHA-512 thumbprint.
#[pyclass(frozen, eq, hash, module = "hermes_pki", name = "Certificate")]
pub struct Certificate {
    inner: cert::Certificate,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.inner.thumbprint() == other.inner.thumbprint()
    }
}

impl Hash for Certificate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.thumbprint().hash(state);
    }
}

#[pymethods]
impl Certificate {
    /// Parses exactly one PEM CERTIFICATE block (str, or bytes in UTF-8/ASCII).
    #[classmethod]
    fn from_pem(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        pem: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let text: String = if let Ok(s) = pem.cast::<PyString>() {
            s.to_cow()?.into_owned()
        } else if let Ok(b) = pem.cast::<PyBytes>() {
            match std::str::from_utf8(b.as_bytes()) {
                Ok(s) => s.to_owned(),
                Err(_) => {
                    return Err(to_py_err(
                        py,
                        hermes_pki::Error::Malformed {
                            what: "PEM",
                            detail: "input is not UTF-8 text".into(),
                        },
                    ));
                }
            }
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "pem must be str or bytes",
            ));
        };
        let parsed = py.detach(|| cert::Certificate::from_pem(&text));
        parsed
            .map(|inner| Certificate { inner })
            .map_err(|e| to_py_err(py, e))
    }

    /// Parses one DER-encoded certificate.
    #[classmethod]
    fn from_der(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        der: &[u8],
    ) -> PyResult<Self> {
        let parsed = py.detach(|| cert::Certificate::from_der(der));
        parsed
            .map(|inner| Certificate { inner })
            .map_err(|e| to_py_err(py, e))
    }

    /// The DER encoding, exactly as parsed.
    #[getter]
    fn der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }

    /// The PEM encoding.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// SHA-256 thumbprint, upper-case hex.
    #[getter]
    fn sha256(&self) -> String {
        self.inner.sha256().to_hex()
    }

    /// SHA-512 thumbprint, upper-case hex.
    #[getter]
    fn sha512(&self) -> String {
        self.inner.thumbprint().to_hex()
    }

    /// The identifying thumbprint (SHA-512, upper-case hex).
    #[getter]
    fn thumbprint(&self) -> String {
        self.inner.thumbprint().to_hex()
    }

    /// Subject, RFC 4514.
    #[getter]
    fn subject(&self) -> &str {
        self.inner.subject()
    }

    /// Issuer, RFC 4514.
    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }

    /// Serial number, upper-case hex.
    #[getter]
    fn serial(&self) -> String {
        self.inner.serial().to_string()
    }

    /// notBefore, timezone-aware UTC.
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        utc_datetime(py, hermes_pki::time::unix_seconds(self.inner.not_before()))
    }

    /// notAfter, timezone-aware UTC.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        utc_datetime(py, hermes_pki::time::unix_seconds(self.inner.not_after()))
    }

    /// notBefore <= when <= notAfter; `when` must be timezone-aware.
    fn is_valid_at(&self, when: &Bound<'_, PyAny>) -> PyResult<bool> {
        if when.getattr("tzinfo")?.is_none() {
            return Err(PyValueError::new_err("datetime must be timezone-aware"));
        }
        let ts: f64 = when.call_method0("timestamp")?.extract()?;
        let t = hermes_pki::time::from_unix_seconds(ts.floor() as i64);
        Ok(self.inner.is_valid_at(t))
    }

    /// Email addresses (SAN rfc822Name and subject emailAddress), normalised.
    #[getter]
    fn emails(&self) -> Vec<String> {
        self.inner.emails().to_vec()
    }

    /// extendedKeyUsage OIDs (dotted), or None when absent.
    #[getter]
    fn extended_key_usage(&self) -> Option<Vec<String>> {
        self.inner.extended_key_usage().map(<[String]>::to_vec)
    }

    /// basicConstraints cA.
    #[getter]
    fn is_ca(&self) -> bool {
        self.inner.is_ca()
    }

    /// Subject equals issuer and the signature verifies with the certificate's own key.
    #[getter]
    fn is_self_signed(&self) -> bool {
        self.inner.is_self_signed()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Certificate subject={:?} serial={} sha256={}>",
            self.inner.subject(),
            self.inner.serial(),
            self.inner.sha256()
        )
    }
}

/// One entry of the input that could not be loaded.
#[pyclass(frozen, module = "hermes_pki", name = "LoadProblem")]
pub struct LoadProblem {
    #[pyo3(get)]
    location: String,
    #[pyo3(get)]
    kind: String,
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl LoadProblem {
    fn __repr__(&self) -> String {
        format!(
            "<LoadProblem location={:?} kind={:?} message={:?}>",
            self.location, self.kind, self.message
        )
    }
}

/// Loads certificates from PEM (one or many blocks), DER or PKCS#7 input. Returns
/// `(certificates, problems)`.
#[pyfunction]
fn load_certificates(py: Python<'_>, data: &[u8]) -> (Vec<Certificate>, Vec<LoadProblem>) {
    let report = py.detach(|| cert::load_certificates(data));
    let certs = report
        .certificates
        .into_iter()
        .map(|inner| Certificate { inner })
        .collect();
    let problems = report
        .problems
        .into_iter()
        .map(|p| LoadProblem {
            location: p.location,
            kind: p.error.kind().to_string(),
            message: p.error.to_string(),
        })
        .collect();
    (certs, problems)
}

/// The native part of the `hermes_pki` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", hermes_pki::VERSION)?;
    m.add_class::<Certificate>()?;
    m.add_class::<LoadProblem>()?;
    m.add_function(wrap_pyfunction!(load_certificates, m)?)?;
    m.add("HermesError", py.get_type::<HermesError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("WeakError", py.get_type::<WeakError>())?;
    m.add("KeyMismatchError", py.get_type::<KeyMismatchError>())?;
    m.add("BadPasswordError", py.get_type::<BadPasswordError>())?;
    m.add("LimitExceededError", py.get_type::<LimitExceededError>())?;
    m.add("CryptoError", py.get_type::<CryptoError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("DuplicateError", py.get_type::<DuplicateError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<InvalidArgumentError>(),
    )?;
    Ok(())
}
