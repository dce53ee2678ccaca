//! Python bindings of hermes-pki (module `hermes_pki._native`, re-exported by the `hermes_pki`
//! package). Thin: converts types, maps errors to exception classes, releases the GIL around
//! every call into the core. The exception classes, enums and result dataclasses are plain
//! Python (`hermes_pki._errors`, `_enums`, `_results`); this module fills them in.

mod cert;
mod convert;
mod pki;
mod results;

use pyo3::prelude::*;

/// The native part of the `hermes_pki` package.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", hermes_pki::VERSION)?;
    m.add_class::<cert::Certificate>()?;
    m.add_class::<cert::LoadProblem>()?;
    m.add_class::<pki::Pki>()?;
    m.add_function(wrap_pyfunction!(cert::load_certificates, m)?)?;
    Ok(())
}
