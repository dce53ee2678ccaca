//! Certificate policy processing, exactly as RFC 5280 section 6.1 defines it: the
//! `valid_policy_tree` with the `explicit_policy`, `policy_mapping` and `inhibit_anyPolicy`
//! counters (6.1.2 initialization, 6.1.3 (d)-(f), 6.1.4 (a)-(b) and (h)-(j), 6.1.5 (a)-(b)
//! and (g)).
//!
//! The path validator drives a [`PolicyState`] certificate by certificate, top-down, the trust
//! anchor excluded: [`PolicyState::process`] for each certificate (the first is the one the
//! anchor issued, the last is the end certificate), then [`PolicyState::finish`] for the
//! wrap-up. [`process_path`] does the whole loop for a slice of certificates.
//!
//! # The tree as a graph
//!
//! The `valid_policy_tree` of RFC 5280 can grow exponentially with the length of the path when
//! certificates carry policy mappings (every node at depth `i` may have many children, and the
//! same subtree is copied under each parent). Like BoringSSL and Go's `crypto/x509` (the
//! rewrite that RFC 9618 standardises), the tree is kept here as a graph with one level per
//! depth: each level maps a `valid_policy` to one node that records its `expected_policy_set`
//! and the set of its parents one level up, plus a flag for the anyPolicy node. Tree nodes that
//! RFC 5280 would duplicate (same depth, same `valid_policy`, different parents) are one graph
//! node with several parents; they always have the same `expected_policy_set` and the same
//! children, so the graph is an exact, linear-size representation of the tree, and every
//! question the algorithm asks of the tree (is there a node of depth `i` with policy `P`, is the
//! tree `NULL`, which nodes survive the wrap-up intersection) is answered on the graph.
//! Pruning ("delete any node of depth i-1 or less without children") is done once, at the
//! wrap-up, by a reachability pass: until then only the deepest level is consulted, and it is
//! never affected by pruning.
//!
//! Hard caps bound the work on any input: at most [`MAX_POLICIES_PER_CERTIFICATE`] entries in
//! one certificate's certificatePolicies and in its policyMappings, and at most
//! [`MAX_POLICY_NODES`] graph nodes over the whole path. Exceeding one is
//! [`PolicyError::LimitExceeded`], not long work.
//!
//! Policy qualifiers are not interpreted (RFC 5280 leaves that to the application, and nothing
//! here displays them): x509-cert decodes them with the rest of certificatePolicies (so a
//! qualifier that is not well-formed DER makes the extension malformed), and
//! [`CertPolicyData::from_certificate`] keeps only the policy identifiers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ANY_POLICY;
use x509_cert::ext::pkix::{
    CertificatePolicies, InhibitAnyPolicy, PolicyConstraints, PolicyMappings,
};

use crate::cert::Certificate;

/// The most policy identifiers one certificatePolicies extension may carry, and the most
/// mappings one policyMappings extension may carry.
pub(crate) const MAX_POLICIES_PER_CERTIFICATE: usize = 1_000;

/// The most nodes the policy graph may hold over all its levels (the anyPolicy nodes
/// included).
pub(crate) const MAX_POLICY_NODES: usize = 10_000;

/// The caller's policy inputs to path validation (RFC 5280 6.1.1 (c), (e), (f), (g)).
///
/// The defaults accept any policy: `user-initial-policy-set` = any-policy and all three flags
/// false.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyInputs {
    /// `user-initial-policy-set`: the policies (in the trust anchor's domain) the caller
    /// accepts. Empty, or containing anyPolicy (2.5.29.32.0), means the special value
    /// any-policy.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// `initial-explicit-policy`: the path must be valid for at least one policy in the
    /// user-initial-policy-set.
    pub initial_explicit_policy: bool,
    /// `initial-policy-mapping-inhibit`: policy mapping is not permitted anywhere in the path.
    pub initial_policy_mapping_inhibit: bool,
    /// `initial-any-policy-inhibit`: anyPolicy in a certificate is not processed (except in
    /// self-issued intermediate certificates, as RFC 5280 6.1.3 (d)(2) says).
    pub initial_any_policy_inhibit: bool,
}

