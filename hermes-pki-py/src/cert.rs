//! Certificates: parsing, their properties, and loading many at once.

use std::hash::{Hash, Hasher};

use hermes_pki::cert;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyString};

use crate::convert::{self, OrRaise};

/// A parsed X.509 certificate. Equal (and hashed) by SHA-512 thumbprint.
#[pyclass(frozen, eq, hash, module = "hermes_pki", name = "Certificate")]
pub struct Certificate {
    pub(crate) inner: cert::Certificate,
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
                    return Err(convert::error(
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
        parsed.map(|inner| Certificate { inner }).or_raise(py)
    }

    /// Parses one DER-encoded certificate.
    #[classmethod]
    fn from_der(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        der: &[u8],
    ) -> PyResult<Self> {
        let parsed = py.detach(|| cert::Certificate::from_der(der));
        parsed.map(|inner| Certificate { inner }).or_raise(py)
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

    /// Serial number as an `int` (as pyca/cryptography's `serial_number`).
    #[getter]
    fn serial_number<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::serial_int(py, self.inner.serial())
    }

    /// notBefore, timezone-aware UTC.
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::datetime(py, self.inner.not_before())
    }

    /// notAfter, timezone-aware UTC.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        convert::datetime(py, self.inner.not_after())
    }

    /// notBefore <= when <= notAfter; `when` must be timezone-aware.
    fn is_valid_at(&self, when: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.inner.is_valid_at(convert::system_time(when)?))
    }

    /// HTTP(S) and other CRL distribution point URLs.
    #[getter]
    fn crl_distribution_points(&self) -> Vec<String> {
        self.inner.crl_distribution_points().to_vec()
    }

    /// Email addresses (SAN rfc822Name and subject emailAddress), normalised.
    #[getter]
    fn emails(&self) -> Vec<String> {
        self.inner.emails().to_vec()
    }

    /// extendedKeyUsage OIDs (dotted), or None when absent.
    #[getter]
    fn extended_key_usage(&self) -> Option<Vec<String>> {
        self.inner
            .extended_key_usage()
            .map(|ekus| ekus.iter().map(ToString::to_string).collect())
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
    pub(crate) location: String,
    #[pyo3(get)]
    pub(crate) kind: String,
    #[pyo3(get)]
    pub(crate) message: String,
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

/// The problems of a load report as `LoadProblem`s.
pub(crate) fn problems(report: &[cert::LoadProblem]) -> Vec<LoadProblem> {
    report
        .iter()
        .map(|p| LoadProblem {
            location: p.location.clone(),
            kind: p.error.kind().to_string(),
            message: p.error.to_string(),
        })
        .collect()
}

/// Loads certificates from PEM (one or many blocks), DER or PKCS#7 input. Returns
/// `(certificates, problems)`.
#[pyfunction]
pub(crate) fn load_certificates(
    py: Python<'_>,
    data: &[u8],
) -> (Vec<Certificate>, Vec<LoadProblem>) {
    let report = py.detach(|| cert::load_certificates(data));
    let found = problems(&report.problems);
    let certs = report
        .certificates
        .into_iter()
        .map(|inner| Certificate { inner })
        .collect();
    (certs, found)
}
