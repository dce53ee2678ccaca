//! The core's results as objects of the dataclasses of `hermes_pki._results`: one function
//! per type, each a field-by-field conversion.

use hermes_pki::lifecycle::{DeletedCertificate, KeyImported};
use hermes_pki::pki::{
    Layer, NotEncrypted, NotSigned, NotValidReason, Opened, Protected, SignerOutcome, SignerStatus,
    Signing,
};
use hermes_pki::request::bulk::{BulkReport, Plan, PlannedRow, RowNote};
use hermes_pki::request::{Delivery, RequestRecord, RequestResult};
use hermes_pki::select::{Exclusion, LeftOut, Why};
use hermes_pki::settings::Effective;
use hermes_pki::smime::{ContentCipher, SignatureForm, SignerVerdict, Verification};
use hermes_pki::store::{CaRecord, CrlRecord, CtlEntry, CtlStatus, IssuedRecord};
use hermes_pki::trust::{Reason, Validation, Warning};
use pyo3::prelude::*;

use crate::convert::{
    bytes, cert, certs, datetime, member, opt_cert, opt_datetime, opt_member, record, serial_int,
};

type Obj<'py> = Bound<'py, PyAny>;

/// A CA record.
pub(crate) fn ca_info<'py>(py: Python<'py>, r: &CaRecord) -> PyResult<Obj<'py>> {
    record!(py, "CaInfo" {
        id: r.id.get(),
        name: &r.name,
        certificate_thumbprint: r.certificate.to_hex(),
        parent: r.parent.map(|p| p.get()),
        is_default: r.is_default,
        imported: r.imported,
        created: datetime(py, r.created)?,
    })
}

/// An issued record.
pub(crate) fn issued_info<'py>(py: Python<'py>, r: &IssuedRecord) -> PyResult<Obj<'py>> {
    record!(py, "IssuedInfo" {
        ca: r.ca.get(),
        serial_number: serial_int(py, &r.serial)?,
        subject: &r.subject,
        email: r.email.as_deref(),
        thumbprint: r.thumbprint.to_hex(),
        not_before: datetime(py, r.not_before)?,
        not_after: datetime(py, r.not_after)?,
        issued_at: datetime(py, r.issued_at)?,
    })
}

/// A trust list entry.
pub(crate) fn ctl_entry<'py>(py: Python<'py>, e: &CtlEntry) -> PyResult<Obj<'py>> {
    let status = match e.status {
        CtlStatus::Whitelisted => "whitelisted",
        CtlStatus::Blacklisted => "blacklisted",
    };
    record!(py, "TrustListEntry" {
        thumbprint: e.thumbprint.to_hex(),
        status: member(py, "TrustStatus", status)?,
        allow_expired: e.allow_expired,
    })
}

