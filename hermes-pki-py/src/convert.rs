//! Conversions between Python values and the core's types: errors to exception classes,
//! times, thumbprints, serials, enums, and the result dataclasses of `hermes_pki._results`.

use std::time::SystemTime;

use hermes_pki::cert::{Serial, Thumbprint};
use hermes_pki::time::{FixedClock, from_unix_seconds, unix_seconds};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDelta, PyInt, PyString, PyTzInfo};

use crate::cert::Certificate;

/// Builds an object of a result dataclass of `hermes_pki._results` from keyword arguments.
macro_rules! record {
    ($py:expr, $cls:literal { $($k:ident : $v:expr),* $(,)? }) => {{
        let kw = pyo3::types::PyDict::new($py);
        $( kw.set_item(stringify!($k), $v)?; )*
        $crate::convert::class($py, "hermes_pki._results", $cls)?.call((), Some(&kw))
    }};
}
pub(crate) use record;

/// An attribute of a module of the package (an exception class, an enum, a dataclass).
pub(crate) fn class<'py>(py: Python<'py>, module: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(module)?.getattr(name)
}

/// Maps a core error to the exception class of its kind (`hermes_pki._errors`), with the
/// core's message and a `kind` attribute (the kind's stable name, e.g. `"parse"`).
pub(crate) fn error(py: Python<'_>, err: hermes_pki::Error) -> PyErr {
    use hermes_pki::ErrorKind as K;
    let kind = err.kind();
    let name = match kind {
        K::Parse => "ParseError",
        K::Unsupported => "UnsupportedError",
        K::Weak => "WeakError",
        K::KeyMismatch => "KeyMismatchError",
        K::BadPassword => "BadPasswordError",
        K::LimitExceeded => "LimitExceededError",
        K::Crypto => "CryptoError",
        K::NotFound => "NotFoundError",
        K::Duplicate => "DuplicateError",
        K::Storage => "StorageError",
        K::Io => "IoError",
        K::InvalidArgument => "InvalidArgumentError",
        K::InvalidKey => "InvalidKeyError",
        K::NotCa => "NotCaError",
        K::NotPermitted => "NotPermittedError",
        _ => "HermesError",
    };
    let made = class(py, "hermes_pki._errors", name)
        .and_then(|cls| cls.call1((err.to_string(),)))
        .and_then(|e| {
            e.setattr("kind", kind.to_string())?;
            Ok(PyErr::from_value(e))
        });
    made.unwrap_or_else(|e| e)
}

/// `Result` of the core to `PyResult`, the error mapped by [`error`].
pub(crate) trait OrRaise<T> {
    /// The value, or the exception of the error's kind.
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for hermes_pki::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| error(py, e))
    }
}

/// The `InvalidArgumentError` for a bad argument the binding itself checks.
pub(crate) fn invalid(py: Python<'_>, msg: impl Into<String>) -> PyErr {
    error(py, hermes_pki::Error::InvalidArgument(msg.into()))
}

/// A time as a timezone-aware UTC `datetime` (whole seconds; any year 1..=9999).
pub(crate) fn datetime(py: Python<'_>, t: SystemTime) -> PyResult<Bound<'_, PyDateTime>> {
    let secs = unix_seconds(t);
    let utc = PyTzInfo::utc(py)?;
    let epoch = PyDateTime::new(py, 1970, 1, 1, 0, 0, 0, 0, Some(&utc))?;
    let days =
        i32::try_from(secs.div_euclid(86_400)).map_err(|_| invalid(py, "time out of range"))?;
    let rem =
        i32::try_from(secs.rem_euclid(86_400)).map_err(|_| invalid(py, "time out of range"))?;
    let delta = PyDelta::new(py, days, rem, 0, true)?;
    Ok(epoch.call_method1("__add__", (delta,))?.cast_into()?)
}

/// An optional time as an optional `datetime`.
pub(crate) fn opt_datetime(
    py: Python<'_>,
    t: Option<SystemTime>,
) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    t.map(|t| datetime(py, t)).transpose()
}

/// A timezone-aware `datetime` as a time (whole seconds); a naive one is refused
/// (`InvalidArgumentError`, a `ValueError`).
pub(crate) fn system_time(when: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let py = when.py();
    if !when.is_instance_of::<PyDateTime>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "a time must be a datetime.datetime",
        ));
    }
    if when.getattr("tzinfo")?.is_none() || when.call_method0("utcoffset")?.is_none() {
        return Err(invalid(
            py,
            "a datetime must be timezone-aware (for example datetime.now(timezone.utc))",
        ));
    }
    let ts: f64 = when.call_method0("timestamp")?.extract()?;
    Ok(from_unix_seconds(ts.floor() as i64))
}

