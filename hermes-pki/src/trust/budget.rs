//! [`Budget`]: the work one validation may do, consumed where the work happens (the model is
//! rustls-webpki's `Budget`). One budget covers the whole search for a path, so no input can
//! make validation run long; running out is its own reason
//! ([`Reason::BudgetExceeded`](super::Reason::BudgetExceeded)).

/// The work one validation may do over the whole path search: signature verifications,
/// candidate issuers considered, and name-constraint comparisons.
///
/// ```
/// use hermes_pki::trust::Budget;
///
/// // The defaults: 100 signature checks and 250,000 name comparisons (as rustls-webpki),
/// // 2,000 candidate issuers.
/// let budget = Budget::default().signatures(20);
/// # let _ = budget;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    signatures: usize,
    candidates: usize,
    name_comparisons: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            signatures: 100,
            candidates: 2_000,
            name_comparisons: 250_000,
        }
    }
}

/// What ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exhausted(pub &'static str);

impl Budget {
    /// At most `n` signature verifications (default 100, as rustls-webpki).
    pub fn signatures(mut self, n: usize) -> Self {
        self.signatures = n;
        self
    }

    /// At most `n` candidate issuers considered over the whole search (default 2,000).
    pub fn candidates(mut self, n: usize) -> Self {
        self.candidates = n;
        self
    }

    /// At most `n` name-against-subtree comparisons for name constraints over the whole search
    /// (default 250,000, as rustls-webpki).
    pub fn name_comparisons(mut self, n: usize) -> Self {
        self.name_comparisons = n;
        self
    }

    /// `n` name-constraint comparisons.
    pub(crate) fn consume_name_comparisons(&mut self, n: usize) -> Result<(), Exhausted> {
        self.name_comparisons = self
            .name_comparisons
            .checked_sub(n)
            .ok_or(Exhausted("name constraint comparisons"))?;
        Ok(())
    }

    /// One signature verification.
    pub(crate) fn consume_signature(&mut self) -> Result<(), Exhausted> {
        self.signatures = self
            .signatures
            .checked_sub(1)
            .ok_or(Exhausted("signature checks"))?;
        Ok(())
    }

    /// One candidate issuer considered.
    pub(crate) fn consume_candidate(&mut self) -> Result<(), Exhausted> {
        self.candidates = self
            .candidates
            .checked_sub(1)
            .ok_or(Exhausted("candidate issuers"))?;
        Ok(())
    }
}