/// One reason of a "not valid" verdict.
pub(crate) fn reason<'py>(py: Python<'py>, r: &Reason) -> PyResult<Obj<'py>> {
    use std::time::SystemTime;
    let mut date: Option<SystemTime> = None;
    let mut revocation = None;
    let mut thumbprint = None;
    let (kind, subject): (&str, Option<&str>) = match r {
        Reason::NoPathToTrustAnchor { last } => ("no-path-to-trust-anchor", Some(last)),
        Reason::BudgetExceeded { .. } => ("budget-exceeded", None),
        Reason::ChainTooLong { .. } => ("chain-too-long", None),
        Reason::NotYetValid {
            subject,
            not_before,
        } => {
            date = Some(*not_before);
            ("not-yet-valid", Some(subject))
        }
        Reason::Expired { subject, not_after } => {
            date = Some(*not_after);
            ("expired", Some(subject))
        }
        Reason::BadSignature { subject, .. } => ("bad-signature", Some(subject)),
        Reason::IssuerNotCa { subject } => ("issuer-not-ca", Some(subject)),
        Reason::IssuerCannotSignCertificates { subject } => {
            ("issuer-cannot-sign-certificates", Some(subject))
        }
        Reason::PathLengthExceeded { subject, .. } => ("path-length-exceeded", Some(subject)),
        Reason::UnknownCriticalExtension { subject, .. } => {
            ("unknown-critical-extension", Some(subject))
        }
        Reason::Malformed { subject, .. } => ("malformed", Some(subject)),
        Reason::Profile { subject, .. } => ("profile", Some(subject)),
        Reason::WeakAlgorithm { subject, .. } => ("weak-algorithm", Some(subject)),
        Reason::WeakKey { subject, .. } => ("weak-key", Some(subject)),
        Reason::NameConstraints { .. } => ("name-constraints", None),
        Reason::Policy { .. } => ("policy", None),
        Reason::Revoked {
            subject,
            reason,
            date: d,
        } => {
            date = Some(*d);
            revocation = reason.map(|r| r.name());
            ("revoked", Some(subject))
        }
        Reason::StaleCrl {
            subject,
            next_update,
        } => {
            date = Some(*next_update);
            ("stale-crl", Some(subject))
        }
        Reason::NoRevocationInfo { subject } => ("no-revocation-info", Some(subject)),
        Reason::Blacklisted {
            subject,
            thumbprint: t,
            ..
        } => {
            thumbprint = Some(t.to_hex());
            ("blacklisted", Some(subject))
        }
        Reason::Usage(_) => ("usage", None),
        Reason::ExtendedKeyUsage { subject, .. } => ("extended-key-usage", Some(subject)),
        Reason::LeafIsCa { subject } => ("leaf-is-ca", Some(subject)),
        Reason::NameMismatch { .. } => ("name-mismatch", None),
        _ => ("other", None),
    };
    record!(py, "Reason" {
        kind: member(py, "ReasonKind", kind)?,
        message: r.to_string(),
        subject: subject,
        date: opt_datetime(py, date)?,
        revocation_reason: opt_member(py, "RevocationReason", revocation)?,
        thumbprint: thumbprint,
    })
}

/// Reasons.
pub(crate) fn reasons<'py>(py: Python<'py>, rs: &[Reason]) -> PyResult<Vec<Obj<'py>>> {
    rs.iter().map(|r| reason(py, r)).collect()
}

/// A warning of a valid verdict.
fn warning<'py>(py: Python<'py>, w: &Warning) -> PyResult<Obj<'py>> {
    let (kind, subject, date) = match w {
        Warning::Profile { subject, .. } => ("profile", Some(subject.as_str()), None),
        Warning::NoRevocationInfo { subject } => {
            ("no-revocation-info", Some(subject.as_str()), None)
        }
        Warning::StaleCrl {
            subject,
            next_update,
        } => ("stale-crl", Some(subject.as_str()), Some(*next_update)),
        _ => ("other", None, None),
    };
    record!(py, "ValidationWarning" {
        kind: member(py, "WarningKind", kind)?,
        message: w.to_string(),
        subject: subject,
        date: opt_datetime(py, date)?,
    })
}

/// A validation verdict.
pub(crate) fn validation<'py>(py: Python<'py>, v: &Validation) -> PyResult<Obj<'py>> {
    let chain = match v {
        Validation::Valid { chain, .. } => certs(py, chain)?,
        Validation::Invalid { .. } => Vec::new(),
    };
    let warnings = v
        .warnings()
        .iter()
        .map(|w| warning(py, w))
        .collect::<PyResult<Vec<_>>>()?;
    record!(py, "Validation" {
        is_valid: v.is_valid(),
        chain: chain,
        warnings: warnings,
        reasons: reasons(py, v.reasons())?,
    })
}

/// A CRL import outcome.
pub(crate) fn crl_import<'py>(
    py: Python<'py>,
    i: &hermes_pki::crl::CrlImport,
) -> PyResult<Obj<'py>> {
    use hermes_pki::crl::CrlOutcome as O;
    let (kind, id, replaced, detail): (&str, Option<u64>, Vec<u64>, Option<String>) =
        match &i.outcome {
            O::Stored { id, replaced } => (
                "stored",
                Some(id.get()),
                replaced.iter().map(|r| r.get()).collect(),
                None,
            ),
            O::StoredPending { id } => ("stored-pending", Some(id.get()), Vec::new(), None),
            O::StoredInvalid { id, reason } => (
                "stored-invalid",
                Some(id.get()),
                Vec::new(),
                Some(reason.clone()),
            ),
            O::NotNewer { current } => ("not-newer", Some(current.get()), Vec::new(), None),
            O::AlreadyStored { id } => ("already-stored", Some(id.get()), Vec::new(), None),
            O::Unreadable { error } => ("unreadable", None, Vec::new(), Some(error.clone())),
        };
    record!(py, "CrlImport" {
        issuer: i.issuer.as_deref(),
        outcome: member(py, "CrlOutcome", kind)?,
        id: id,
        replaced: replaced,
        detail: detail,
    })
}

