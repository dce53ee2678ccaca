//! Loading certificates from files as users have them: PEM bundles, DER, PKCS#7 certs-only (in
//! DER, or in BER with indefinite lengths as Windows tools and `openssl cms -stream` write it).
//!
//! Work is linear in the input: the PEM scanner reads each line once, the BER converter
//! ([`crate::ber`]) is linear and bounded, and the number of blocks and problems reported is
//! capped.

use std::collections::HashSet;

use der::{Decode, Tag, Tagged};

use super::{Certificate, Thumbprint, oid};
use crate::ber::{self, BerLimits};
use crate::error::{Error, Result};
use crate::tlv;

/// At most this many PEM blocks are looked at in one input.
const MAX_PEM_BLOCKS: usize = 100_000;
/// At most this many problems are reported for one input (then one "limit exceeded").
const MAX_PROBLEMS: usize = 1_000;
/// The most certificates read from one PKCS#7 structure.
pub const MAX_PKCS7_CERTIFICATES: usize = 10_000;

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

/// Builds a [`LoadReport`]: drops duplicate certificates, caps the problems.
#[derive(Default)]
struct Collector {
    report: LoadReport,
    seen: HashSet<Thumbprint>,
    capped: bool,
}

impl Collector {
    fn certificate(&mut self, cert: Certificate) {
        if self.seen.insert(*cert.thumbprint()) {
            self.report.certificates.push(cert);
        }
    }

    fn problem(&mut self, location: impl Into<String>, error: Error) {
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report.problems.push(LoadProblem {
                location: location.into(),
                error,
            });
        } else if !self.capped {
            self.capped = true;
            self.report.problems.push(LoadProblem {
                location: "input".into(),
                error: Error::LimitExceeded(format!(
                    "more than {MAX_PROBLEMS} problems; the rest of the input was not reported"
                )),
            });
        }
    }

    fn result(&mut self, location: impl Into<String>, result: Result<Certificate>) {
        match result {
            Ok(cert) => self.certificate(cert),
            Err(e) => self.problem(location, e),
        }
    }

    fn finish(mut self) -> LoadReport {
        if self.report.certificates.is_empty() && self.report.problems.is_empty() {
            self.problem(
                "input",
                Error::Empty {
                    what: "certificate",
                },
            );
        }
        self.report
    }
}

/// Auto-detects PEM (one or many blocks, CERTIFICATE / PKCS7 / X509 CERTIFICATE /
/// TRUSTED CERTIFICATE labels), DER certificate, or PKCS#7 certs-only (DER or BER), and loads
/// everything.
/// Never panics; input that is none of these yields one problem.
///
/// ```
/// use hermes_pki::cert::load_certificates;
///
/// let report = load_certificates(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
/// assert!(report.certificates.is_empty());
/// assert_eq!(report.problems.len(), 1);
/// assert_eq!(report.problems[0].location, "PEM block 1 (line 1)");
/// ```
pub fn load_certificates(input: &[u8]) -> LoadReport {
    let mut out = Collector::default();
    if input.is_empty() {
        return out.finish();
    }
    if input.first() == Some(&0x30)
        && let Ok(cert) = Certificate::from_der(input)
    {
        out.certificate(cert);
        return out.finish();
    }
    if contains(input, b"-----BEGIN") {
        return parse_pem_bundle(input);
    }
    match Certificate::from_der(input) {
        Ok(cert) => out.certificate(cert),
        Err(cert_err) => {
            let pkcs7 = ber::to_der(input, P7_WHAT, &BerLimits::default())
                .ok()
                .filter(|der| cms::content_info::ContentInfo::from_der(der).is_ok());
            if let Some(der) = pkcs7 {
                match pkcs7_der_entries(&der) {
                    Ok(entries) => {
                        for (i, entry) in entries.into_iter().enumerate() {
                            out.result(format!("PKCS#7 certificate {}", i + 1), entry);
                        }
                    }
                    Err(e) => out.problem("input", e),
                }
            } else {
                out.problem(
                    "input",
                    Error::malformed(
                        "certificate",
                        format!(
                            "the input is not PEM, a DER certificate or a PKCS#7 \
                             certs-only structure in DER or BER ({cert_err})"
                        ),
                    ),
                );
            }
        }
    }
    out.finish()
}

