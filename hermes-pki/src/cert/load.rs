//! Loading certificates from files as users have them: PEM bundles, DER, PKCS#7 certs-only.
//!
//! API CONTRACT (skeleton; bodies are filled in by the `cert` work).

use super::Certificate;
use crate::error::{Error, Result};

/// One entry of the input that could not be loaded.
#[derive(Debug)]
pub struct LoadProblem {
    /// Where it was: "PEM block 3 (line 41)", "PKCS#7 certificate 2", "input".
    pub location: String,
    /// What was wrong.
    pub error: Error,
}

/// What [`load_certificates`] found: the good certificates, and every problem.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Certificates that parsed, in input order (duplicates kept once).
    pub certificates: Vec<Certificate>,
    /// Entries that did not.
    pub problems: Vec<LoadProblem>,
}

/// Auto-detects PEM (one or many blocks, CERTIFICATE / PKCS7 / X509 CERTIFICATE /
/// TRUSTED CERTIFICATE labels), DER certificate, or DER PKCS#7 certs-only, and loads everything.
/// Never panics; input that is none of these yields one problem.
pub fn load_certificates(_input: &[u8]) -> LoadReport {
    todo!()
}

/// Parses a PEM bundle. Text between blocks is ignored; blocks of other labels are reported as
/// problems.
pub fn parse_pem_bundle(_input: &[u8]) -> LoadReport {
    todo!()
}

/// Parses one DER certificate.
pub fn parse_der(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der)
}

/// Parses a DER PKCS#7 / CMS SignedData "certs-only" structure and returns its certificates.
pub fn parse_pkcs7(_der: &[u8]) -> Result<Vec<Certificate>> {
    todo!()
}