/// A big-endian CRL number as an `int` (`None` when absent).
fn crl_number<'py>(py: Python<'py>, n: Option<&[u8]>) -> PyResult<Option<Obj<'py>>> {
    n.map(|b| serial_int(py, &hermes_pki::cert::Serial::from_bytes(b)))
        .transpose()
}

/// A stored CRL's record.
pub(crate) fn crl_info<'py>(py: Python<'py>, r: &CrlRecord) -> PyResult<Obj<'py>> {
    let invalid = match &r.status {
        hermes_pki::store::CrlStatus::Valid => None,
        hermes_pki::store::CrlStatus::Invalid(why) => Some(why.as_str()),
    };
    record!(py, "CrlInfo" {
        id: r.id.get(),
        issuer: &r.issuer,
        number: crl_number(py, r.number.as_deref())?,
        is_delta: r.delta_base.is_some(),
        this_update: datetime(py, r.this_update)?,
        next_update: opt_datetime(py, r.next_update)?,
        is_valid: r.status.is_valid(),
        invalid_reason: invalid,
        entries: r.entries,
        source: r.source.as_deref(),
        stored_at: datetime(py, r.stored_at)?,
    })
}

/// A setting's effective value.
pub(crate) fn effective<'py>(py: Python<'py>, e: &Effective) -> PyResult<Obj<'py>> {
    let levels = e
        .levels
        .iter()
        .map(|(source, value)| {
            record!(py, "SettingLevel" {
                source: member(py, "Source", source.as_str())?,
                value: value.to_string(),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    record!(py, "EffectiveSetting" {
        key: e.key.as_str(),
        value: e.value.to_string(),
        source: member(py, "Source", e.source.as_str())?,
        levels: levels,
    })
}

/// Why a certificate is selected, and the level of an additional one.
fn why<'py>(py: Python<'py>, w: Why) -> PyResult<(Obj<'py>, Option<Obj<'py>>)> {
    let source = match w {
        Why::Additional { source } => Some(member(py, "Source", source.as_str())?),
        _ => None,
    };
    Ok((member(py, "Why", w.as_str())?, source))
}

/// A selected certificate.
pub(crate) fn selected<'py>(
    py: Python<'py>,
    c: &hermes_pki::cert::Certificate,
    w: Why,
) -> PyResult<Obj<'py>> {
    let (why, source) = why(py, w)?;
    record!(py, "SelectedCertificate" {
        certificate: cert(py, c)?,
        why: why,
        source: source,
    })
}

/// A certificate left out of a selection.
pub(crate) fn left_out<'py>(py: Python<'py>, l: &LeftOut) -> PyResult<Obj<'py>> {
    let (why, _) = why(py, l.why)?;
    let (exclusion, rs) = match &l.exclusion {
        Exclusion::NotStored => ("not-stored", Vec::new()),
        Exclusion::Invalid(rs) => ("invalid", reasons(py, rs)?),
        Exclusion::AutoSelectOff => ("auto-select-off", Vec::new()),
        Exclusion::NoKey => ("no-key", Vec::new()),
    };
    record!(py, "LeftOutCertificate" {
        thumbprint: l.thumbprint.to_hex(),
        certificate: opt_cert(py, l.certificate.as_ref())?,
        why: why,
        exclusion: member(py, "Exclusion", exclusion)?,
        message: l.exclusion.to_string(),
        reasons: rs,
    })
}

/// Left-out certificates.
pub(crate) fn left_outs<'py>(py: Python<'py>, ls: &[LeftOut]) -> PyResult<Vec<Obj<'py>>> {
    ls.iter().map(|l| left_out(py, l)).collect()
}

/// The member of `ContentCipher` for a content cipher.
fn cipher<'py>(py: Python<'py>, c: ContentCipher) -> PyResult<Obj<'py>> {
    let name = match c {
        ContentCipher::Aes128Cbc => "aes128-cbc",
        ContentCipher::Aes256Cbc => "aes256-cbc",
        ContentCipher::Aes128Gcm => "aes128-gcm",
        ContentCipher::Aes256Gcm => "aes256-gcm",
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "the bindings do not know the cipher {other:?} yet"
            )));
        }
    };
    member(py, "ContentCipher", name)
}