/// Parses a PEM bundle. Text between blocks is ignored; blocks of other labels are reported as
/// problems.
pub fn parse_pem_bundle(input: &[u8]) -> LoadReport {
    let mut out = Collector::default();
    let (items, truncated) = scan_pem(input, MAX_PEM_BLOCKS);
    for item in items {
        let block = match item {
            Ok(block) => block,
            Err(problem) => {
                out.problem(problem.location, problem.error);
                continue;
            }
        };
        let location = block.location();
        match block.label {
            "CERTIFICATE" | "X509 CERTIFICATE" => out.result(
                location,
                decode_body(block.body).and_then(|d| Certificate::from_der(&d)),
            ),
            "TRUSTED CERTIFICATE" => {
                // OpenSSL's trusted form: the certificate followed by trust settings.
                let result = decode_body(block.body).and_then(|d| {
                    let first = tlv::leading(&d).map_err(|e| Error::malformed("certificate", e))?;
                    Certificate::from_der(first.raw)
                });
                out.result(location, result)
            }
            "PKCS7" | "CMS" | "PKCS #7 SIGNED DATA" => {
                match decode_body(block.body).and_then(|d| pkcs7_entries(&d)) {
                    Ok(entries) => {
                        if entries.is_empty() {
                            out.problem(
                                location.clone(),
                                Error::Empty {
                                    what: "certificate",
                                },
                            );
                        }
                        for (i, entry) in entries.into_iter().enumerate() {
                            out.result(format!("{location}, PKCS#7 certificate {}", i + 1), entry);
                        }
                    }
                    Err(e) => out.problem(location, e),
                }
            }
            other => out.problem(
                location,
                Error::UnexpectedPemLabel {
                    label: printable_label(other),
                    expected: "CERTIFICATE, TRUSTED CERTIFICATE or PKCS7",
                },
            ),
        }
    }
    if truncated {
        out.problem(
            "input",
            Error::LimitExceeded(format!(
                "more than {MAX_PEM_BLOCKS} PEM blocks; the rest of the input was not read"
            )),
        );
    }
    out.finish()
}

/// Parses one DER certificate.
pub fn parse_der(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der)
}

/// Parses a PKCS#7 / CMS SignedData "certs-only" structure and returns its certificates. DER
/// and BER (indefinite lengths, segmented strings) are both read.
///
/// The first certificate that does not parse makes the whole call fail; [`load_certificates`]
/// reports such entries one by one instead.
pub fn parse_pkcs7(der: &[u8]) -> Result<Vec<Certificate>> {
    pkcs7_entries(der)?.into_iter().collect()
}

/// What PKCS#7 errors are about.
const P7_WHAT: &str = "PKCS#7 structure";

fn p7_malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed(P7_WHAT, detail)
}

/// The certificates of a DER or BER ContentInfo holding SignedData; see [`pkcs7_der_entries`].
fn pkcs7_entries(input: &[u8]) -> Result<Vec<Result<Certificate>>> {
    let der = ber::to_der(input, P7_WHAT, &BerLimits::default())?;
    pkcs7_der_entries(&der)
}

/// The certificates of a DER ContentInfo holding SignedData, each parsed on its own, in input
/// order (kept as their exact bytes: not re-encoded, not re-sorted; a certificate in DER, as
/// certificates are, is left unchanged by the BER conversion).
fn pkcs7_der_entries(der: &[u8]) -> Result<Vec<Result<Certificate>>> {
    let ci = cms::content_info::ContentInfo::from_der(der).map_err(p7_malformed)?;
    if ci.content_type != oid::ID_SIGNED_DATA {
        return Err(Error::unsupported(
            "PKCS#7 content type",
            format!(
                "{}; only SignedData (certs-only) holds certificates",
                ci.content_type
            ),
        ));
    }
    if ci.content.tag() != Tag::Sequence {
        return Err(p7_malformed("SignedData is not a SEQUENCE"));
    }
    let fields = tlv::elements(ci.content.value()).map_err(p7_malformed)?;
    let shape_ok = matches!(
        fields.as_slice(),
        [v, d, e, .., s] if v.tag == Tag::Integer && d.tag == Tag::Set
            && e.tag == Tag::Sequence && s.tag == Tag::Set
    );
    if !shape_ok {
        return Err(p7_malformed("SignedData does not have the expected fields"));
    }
    let mut out = Vec::new();
    for field in fields.iter().filter(|f| tlv::is_context(f.tag, 0, true)) {
        // Read one entry beyond the limit at most, never the whole list first.
        let (choices, more) =
            tlv::elements_at_most(field.value, MAX_PKCS7_CERTIFICATES).map_err(p7_malformed)?;
        if more {
            return Err(Error::LimitExceeded(format!(
                "the PKCS#7 structure holds more than {MAX_PKCS7_CERTIFICATES} certificates"
            )));
        }
        for choice in choices {
            if choice.tag == Tag::Sequence {
                out.push(Certificate::from_der(choice.raw));
            } else {
                out.push(Err(Error::unsupported(
                    "certificate format",
                    "only X.509 certificates are read from PKCS#7 (not attribute or other certificates)",
                )));
            }
        }
    }
    Ok(out)
}