/// The policy-related content of one certificate, already decoded: the input of
/// [`PolicyState::process_data`]. Built from a [`Certificate`] by
/// [`CertPolicyData::from_certificate`], or directly (tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CertPolicyData {
    /// The policy identifiers of the certificatePolicies extension, in order; `None` when the
    /// extension is absent. anyPolicy appears as 2.5.29.32.0.
    pub(crate) policies: Option<Vec<ObjectIdentifier>>,
    /// The policyMappings extension as (issuerDomainPolicy, subjectDomainPolicy) pairs; `None`
    /// when the extension is absent.
    pub(crate) mappings: Option<Vec<(ObjectIdentifier, ObjectIdentifier)>>,
    /// policyConstraints requireExplicitPolicy (SkipCerts), if present.
    pub(crate) require_explicit_policy: Option<u32>,
    /// policyConstraints inhibitPolicyMapping (SkipCerts), if present.
    pub(crate) inhibit_policy_mapping: Option<u32>,
    /// The inhibitAnyPolicy extension (SkipCerts), if present.
    pub(crate) inhibit_any_policy: Option<u32>,
}

impl CertPolicyData {
    /// Decodes the certificatePolicies, policyMappings, policyConstraints and inhibitAnyPolicy
    /// extensions of `cert`. `index` is the certificate's position in the path (0 = issued by
    /// the trust anchor), used in errors.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Malformed`] when one of these extensions is present twice or does not
    /// decode.
    pub(crate) fn from_certificate(cert: &Certificate, index: usize) -> Result<Self, PolicyError> {
        let tbs = cert.x509().tbs_certificate();
        let malformed = |what: &str, e: der::Error| PolicyError::Malformed {
            at_certificate: index,
            detail: format!("{what} extension cannot be decoded or is present twice: {e}"),
        };
        let policies = tbs
            .get_extension::<CertificatePolicies>()
            .map_err(|e| malformed("certificatePolicies", e))?
            .map(|(_, cp)| cp.0.into_iter().map(|p| p.policy_identifier).collect());
        let mappings = tbs
            .get_extension::<PolicyMappings>()
            .map_err(|e| malformed("policyMappings", e))?
            .map(|(_, pm)| {
                pm.0.into_iter()
                    .map(|m| (m.issuer_domain_policy, m.subject_domain_policy))
                    .collect()
            });
        let constraints = tbs
            .get_extension::<PolicyConstraints>()
            .map_err(|e| malformed("policyConstraints", e))?
            .map(|(_, pc)| pc);
        let inhibit_any_policy = tbs
            .get_extension::<InhibitAnyPolicy>()
            .map_err(|e| malformed("inhibitAnyPolicy", e))?
            .map(|(_, iap)| iap.0);
        if let Some(pc) = &constraints
            && pc.require_explicit_policy.is_none()
            && pc.inhibit_policy_mapping.is_none()
        {
            return Err(PolicyError::Malformed {
                at_certificate: index,
                detail: "policyConstraints extension is an empty sequence (RFC 5280 4.2.1.11)"
                    .to_string(),
            });
        }
        Ok(CertPolicyData {
            policies,
            mappings,
            require_explicit_policy: constraints.as_ref().and_then(|c| c.require_explicit_policy),
            inhibit_policy_mapping: constraints.as_ref().and_then(|c| c.inhibit_policy_mapping),
            inhibit_any_policy,
        })
    }