/// The value of a signature form in `SignatureForm`.
fn form_name(f: SignatureForm) -> &'static str {
    match f {
        SignatureForm::Detached => "detached",
        SignatureForm::Opaque => "opaque",
    }
}

/// What protect() made.
pub(crate) fn protected<'py>(py: Python<'py>, p: &Protected) -> PyResult<Obj<'py>> {
    let (signer, not_signed, not_signed_source) = match &p.signing {
        Signing::Signed { certificate, why } => {
            (Some(selected(py, certificate, *why)?), None, None)
        }
        Signing::NotSigned(NotSigned::SettingOff { source }) => {
            (None, Some("setting-off"), Some(source.as_str()))
        }
        Signing::NotSigned(NotSigned::NoCertificate) => (None, Some("no-certificate"), None),
    };
    let messages = p
        .messages
        .iter()
        .map(|m| {
            record!(py, "ProtectedMessage" {
                message: bytes(py, &m.message),
                recipients: m.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                signed: m.signed,
                cipher: m.cipher.map(|c| cipher(py, c)).transpose()?,
                encrypted_to: m.encrypted_to.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let recipients = p
        .recipients
        .iter()
        .map(|r| {
            let certificates = r
                .certificates
                .iter()
                .map(|(t, w)| {
                    let (why, source) = why(py, *w)?;
                    record!(py, "SelectedThumbprint" {
                        thumbprint: t.to_hex(),
                        why: why,
                        source: source,
                    })
                })
                .collect::<PyResult<Vec<_>>>()?;
            let (not_encrypted, source) = match &r.why_not {
                None => (None, None),
                Some(NotEncrypted::SettingNever { source }) => {
                    (Some("setting-never"), Some(source.as_str()))
                }
                Some(NotEncrypted::NoCertificate) => (Some("no-certificate"), None),
            };
            record!(py, "RecipientResult" {
                recipient: r.recipient.as_str(),
                policy: member(py, "EncryptPolicy", r.policy.0.as_str())?,
                policy_source: member(py, "Source", r.policy.1.as_str())?,
                encrypted: r.encrypted,
                certificates: certificates,
                left_out: left_outs(py, &r.left_out)?,
                not_encrypted: opt_member(py, "NotEncrypted", not_encrypted)?,
                not_encrypted_source: opt_member(py, "Source", source)?,
                message_index: r.message,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    record!(py, "Protected" {
        signed: p.signing.is_signed(),
        signer: signer,
        not_signed: opt_member(py, "NotSigned", not_signed)?,
        not_signed_source: opt_member(py, "Source", not_signed_source)?,
        messages: messages,
        recipients: recipients,
    })
}

/// One signer of a signed layer.
fn signer_outcome<'py>(py: Python<'py>, s: &SignerOutcome) -> PyResult<Obj<'py>> {
    let problems = match &s.verdict {
        SignerStatus::Valid => Vec::new(),
        SignerStatus::NotValid(all) => all
            .iter()
            .map(|p| {
                let (signature, cert_reasons, signer, senders) = match p {
                    NotValidReason::Signature(status) => {
                        (Some(status.to_string()), Vec::new(), Vec::new(), Vec::new())
                    }
                    NotValidReason::Certificate(rs) => {
                        (None, reasons(py, rs)?, Vec::new(), Vec::new())
                    }
                    NotValidReason::SignerIsNotSender { signer, senders } => {
                        (None, Vec::new(), signer.clone(), senders.clone())
                    }
                    _ => (None, Vec::new(), Vec::new(), Vec::new()),
                };
                record!(py, "SignerProblem" {
                    kind: member(py, "SignerProblemKind", p.as_str())?,
                    message: p.to_string(),
                    signature: signature,
                    certificate_reasons: cert_reasons,
                    signer_addresses: signer,
                    sender_addresses: senders,
                })
            })
            .collect::<PyResult<Vec<_>>>()?,
    };
    record!(py, "SignerResult" {
        certificate: opt_cert(py, s.certificate.as_ref())?,
        is_valid: s.is_valid(),
        problems: problems,
        stored: s.stored.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
    })
}

/// One layer of an opened message.
fn layer<'py>(py: Python<'py>, l: &Layer) -> PyResult<Obj<'py>> {
    match l {
        Layer::Encrypted(e) => record!(py, "Layer" {
            kind: member(py, "LayerKind", "encrypted")?,
            is_valid: l.is_valid(),
            cipher: &e.cipher,
            authenticated: e.authenticated,
            recipient_certificate: opt_cert(py, e.recipient_certificate.as_ref())?,
            weak: e.weak.iter().map(ToString::to_string).collect::<Vec<_>>(),
            form: py.None(),
            signers: Vec::<Obj<'py>>::new(),
        }),
        Layer::Signed(s) => record!(py, "Layer" {
            kind: member(py, "LayerKind", "signed")?,
            is_valid: l.is_valid(),
            cipher: py.None(),
            authenticated: false,
            recipient_certificate: py.None(),
            weak: Vec::<String>::new(),
            form: member(py, "SignatureForm", form_name(s.form))?,
            signers: s
                .signers
                .iter()
                .map(|o| signer_outcome(py, o))
                .collect::<PyResult<Vec<_>>>()?,
        }),
    }
}

/// Layers.
fn layers<'py>(py: Python<'py>, ls: &[Layer]) -> PyResult<Vec<Obj<'py>>> {
    ls.iter().map(|l| layer(py, l)).collect()
}

/// What open_message() answered.
pub(crate) fn opened<'py>(py: Python<'py>, o: &Opened) -> PyResult<Obj<'py>> {
    let kind = member(py, "OpenedKind", o.kind())?;
    match o {
        Opened::NotSmime(message) => record!(py, "Opened" {
            kind: kind,
            message: bytes(py, message),
            is_valid: false,
            is_signed: false,
            is_encrypted: false,
            unreadable: py.None(),
            unreadable_detail: py.None(),
            layers: Vec::<Obj<'py>>::new(),
            entity: py.None(),
            outer_header: py.None(),
            senders: Vec::<String>::new(),
        }),
        Opened::Unreadable {
            reason,
            layers: ls,
            message,
        } => record!(py, "Opened" {
            kind: kind,
            message: bytes(py, message),
            is_valid: false,
            is_signed: ls.iter().any(|l| matches!(l, Layer::Signed(_))),
            is_encrypted: ls.iter().any(|l| matches!(l, Layer::Encrypted(_))),
            unreadable: member(py, "Unreadable", reason.as_str())?,
            unreadable_detail: reason.to_string(),
            layers: layers(py, ls)?,
            entity: py.None(),
            outer_header: py.None(),
            senders: Vec::<String>::new(),
        }),
        Opened::Processed(m) => record!(py, "Opened" {
            kind: kind,
            message: bytes(py, &m.message),
            is_valid: m.is_valid(),
            is_signed: m.is_signed(),
            is_encrypted: m.is_encrypted(),
            unreadable: py.None(),
            unreadable_detail: py.None(),
            layers: layers(py, &m.layers)?,
            entity: bytes(py, &m.entity),
            outer_header: bytes(py, &m.outer_header),
            senders: m.senders.clone(),
        }),
    }
}