/// One PEM block found by [`scan_pem`].
pub(crate) struct PemBlock<'a> {
    /// 1-based block number.
    pub index: usize,
    /// 1-based line of the BEGIN line.
    pub line: usize,
    /// The label of the BEGIN line.
    pub label: &'a str,
    /// The text between the BEGIN and END lines.
    pub body: &'a [u8],
}

impl PemBlock<'_> {
    fn location(&self) -> String {
        location(self.index, self.line)
    }
}

fn location(index: usize, line: usize) -> String {
    format!("PEM block {index} (line {line})")
}

/// `label` for messages: printable ASCII only, at most 64 characters.
pub(crate) fn printable_label(label: &str) -> String {
    label
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(first) = needle.first() else {
        return true;
    };
    haystack
        .iter()
        .enumerate()
        .filter(|(_, b)| *b == first)
        .any(|(i, _)| {
            haystack
                .get(i..)
                .is_some_and(|rest| rest.starts_with(needle))
        })
}

/// `-----BEGIN label-----` / `-----END label-----` line: the label.
fn boundary<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    line.strip_prefix(prefix)?.strip_suffix(b"-----")
}

/// Scans `input` for PEM blocks, line by line (each line looked at once), tolerating text
/// between blocks. Returns at most `limit` items (blocks or problems with unterminated or
/// mismatched blocks), and whether it stopped early because of the limit.
pub(crate) fn scan_pem(
    input: &[u8],
    limit: usize,
) -> (Vec<Result<PemBlock<'_>, LoadProblem>>, bool) {
    struct Open<'a> {
        index: usize,
        line: usize,
        label: &'a [u8],
        body_start: usize,
    }
    let mut items = Vec::new();
    let mut open: Option<Open<'_>> = None;
    let mut count = 0usize;
    let mut pos = 0usize;
    let mut line_no = 0usize;
    let unterminated = |o: &Open<'_>| LoadProblem {
        location: location(o.index, o.line),
        error: Error::malformed("PEM block", "no matching -----END line"),
    };
    while pos < input.len() {
        if items.len() >= limit {
            return (items, true);
        }
        line_no += 1;
        let rest = input.get(pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let line_start = pos;
        let raw_line = rest.get(..len).unwrap_or_default();
        pos += len;
        let line = raw_line.trim_ascii();
        if !line.starts_with(b"-----") {
            continue;
        }
        if let Some(label) = boundary(line, b"-----BEGIN ") {
            if let Some(o) = open.take() {
                items.push(Err(unterminated(&o)));
            }
            count += 1;
            open = Some(Open {
                index: count,
                line: line_no,
                label,
                body_start: pos,
            });
        } else if let Some(label) = boundary(line, b"-----END ")
            && let Some(o) = open.take()
        {
            let body = input.get(o.body_start..line_start).unwrap_or_default();
            let item = if label != o.label {
                Err(LoadProblem {
                    location: location(o.index, o.line),
                    error: Error::malformed(
                        "PEM block",
                        "the END line's label differs from the BEGIN line's",
                    ),
                })
            } else {
                match std::str::from_utf8(o.label) {
                    Ok(label) => Ok(PemBlock {
                        index: o.index,
                        line: o.line,
                        label,
                        body,
                    }),
                    Err(_) => Err(LoadProblem {
                        location: location(o.index, o.line),
                        error: Error::malformed("PEM block", "the label is not text"),
                    }),
                }
            };
            items.push(item);
        }
    }
    if let Some(o) = open {
        if items.len() >= limit {
            return (items, true);
        }
        items.push(Err(unterminated(&o)));
    }
    (items, false)
}

/// Decodes the base64 between a PEM block's boundaries. Any line width and line ending is
/// accepted; PEM headers (`Proc-Type: ...`) are not.
pub(crate) fn decode_body(body: &[u8]) -> Result<Vec<u8>> {
    let bad = |detail: &str| Error::malformed("PEM block", detail);
    let mut text = Vec::with_capacity(body.len() + body.len() / 64 + 64);
    text.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
    let mut column = 0usize;
    let mut any = false;
    for &b in body {
        if b.is_ascii_whitespace() {
            continue;
        }
        if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
            return Err(bad(
                "the encapsulated text is not base64 (PEM headers are not supported)",
            ));
        }
        if column == 64 {
            text.push(b'\n');
            column = 0;
        }
        text.push(b);
        column += 1;
        any = true;
    }
    if !any {
        return Err(bad("the block is empty"));
    }
    text.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    let (_, der) = der::pem::decode_vec(&text)
        .map_err(|e| Error::malformed("PEM block", format!("invalid base64: {e}")))?;
    Ok(der)
}

#[cfg(test)]
mod tests;
