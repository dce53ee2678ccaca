//! The facade's pass-throughs to what the store holds: certificates, trust anchors, the trust
//! list, and validation with the store's settings.

use std::time::SystemTime;

use super::Pki;
use crate::cert::{Certificate, LoadReport, Thumbprint, load_certificates};
use crate::error::{Error, Result};
use crate::store::{CtlEntry, StoreExt};
use crate::trust::{LeafPolicy, Validation, ValidationOptions, Validator, can_be_anchor};

impl Pki {
    /// Imports every certificate found in `input` (PEM, DER, PKCS#7 bundles; several at once)
    /// into the certificate store, in one transaction. The report lists what was read and what
    /// could not be (one bad entry does not stop the good ones); `Err` only for the store.
    pub fn import_certificates(&self, input: &[u8]) -> Result<LoadReport> {
        let report = load_certificates(input);
        self.store.transaction(|tx| {
            for c in &report.certificates {
                tx.put_certificate(c)?;
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Makes `cert` a trust anchor (and a stored certificate). Refused
    /// ([`Error::NotCa`]) for a certificate that cannot be an anchor
    /// ([`can_be_anchor`]: a CA, or a version 1 self-signed root).
    pub fn add_trust_anchor(&self, cert: &Certificate) -> Result<()> {
        if !can_be_anchor(cert) {
            return Err(Error::NotCa(format!(
                "\"{}\" is neither a CA certificate nor a version 1 self-signed root, so it \
                 cannot be a trust anchor; whitelist it on the trust list instead",
                cert.subject()
            )));
        }
        self.store.transaction(|tx| {
            tx.put_certificate(cert)?;
            tx.put_root(cert)?;
            Ok(())
        })
    }

    /// Puts an entry on the trust list (whitelisted or blacklisted, keyed by SHA-512
    /// thumbprint; the certificate need not be stored), replacing any entry it had.
    pub fn set_trust_list_entry(&self, entry: &CtlEntry) -> Result<()> {
        self.store.transaction(|tx| tx.put_ctl_entry(entry))
    }

    /// Removes a certificate's trust-list entry; `false` when it had none.
    pub fn remove_trust_list_entry(&self, thumbprint: &Thumbprint) -> Result<bool> {
        self.store.transaction(|tx| tx.delete_ctl_entry(thumbprint))
    }

    /// The trust list.
    pub fn trust_list(&self) -> Result<Vec<CtlEntry>> {
        self.store.read_transaction(|tx| tx.ctl_entries())
    }

    /// Validates `cert` for `leaf` at `at` over the store (anchors, certificates, trust list,
    /// CRLs), with the store's `revocation` setting, `intermediates` offered to chain building.
    /// A certificate that is not valid is `Ok(Validation::Invalid { .. })`.
    pub fn validate(
        &self,
        cert: &Certificate,
        leaf: LeafPolicy,
        at: SystemTime,
        intermediates: &[Certificate],
    ) -> Result<Validation> {
        self.store.read_transaction(|tx| {
            let options = ValidationOptions::new(at, leaf.clone())
                .revocation(crate::settings::revocation_mode(tx)?);
            Validator::new(tx)
                .intermediates(intermediates.iter().cloned())
                .validate(cert, &options)
        })
    }
}