    /// Checks what RFC 5280 section 4.2.1 requires of the extensions' content that the DER
    /// decoding does not, and the per-certificate caps.
    fn check(&self, index: usize) -> Result<(), PolicyError> {
        if let Some(policies) = &self.policies {
            if policies.is_empty() {
                return Err(PolicyError::Malformed {
                    at_certificate: index,
                    detail: "certificatePolicies extension lists no policy (RFC 5280 4.2.1.4)"
                        .to_string(),
                });
            }
            if policies.len() > MAX_POLICIES_PER_CERTIFICATE {
                return Err(PolicyError::LimitExceeded {
                    at_certificate: index,
                    detail: format!(
                        "certificatePolicies lists {} policies, more than the {} allowed",
                        policies.len(),
                        MAX_POLICIES_PER_CERTIFICATE
                    ),
                });
            }
            let mut seen = BTreeSet::new();
            for p in policies {
                if !seen.insert(p) {
                    return Err(PolicyError::Malformed {
                        at_certificate: index,
                        detail: format!(
                            "certificatePolicies lists policy {p} more than once (RFC 5280 4.2.1.4)"
                        ),
                    });
                }
            }
        }
        if let Some(mappings) = &self.mappings {
            if mappings.is_empty() {
                return Err(PolicyError::Malformed {
                    at_certificate: index,
                    detail: "policyMappings extension lists no mapping (RFC 5280 4.2.1.5)"
                        .to_string(),
                });
            }
            if mappings.len() > MAX_POLICIES_PER_CERTIFICATE {
                return Err(PolicyError::LimitExceeded {
                    at_certificate: index,
                    detail: format!(
                        "policyMappings lists {} mappings, more than the {} allowed",
                        mappings.len(),
                        MAX_POLICIES_PER_CERTIFICATE
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Why certificate policy processing rejected a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PolicyError {
    /// RFC 5280 6.1.3 (f): an explicit policy is required at this certificate
    /// (`explicit_policy` is 0) and no policy is valid for the path up to it. `at_certificate`
    /// is the 0-based position in the path (0 = the certificate issued by the trust anchor).
    ExplicitPolicyRequired {
        /// 0-based position of the certificate in the path.
        at_certificate: usize,
    },
    /// RFC 5280 6.1.5 (g): an explicit policy is required for the path and no policy in the
    /// user-initial-policy-set is valid for it.
    NoAcceptablePolicy,
    /// RFC 5280 6.1.4 (a): a policyMappings extension maps to or from anyPolicy.
    MappingToOrFromAnyPolicy {
        /// 0-based position of the certificate in the path.
        at_certificate: usize,
    },
    /// A policy extension is malformed (does not decode, is present twice, is empty, or lists
    /// a policy twice).
    Malformed {
        /// 0-based position of the certificate in the path.
        at_certificate: usize,
        /// What is wrong.
        detail: String,
    },
    /// The policies or mappings exceed [`MAX_POLICIES_PER_CERTIFICATE`] or
    /// [`MAX_POLICY_NODES`].
    LimitExceeded {
        /// 0-based position of the certificate in the path.
        at_certificate: usize,
        /// Which limit, and by how much.
        detail: String,
    },
    /// The state machine was driven wrongly (a certificate after the last one, `is_last` not
    /// matching the path length, `finish` before the last certificate, use after an error).
    /// A bug in the caller, reported instead of a panic.
    OutOfSequence(&'static str),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ExplicitPolicyRequired { at_certificate } => write!(
                f,
                "certificate {} of the path requires an explicit certificate policy, and no \
                 policy is valid for the path up to it",
                at_certificate + 1
            ),
            PolicyError::NoAcceptablePolicy => f.write_str(
                "an explicit certificate policy is required, and none of the acceptable \
                 policies is valid for this path",
            ),
            PolicyError::MappingToOrFromAnyPolicy { at_certificate } => write!(
                f,
                "certificate {} of the path maps a policy to or from anyPolicy, which RFC 5280 \
                 forbids",
                at_certificate + 1
            ),
            PolicyError::Malformed {
                at_certificate,
                detail,
            } => write!(
                f,
                "certificate {} of the path has a malformed policy extension: {detail}",
                at_certificate + 1
            ),
            PolicyError::LimitExceeded {
                at_certificate,
                detail,
            } => write!(
                f,
                "certificate {} of the path has too complex certificate policies: {detail}",
                at_certificate + 1
            ),
            PolicyError::OutOfSequence(what) => {
                write!(
                    f,
                    "certificate policy processing driven out of sequence: {what}"
                )
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// A set of certificate policies that may be the special value "any policy".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PolicySet {
    /// The set is any-policy: every policy is in it (`policies` then lists those named
    /// explicitly as well).
    pub(crate) any: bool,
    /// The policies, anyPolicy never among them.
    pub(crate) policies: BTreeSet<ObjectIdentifier>,
}

impl PolicySet {
    /// Whether `policy` is in the set.
    #[cfg(test)]
    pub(crate) fn contains(&self, policy: &ObjectIdentifier) -> bool {
        self.any || self.policies.contains(policy)
    }

    /// Whether the set is empty (not any-policy, no policy).
    pub(crate) fn is_empty(&self) -> bool {
        !self.any && self.policies.is_empty()
    }
}

/// The result of successful policy processing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PolicyOutcome {
    /// The authorities-constrained policy set: the policies, in the trust anchor's domain,
    /// that the certificates of the path allow (the `valid_policy` of each node of the pruned
    /// `valid_policy_tree` whose parent is an anyPolicy node); `any` when the tree has an
    /// anyPolicy node at depth n.
    pub(crate) authorities_constrained: PolicySet,
    /// The user-constrained policy set: the authorities-constrained set intersected with the
    /// user-initial-policy-set (RFC 5280 6.1.5 (g)), in the trust anchor's domain. `any` only
    /// when both are any-policy.
    pub(crate) user_constrained: PolicySet,
    /// The `valid_policy` of the depth-n nodes of the tree after the 6.1.5 (g) intersection:
    /// the policies of the user-constrained set as the end certificate's domain names them
    /// (they differ from `user_constrained` only through policy mappings).
    pub(crate) end_entity_policies: PolicySet,
    /// Whether `explicit_policy` was 0 at the end (an explicit policy was required; success
    /// then means `user_constrained` is not empty).
    pub(crate) explicit_policy_required: bool,
}

/// One node of the policy graph other than an anyPolicy node.
#[derive(Debug, Clone, Default)]
struct Node {
    /// The parent is the anyPolicy node one level up.
    parent_any: bool,
    /// The parents among the other nodes one level up, by `valid_policy`.
    parents: BTreeSet<ObjectIdentifier>,
    /// The `expected_policy_set` once policy mapping set it (6.1.4 (b)(1)); `None` means
    /// `{valid_policy}`.
    mapped: Option<BTreeSet<ObjectIdentifier>>,
}

/// The nodes of one depth of the policy graph.
#[derive(Debug, Clone, Default)]
struct Level {
    /// There is an anyPolicy node at this depth (its `expected_policy_set` is `{anyPolicy}`
    /// and its parent is the anyPolicy node one level up).
    any: bool,
    /// The other nodes, by `valid_policy`.
    nodes: BTreeMap<ObjectIdentifier, Node>,
}

impl Level {
    /// The number of nodes (the anyPolicy node included).
    fn size(&self) -> usize {
        self.nodes.len() + usize::from(self.any)
    }

    /// For each value of an `expected_policy_set` at this level (anyPolicy excluded), the
    /// nodes whose set holds it.
    fn by_expected(&self) -> BTreeMap<ObjectIdentifier, BTreeSet<ObjectIdentifier>> {
        let mut index: BTreeMap<ObjectIdentifier, BTreeSet<ObjectIdentifier>> = BTreeMap::new();
        for (policy, node) in &self.nodes {
            match &node.mapped {
                None => {
                    index.entry(*policy).or_default().insert(*policy);
                }
                Some(expected) => {
                    for e in expected {
                        index.entry(*e).or_default().insert(*policy);
                    }
                }
            }
        }
        index
    }
}

/// The policy part of the RFC 5280 6.1 state: `valid_policy_tree` (as a graph, `None` for
/// `NULL`), `explicit_policy`, `policy_mapping` and `inhibit_anyPolicy`.
#[derive(Debug, Clone)]
pub(crate) struct PolicyState {
    /// n, the number of certificates in the path (trust anchor excluded).
    path_len: usize,
    /// How many certificates have been processed.
    processed: usize,
    /// The user-initial-policy-set; `None` for any-policy.
    user_set: Option<BTreeSet<ObjectIdentifier>>,
    /// The levels of the graph, depth 0 (the root anyPolicy node) first; `None` when the
    /// `valid_policy_tree` is `NULL`.
    levels: Option<Vec<Level>>,
    /// Nodes in `levels`, over all depths.
    node_count: usize,
    /// `explicit_policy`.
    explicit_policy: usize,
    /// `policy_mapping`.
    policy_mapping: usize,
    /// `inhibit_anyPolicy`.
    inhibit_any_policy: usize,
    /// The end certificate has policyConstraints requireExplicitPolicy 0 (6.1.5 (b)).
    leaf_requires_explicit: bool,
    /// An error was returned; the state is no longer meaningful.
    failed: bool,
}

impl PolicyState {
    /// The initial state for a path of `path_len` certificates (trust anchor excluded), as in
    /// RFC 5280 6.1.2 (a), (d), (e), (f).
    pub(crate) fn new(inputs: &PolicyInputs, path_len: usize) -> Self {
        let counter = |inhibit: bool| {
            if inhibit {
                0
            } else {
                path_len.saturating_add(1)
            }
        };
        let user_set = if inputs.initial_policy_set.is_empty()
            || inputs.initial_policy_set.contains(&ANY_POLICY)
        {
            None
        } else {
            Some(inputs.initial_policy_set.iter().copied().collect())
        };
        PolicyState {
            path_len,
            processed: 0,
            user_set,
            levels: Some(vec![Level {
                any: true,
                nodes: BTreeMap::new(),
            }]),
            node_count: 1,
            explicit_policy: counter(inputs.initial_explicit_policy),
            policy_mapping: counter(inputs.initial_policy_mapping_inhibit),
            inhibit_any_policy: counter(inputs.initial_any_policy_inhibit),
            leaf_requires_explicit: false,
            failed: false,
        }
    }

    /// Processes the next certificate of the path: RFC 5280 6.1.3 (d)-(f) and, unless it is
    /// the last, the preparation for the next certificate, 6.1.4 (a), (b), (h), (i), (j).
    /// `self_issued` is whether the certificate is self-issued (subject and issuer names
    /// match); it is ignored for the last certificate.
    ///
    /// # Errors
    ///
    /// The [`PolicyError`] that rejects the path; the state must not be used after one.
    pub(crate) fn process(
        &mut self,
        cert: &Certificate,
        is_last: bool,
        self_issued: bool,
    ) -> Result<(), PolicyError> {
        let data = match CertPolicyData::from_certificate(cert, self.processed) {
            Ok(data) => data,
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        self.process_data(&data, is_last, self_issued)
    }

    /// [`process`](Self::process) with the certificate's policy extensions already decoded.
    ///
    /// # Errors
    ///
    /// As for [`process`](Self::process).
    pub(crate) fn process_data(
        &mut self,
        data: &CertPolicyData,
        is_last: bool,
        self_issued: bool,
    ) -> Result<(), PolicyError> {
        if self.failed {
            return Err(PolicyError::OutOfSequence(
                "a certificate was given after an error",
            ));
        }
        if self.processed >= self.path_len {
            self.failed = true;
            return Err(PolicyError::OutOfSequence(
                "more certificates than the path length",
            ));
        }
        if is_last != (self.processed + 1 == self.path_len) {
            self.failed = true;
            return Err(PolicyError::OutOfSequence(
                "is_last does not match the path length",
            ));
        }
        let index = self.processed;
        self.processed += 1;
        let result = self.step(data, index, is_last, self_issued && !is_last);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// The body of [`process_data`](Self::process_data) for certificate `index`.
    fn step(
        &mut self,
        data: &CertPolicyData,
        index: usize,
        is_last: bool,
        self_issued: bool,
    ) -> Result<(), PolicyError> {
        data.check(index)?;

        // 6.1.3 (d), (e).
        self.levels = match (self.levels.take(), &data.policies) {
            (Some(mut levels), Some(policies)) => {
                let any_allowed = self.inhibit_any_policy > 0 || self_issued;
                let level = match levels.last() {
                    Some(previous) => next_level(previous, policies, any_allowed),
                    None => Level::default(),
                };
                if level.size() == 0 {
                    None
                } else {
                    self.add_nodes(level.size(), index)?;
                    levels.push(level);
                    Some(levels)
                }
            }
            _ => None,
        };

        // 6.1.3 (f).
        if self.explicit_policy == 0 && self.levels.is_none() {
            return Err(PolicyError::ExplicitPolicyRequired {
                at_certificate: index,
            });
        }

        if is_last {
            // Remembered for 6.1.5 (b).
            self.leaf_requires_explicit = data.require_explicit_policy == Some(0);
            return Ok(());
        }

        if let Some(mappings) = &data.mappings {
            // 6.1.4 (a).
            if mappings
                .iter()
                .any(|(issuer, subject)| *issuer == ANY_POLICY || *subject == ANY_POLICY)
            {
                return Err(PolicyError::MappingToOrFromAnyPolicy {
                    at_certificate: index,
                });
            }
            // 6.1.4 (b).
            self.apply_mappings(mappings, index)?;
        }

        // 6.1.4 (h).
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any_policy = self.inhibit_any_policy.saturating_sub(1);
        }
        // 6.1.4 (i).
        if let Some(skip) = data.require_explicit_policy {
            self.explicit_policy = self.explicit_policy.min(skip_certs(skip));
        }
        if let Some(skip) = data.inhibit_policy_mapping {
            self.policy_mapping = self.policy_mapping.min(skip_certs(skip));
        }
        // 6.1.4 (j).
        if let Some(skip) = data.inhibit_any_policy {
            self.inhibit_any_policy = self.inhibit_any_policy.min(skip_certs(skip));
        }
        Ok(())
    }

    /// Counts `added` new graph nodes against [`MAX_POLICY_NODES`].
    fn add_nodes(&mut self, added: usize, index: usize) -> Result<(), PolicyError> {
        let total = self.node_count.saturating_add(added);
        if total > MAX_POLICY_NODES {
            return Err(PolicyError::LimitExceeded {
                at_certificate: index,
                detail: format!(
                    "the policy graph would hold {total} nodes, more than the {MAX_POLICY_NODES} \
                     allowed"
                ),
            });
        }
        self.node_count = total;
        Ok(())
    }

    /// RFC 5280 6.1.4 (b) for the policyMappings of certificate `index` (already checked for
    /// anyPolicy).
    fn apply_mappings(
        &mut self,
        mappings: &[(ObjectIdentifier, ObjectIdentifier)],
        index: usize,
    ) -> Result<(), PolicyError> {
        let mut by_issuer: BTreeMap<ObjectIdentifier, BTreeSet<ObjectIdentifier>> = BTreeMap::new();
        for (issuer, subject) in mappings {
            by_issuer.entry(*issuer).or_default().insert(*subject);
        }
        let Some(levels) = self.levels.as_mut() else {
            return Ok(());
        };
        let Some(level) = levels.last_mut() else {
            return Ok(());
        };
        if self.policy_mapping > 0 {
            // (b)(1).
            let mut added = 0usize;
            for (issuer, subjects) in by_issuer {
                if let Some(node) = level.nodes.get_mut(&issuer) {
                    node.mapped = Some(subjects);
                } else if level.any {
                    level.nodes.insert(
                        issuer,
                        Node {
                            parent_any: true,
                            parents: BTreeSet::new(),
                            mapped: Some(subjects),
                        },
                    );
                    added += 1;
                }
            }
            self.add_nodes(added, index)?;
        } else {
            // (b)(2): delete the mapped nodes of depth i; if none remains at depth i, pruning
            // deletes the whole tree.
            let mut removed = 0usize;
            for issuer in by_issuer.keys() {
                if level.nodes.remove(issuer).is_some() {
                    removed += 1;
                }
            }
            let empty = level.size() == 0;
            self.node_count = self.node_count.saturating_sub(removed);
            if empty {
                self.levels = None;
            }
        }
        Ok(())
    }

    /// The wrap-up, RFC 5280 6.1.5 (a), (b), (g), and the final policy check: success when
    /// `explicit_policy` is above 0 or the intersected tree is not `NULL`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::NoAcceptablePolicy`] when an explicit policy is required and the
    /// user-constrained policy set is empty; [`PolicyError::OutOfSequence`] before the last
    /// certificate was processed or after an error.
    pub(crate) fn finish(mut self) -> Result<PolicyOutcome, PolicyError> {
        if self.failed {
            return Err(PolicyError::OutOfSequence("finish after an error"));
        }
        if self.path_len == 0 || self.processed != self.path_len {
            return Err(PolicyError::OutOfSequence(
                "finish before the last certificate was processed",
            ));
        }
        // 6.1.5 (a), (b).
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        if self.leaf_requires_explicit {
            self.explicit_policy = 0;
        }
        // 6.1.5 (g).
        let mut outcome = match &self.levels {
            Some(levels) => intersect(levels, self.user_set.as_ref()),
            None => PolicyOutcome::default(),
        };
        outcome.explicit_policy_required = self.explicit_policy == 0;
        if outcome.explicit_policy_required && outcome.end_entity_policies.is_empty() {
            return Err(PolicyError::NoAcceptablePolicy);
        }
        Ok(outcome)
    }

    /// The number of nodes the policy graph holds now (over all depths).
    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.node_count
    }
}

/// A SkipCerts value as a counter.
fn skip_certs(skip: u32) -> usize {
    usize::try_from(skip).unwrap_or(usize::MAX)
}

/// RFC 5280 6.1.3 (d)(1) and (d)(2): the level of depth i for a certificate asserting
/// `policies`, below `previous` (depth i-1). `any_allowed` is whether anyPolicy in the
/// certificate is processed (`inhibit_anyPolicy` > 0, or i < n and self-issued).
fn next_level(previous: &Level, policies: &[ObjectIdentifier], any_allowed: bool) -> Level {
    let by_expected = previous.by_expected();
    let mut level = Level::default();
    let mut asserts_any = false;
    // (d)(1).
    for policy in policies {
        if *policy == ANY_POLICY {
            asserts_any = true;
            continue;
        }
        if let Some(parents) = by_expected.get(policy) {
            // (i): a child of every node whose expected_policy_set holds the policy.
            level.nodes.insert(
                *policy,
                Node {
                    parent_any: false,
                    parents: parents.clone(),
                    mapped: None,
                },
            );
        } else if previous.any {
            // (ii): no match, a child of the anyPolicy node.
            level.nodes.insert(
                *policy,
                Node {
                    parent_any: true,
                    parents: BTreeSet::new(),
                    mapped: None,
                },
            );
        }
    }
    // (d)(2): every expected value of a node of depth i-1 that is not yet a child of it. A
    // value asserted in the certificate already has every such node as a parent, so only the
    // other values make new nodes.
    if asserts_any && any_allowed {
        for (policy, parents) in by_expected {
            level.nodes.entry(policy).or_insert(Node {
                parent_any: false,
                parents,
                mapped: None,
            });
        }
        level.any = previous.any;
    }
    level
}

/// Which nodes of each level have a descendant at depth n (the tree after the "delete nodes
/// without children" pruning): the anyPolicy node and the other nodes, per level.
fn alive(levels: &[Level]) -> Vec<(bool, BTreeSet<ObjectIdentifier>)> {
    let mut out: Vec<(bool, BTreeSet<ObjectIdentifier>)> = vec![Default::default(); levels.len()];
    let mut below: Option<(bool, BTreeSet<ObjectIdentifier>)> = None;
    for (depth, level) in levels.iter().enumerate().rev() {
        let here = match &below {
            None => (level.any, level.nodes.keys().copied().collect()),
            Some((any_below, nodes_below)) => {
                let mut any = *any_below;
                let mut nodes = BTreeSet::new();
                if let Some(child_level) = levels.get(depth + 1) {
                    for policy in nodes_below {
                        if let Some(child) = child_level.nodes.get(policy) {
                            any |= child.parent_any;
                            nodes.extend(child.parents.iter().copied());
                        }
                    }
                }
                (any && level.any, nodes)
            }
        };
        if let Some(slot) = out.get_mut(depth) {
            *slot = here.clone();
        }
        below = Some(here);
    }
    out
}

/// RFC 5280 6.1.5 (g) on a non-`NULL` graph: the authorities-constrained set of the pruned
/// tree, and its intersection with the user-initial-policy-set (`None` = any-policy).
fn intersect(levels: &[Level], user_set: Option<&BTreeSet<ObjectIdentifier>>) -> PolicyOutcome {
    let alive = alive(levels);
    let depth_n_any = alive.last().is_some_and(|(any, _)| *any);
    let depth_n_nodes: BTreeSet<ObjectIdentifier> = alive
        .last()
        .map(|(_, nodes)| nodes.clone())
        .unwrap_or_default();

    // The valid_policy_node_set: the live nodes whose parent is an anyPolicy node.
    let mut node_set = BTreeSet::new();
    for (level, (_, nodes)) in levels.iter().zip(&alive).skip(1) {
        for policy in nodes {
            if level.nodes.get(policy).is_some_and(|n| n.parent_any) {
                node_set.insert(*policy);
            }
        }
    }
    let authorities_constrained = PolicySet {
        any: depth_n_any,
        policies: node_set.clone(),
    };

    let Some(user_set) = user_set else {
        // (g)(ii): the intersection is the whole tree.
        return PolicyOutcome {
            user_constrained: authorities_constrained.clone(),
            authorities_constrained,
            end_entity_policies: PolicySet {
                any: depth_n_any,
                policies: depth_n_nodes,
            },
            explicit_policy_required: false,
        };
    };

    // (g)(iii)(1)-(2): delete the node-set members outside the user set with their
    // descendants. A graph node survives when some path from the root to it avoids them.
    let mut surviving: BTreeSet<ObjectIdentifier> = BTreeSet::new();
    for (level, (_, nodes)) in levels.iter().zip(&alive).skip(1) {
        let mut here = BTreeSet::new();
        for policy in nodes {
            if let Some(node) = level.nodes.get(policy) {
                let from_any = node.parent_any && user_set.contains(policy);
                if from_any || node.parents.iter().any(|p| surviving.contains(p)) {
                    here.insert(*policy);
                }
            }
        }
        surviving = here;
    }
    let mut user_policies: BTreeSet<ObjectIdentifier> =
        node_set.intersection(user_set).copied().collect();
    let mut end_entity = surviving;
    // (g)(iii)(3): the anyPolicy node of depth n stands for every user policy not already in
    // the node set; it is then deleted.
    if depth_n_any {
        for policy in user_set {
            if !node_set.contains(policy) {
                user_policies.insert(*policy);
                end_entity.insert(*policy);
            }
        }
    }
    // (g)(iii)(4): pruning is implied by working on live nodes only.
    PolicyOutcome {
        authorities_constrained,
        user_constrained: PolicySet {
            any: false,
            policies: user_policies,
        },
        end_entity_policies: PolicySet {
            any: false,
            policies: end_entity,
        },
        explicit_policy_required: false,
    }
}

/// Runs policy processing over a whole path: `certs` top-down, the trust anchor excluded (the
/// first is the certificate the anchor issued, the last is the end certificate). A certificate
/// other than the last is self-issued when its subject and issuer names are the same DER.
///
/// # Errors
///
/// The [`PolicyError`] that rejects the path ([`PolicyError::OutOfSequence`] for an empty
/// slice).
pub(crate) fn process_path(
    certs: &[Certificate],
    inputs: &PolicyInputs,
) -> Result<PolicyOutcome, PolicyError> {
    let mut state = PolicyState::new(inputs, certs.len());
    for (i, cert) in certs.iter().enumerate() {
        let is_last = i + 1 == certs.len();
        let self_issued = !is_last && cert.subject_der() == cert.issuer_der();
        state.process(cert, is_last, self_issued)?;
    }
    state.finish()
}

#[cfg(test)]
mod tests;