/// `at`, or now when `None`.
pub(crate) fn at_or_now(at: Option<&Bound<'_, PyAny>>) -> PyResult<SystemTime> {
    match at {
        Some(a) if !a.is_none() => system_time(a),
        _ => Ok(SystemTime::now()),
    }
}

/// The clock of a call: fixed at `at`, or now.
pub(crate) fn clock(at: Option<&Bound<'_, PyAny>>) -> PyResult<FixedClock> {
    Ok(FixedClock(at_or_now(at)?))
}

/// A SHA-512 thumbprint from a `Certificate` or its hex form (upper or lower case, `:`
/// separators allowed).
pub(crate) fn thumbprint(obj: &Bound<'_, PyAny>) -> PyResult<Thumbprint> {
    let py = obj.py();
    if let Ok(c) = obj.cast::<Certificate>() {
        return Ok(*c.get().inner.thumbprint());
    }
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "a certificate must be given as a Certificate or its SHA-512 thumbprint (hex str)",
        ));
    };
    let text: String = s.to_cow()?.chars().filter(|c| *c != ':').collect();
    let bytes = hex::decode(text.trim())
        .map_err(|_| invalid(py, format!("{text:?} is not a hexadecimal thumbprint")))?;
    Thumbprint::from_bytes(&bytes).or_raise(py)
}

/// Thumbprints from a sequence of `Certificate`s or hex strings.
pub(crate) fn thumbprints(objs: &[Bound<'_, PyAny>]) -> PyResult<Vec<Thumbprint>> {
    objs.iter().map(thumbprint).collect()
}

/// A serial number from a non-negative `int` (or a `Certificate`: its serial).
pub(crate) fn serial(obj: &Bound<'_, PyAny>) -> PyResult<Serial> {
    let py = obj.py();
    if let Ok(c) = obj.cast::<Certificate>() {
        return Ok(c.get().inner.serial().clone());
    }
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<pyo3::types::PyBool>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "a serial number must be an int (or a Certificate)",
        ));
    }
    if obj.lt(0)? {
        return Err(invalid(py, "a serial number cannot be negative"));
    }
    let hex: String = obj.call_method1("__format__", ("x",))?.extract()?;
    Serial::from_hex(&hex).or_raise(py)
}

/// A serial number as a Python `int`.
pub(crate) fn serial_int<'py>(py: Python<'py>, s: &Serial) -> PyResult<Bound<'py, PyAny>> {
    let hex = if s.as_bytes().is_empty() {
        "0".to_string()
    } else {
        hex::encode(s.as_bytes())
    };
    py.get_type::<PyInt>().call1((hex, 16))
}

/// The value of a member of the enum `name` of `hermes_pki._enums`; anything else is a
/// `TypeError`.
pub(crate) fn enum_value(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let cls = class(obj.py(), "hermes_pki._enums", name)?;
    if !obj.is_instance(&cls)? {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "expected a hermes_pki.{name}, got {}",
            obj.get_type().name()?
        )));
    }
    obj.getattr("value")?.extract()
}

/// The member of the enum `name` of `hermes_pki._enums` with this value.
pub(crate) fn member<'py>(py: Python<'py>, name: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    class(py, "hermes_pki._enums", name)?.call1((value,))
}

/// An optional member.
pub(crate) fn opt_member<'py>(
    py: Python<'py>,
    name: &str,
    value: Option<&str>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    value.map(|v| member(py, name, v)).transpose()
}

/// Bytes.
pub(crate) fn bytes<'py>(py: Python<'py>, b: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, b)
}

/// A certificate object.
pub(crate) fn cert<'py>(
    py: Python<'py>,
    c: &hermes_pki::cert::Certificate,
) -> PyResult<Bound<'py, Certificate>> {
    Bound::new(py, Certificate { inner: c.clone() })
}

/// Certificate objects.
pub(crate) fn certs<'py>(
    py: Python<'py>,
    cs: &[hermes_pki::cert::Certificate],
) -> PyResult<Vec<Bound<'py, Certificate>>> {
    cs.iter().map(|c| cert(py, c)).collect()
}

/// Optional certificate object.
pub(crate) fn opt_cert<'py>(
    py: Python<'py>,
    c: Option<&hermes_pki::cert::Certificate>,
) -> PyResult<Option<Bound<'py, Certificate>>> {
    c.map(|c| cert(py, c)).transpose()
}