/// One signer of verify().
fn verified_signer<'py>(py: Python<'py>, s: &SignerVerdict) -> PyResult<Obj<'py>> {
    record!(py, "VerifiedSigner" {
        certificate: opt_cert(py, s.certificate.as_ref())?,
        signature_valid: s.signature_valid,
        validation: s.validation.as_ref().map(|v| validation(py, v)).transpose()?,
        is_valid: s.is_valid(),
    })
}

/// What verify() found.
pub(crate) fn verification<'py>(py: Python<'py>, v: &Verification) -> PyResult<Obj<'py>> {
    record!(py, "Verification" {
        is_valid: v.is_valid(),
        message: bytes(py, &v.message.message),
        form: member(py, "SignatureForm", form_name(v.message.form))?,
        signers: v
            .signers
            .iter()
            .map(|s| verified_signer(py, s))
            .collect::<PyResult<Vec<_>>>()?,
    })
}

/// A certificate request's record.
pub(crate) fn request_info<'py>(py: Python<'py>, r: &RequestRecord) -> PyResult<Obj<'py>> {
    record!(py, "RequestInfo" {
        id: r.id.get(),
        handler: &r.handler,
        status: member(py, "RequestStatus", r.status.as_str())?,
        email: &r.email,
        key_id: r.key_id.as_ref().map(|k| k.to_string()),
        csr: r.csr.as_deref().map(|c| bytes(py, c)),
        reference: r.reference.as_deref(),
        certificate_thumbprint: r.certificate.as_ref().map(|t| t.to_hex()),
        created: datetime(py, r.created)?,
        updated: datetime(py, r.updated)?,
        next_attempt: datetime(py, r.next_attempt)?,
        attempts: r.attempts,
        last_error: r.last_error.as_deref(),
    })
}

/// A PKCS#12 delivery.
pub(crate) fn delivery<'py>(py: Python<'py>, d: &Delivery) -> PyResult<Obj<'py>> {
    record!(py, "Delivery" {
        password: d.password(),
        pkcs12: bytes(py, d.pkcs12()),
        message: bytes(py, d.message()),
    })
}

/// What a request came to.
pub(crate) fn request_result<'py>(py: Python<'py>, r: &RequestResult) -> PyResult<Obj<'py>> {
    record!(py, "RequestResult" {
        request: request_info(py, r.record())?,
        is_pending: r.is_pending(),
        certificate: opt_cert(py, r.certificate())?,
        chain: certs(py, r.chain())?,
        delivery: r.delivery().map(|d| delivery(py, d)).transpose()?,
    })
}

/// Several request results.
pub(crate) fn request_results<'py>(
    py: Python<'py>,
    rs: &[RequestResult],
) -> PyResult<Vec<Obj<'py>>> {
    rs.iter().map(|r| request_result(py, r)).collect()
}

/// A row of a bulk file that is (to be) requested.
fn bulk_row<'py>(py: Python<'py>, p: &PlannedRow) -> PyResult<Obj<'py>> {
    record!(py, "BulkRow" {
        line: p.line,
        email: p.options.get_email(),
        common_name: p.options.get_common_name(),
    })
}

/// Rows of a bulk file.
fn bulk_rows<'py>(py: Python<'py>, ps: &[PlannedRow]) -> PyResult<Vec<Obj<'py>>> {
    ps.iter().map(|p| bulk_row(py, p)).collect()
}

/// A row of a bulk file that is not requested, and why.
fn bulk_note<'py>(py: Python<'py>, n: &RowNote) -> PyResult<Obj<'py>> {
    record!(py, "BulkNote" {
        line: n.line,
        email: &n.email,
        message: &n.message,
    })
}

/// Notes on rows of a bulk file.
fn bulk_notes<'py>(py: Python<'py>, ns: &[RowNote]) -> PyResult<Vec<Obj<'py>>> {
    ns.iter().map(|n| bulk_note(py, n)).collect()
}

/// What a bulk preview found.
pub(crate) fn bulk_plan<'py>(py: Python<'py>, p: &Plan) -> PyResult<Obj<'py>> {
    record!(py, "BulkPlan" {
        rows: bulk_rows(py, p.rows())?,
        skipped: bulk_notes(py, p.skipped())?,
        errors: bulk_notes(py, p.errors())?,
        ignored_columns: p.ignored_columns().to_vec(),
    })
}

/// What a bulk run did.
pub(crate) fn bulk_report<'py>(py: Python<'py>, r: &BulkReport) -> PyResult<Obj<'py>> {
    let issued = r
        .issued()
        .iter()
        .map(|i| {
            record!(py, "BulkIssued" {
                line: i.line,
                result: request_result(py, &i.result)?,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    record!(py, "BulkReport" {
        issued: issued,
        failed: r.failed().map(|n| bulk_note(py, n)).transpose()?,
        not_issued: bulk_rows(py, r.not_issued())?,
        is_complete: r.is_complete(),
    })
}

/// What deleting a certificate removed.
pub(crate) fn deleted_certificate<'py>(
    py: Python<'py>,
    d: &DeletedCertificate,
) -> PyResult<Obj<'py>> {
    record!(py, "DeletedCertificate" {
        key_removed: d.key_removed,
    })
}

/// What importing a private key attached.
pub(crate) fn key_import<'py>(py: Python<'py>, k: &KeyImported) -> PyResult<Obj<'py>> {
    record!(py, "KeyImport" {
        key_id: k.key_id.to_string(),
        certificates: k.certificates.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
        newly_stored: k.newly_stored,
    })
}
