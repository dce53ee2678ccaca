//! Certificate policy processing, RFC 5280 section 6.1 (6.1.2 initialisation, 6.1.3 (d)-(f),
//! 6.1.4 (a), (b), (h)-(j), 6.1.5 (a), (b), (g)).
//!
//! The valid_policy_tree is kept as a graph of levels, one per certificate, each holding at
//! most one node per policy OID with edges to its parents in the level above (the
//! representation BoringSSL and Go adopted): the same decisions as the tree, in space linear
//! in the input instead of exponential under policy mappings. A hard cap on nodes turns a
//! hostile chain into [`PolicyError::TooComplex`] instead of work.

use std::collections::BTreeSet;

use der::Decode;
use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::{CertificatePolicies, PolicyConstraints, PolicyMappings};

use crate::cert::Certificate;
use crate::cert::oid;

/// anyPolicy.
pub(crate) const ANY_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");

/// Most nodes over all levels.
const MAX_NODES: usize = 10_000;

/// The caller's inputs (RFC 5280 6.1.1 (c), (e), (f), (g)). The defaults accept any policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyInputs {
    /// user-initial-policy-set; empty means {anyPolicy}.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit.
    pub initial_any_policy_inhibit: bool,
}

/// Why policy processing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PolicyError {
    /// An explicit policy is required and no acceptable policy remains.
    ExplicitPolicyRequired,
    /// A policy mapping to or from anyPolicy.
    MappingAnyPolicy,
    /// A policy extension does not parse.
    Malformed(String),
    /// The policy graph grew past its cap.
    TooComplex,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyError::ExplicitPolicyRequired => f.write_str(
                "an explicit certificate policy is required and none acceptable is asserted by \
                 every certificate of the chain",
            ),
            PolicyError::MappingAnyPolicy => {
                f.write_str("a policy mapping to or from anyPolicy (RFC 5280 6.1.4 (a))")
            }
            PolicyError::Malformed(m) => write!(f, "a policy extension is malformed: {m}"),
            PolicyError::TooComplex => f.write_str(
                "the policy mappings of the chain are too complex to process (limit reached)",
            ),
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    policy: ObjectIdentifier,
    expected: BTreeSet<ObjectIdentifier>,
    /// Indices into the previous level.
    parents: Vec<usize>,
}

fn malformed(e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Malformed(e.to_string())
}

/// The policy facts of one certificate.
struct CertPolicies {
    policies: Option<Vec<ObjectIdentifier>>,
    mappings: Vec<(ObjectIdentifier, ObjectIdentifier)>,
    require_explicit: Option<usize>,
    inhibit_mapping: Option<usize>,
    inhibit_any: Option<usize>,
}

fn read(cert: &Certificate) -> Result<CertPolicies, PolicyError> {
    let tbs = cert.x509().tbs_certificate();
    let policies = tbs
        .get_extension::<CertificatePolicies>()
        .map_err(malformed)?
        .map(|(_, p)| {
            p.0.into_iter()
                .map(|i| i.policy_identifier)
                .collect::<Vec<_>>()
        });
    if let Some(p) = &policies {
        let unique: BTreeSet<_> = p.iter().collect();
        if unique.len() != p.len() {
            return Err(malformed("a policy appears twice in certificatePolicies"));
        }
    }
    let mappings = tbs
        .get_extension::<PolicyMappings>()
        .map_err(malformed)?
        .map(|(_, m)| {
            m.0.into_iter()
                .map(|m| (m.issuer_domain_policy, m.subject_domain_policy))
                .collect()
        })
        .unwrap_or_default();
    let (require_explicit, inhibit_mapping) = match tbs
        .get_extension::<PolicyConstraints>()
        .map_err(malformed)?
    {
        Some((_, pc)) => {
            if pc.require_explicit_policy.is_none() && pc.inhibit_policy_mapping.is_none() {
                return Err(malformed("an empty policyConstraints (RFC 5280 4.2.1.11)"));
            }
            (
                pc.require_explicit_policy.map(|v| v as usize),
                pc.inhibit_policy_mapping.map(|v| v as usize),
            )
        }
        None => (None, None),
    };
    let inhibit_any = match tbs
        .extensions()
        .and_then(|e| e.iter().find(|e| e.extn_id == oid::CE_INHIBIT_ANY_POLICY))
    {
        Some(e) => Some(u32::from_der(e.extn_value.as_bytes()).map_err(malformed)? as usize),
        None => None,
    };
    Ok(CertPolicies {
        policies,
        mappings,
        require_explicit,
        inhibit_mapping,
        inhibit_any,
    })
}

/// Runs policy processing over `path` (the certificates below the trust anchor, the one it
/// issued first and the end certificate last). `Ok(set)`: the user-constrained policy set
/// (empty when no policy is required and none survived).
pub(crate) fn process(
    path: &[&Certificate],
    inputs: &PolicyInputs,
) -> Result<BTreeSet<ObjectIdentifier>, PolicyError> {
    let n = path.len();
    let start = |flag: bool| if flag { 0 } else { n + 1 };
    let mut explicit = start(inputs.initial_explicit_policy);
    let mut mapping = start(inputs.initial_policy_mapping_inhibit);
    let mut inhibit_any = start(inputs.initial_any_policy_inhibit);
    let mut levels: Option<Vec<Vec<Node>>> = Some(vec![vec![Node {
        policy: ANY_POLICY,
        expected: BTreeSet::from([ANY_POLICY]),
        parents: Vec::new(),
    }]]);
    let mut total = 1usize;

    for (idx, cert) in path.iter().enumerate() {
        let i = idx + 1;
        let last = i == n;
        let self_issued = cert.subject_der() == cert.issuer_der();
        let facts = read(cert)?;

        // 6.1.3 (d), (e)
        match (&facts.policies, levels.as_mut()) {
            (Some(policies), Some(lv)) => {
                let prev = lv.last().cloned().unwrap_or_default();
                let mut level: Vec<Node> = Vec::new();
                let any_prev = prev.iter().position(|p| p.policy == ANY_POLICY);
                let mut cert_has_any = false;
                for p in policies {
                    if *p == ANY_POLICY {
                        cert_has_any = true;
                        continue;
                    }
                    let parents: Vec<usize> = prev
                        .iter()
                        .enumerate()
                        .filter(|(_, q)| q.expected.contains(p))
                        .map(|(k, _)| k)
                        .collect();
                    let parents = match (parents.is_empty(), any_prev) {
                        (false, _) => parents,
                        (true, Some(a)) => vec![a],
                        (true, None) => continue,
                    };
                    level.push(Node {
                        policy: *p,
                        expected: BTreeSet::from([*p]),
                        parents,
                    });
                }
                if cert_has_any && (inhibit_any > 0 || (!last && self_issued)) {
                    for (k, q) in prev.iter().enumerate() {
                        for v in &q.expected {
                            match level.iter_mut().find(|x| x.policy == *v) {
                                Some(existing) => {
                                    // The tree adds a child only where none of that value
                                    // exists under this parent; existing (d)(1) children
                                    // already cover it.
                                    if !existing.parents.contains(&k) && !policies.contains(v) {
                                        existing.parents.push(k);
                                    }
                                }
                                None => level.push(Node {
                                    policy: *v,
                                    expected: BTreeSet::from([*v]),
                                    parents: vec![k],
                                }),
                            }
                        }
                    }
                }
                total += level.len();
                if total > MAX_NODES {
                    return Err(PolicyError::TooComplex);
                }
                lv.push(level);
                prune(lv);
                if lv.last().is_none_or(|l| l.is_empty()) {
                    levels = None;
                }
            }
            _ => levels = None,
        }
        // 6.1.3 (f)
        if explicit == 0 && levels.is_none() {
            return Err(PolicyError::ExplicitPolicyRequired);
        }
        if last {
            break;
        }
        // 6.1.4 (a), (b)
        if facts
            .mappings
            .iter()
            .any(|(a, b)| *a == ANY_POLICY || *b == ANY_POLICY)
        {
            return Err(PolicyError::MappingAnyPolicy);
        }
        if let Some(lv) = levels.as_mut()
            && !facts.mappings.is_empty()
        {
            let issuer_policies: BTreeSet<ObjectIdentifier> =
                facts.mappings.iter().map(|(a, _)| *a).collect();
            let depth = lv.len() - 1;
            if mapping > 0 {
                for id_p in &issuer_policies {
                    let mapped: BTreeSet<ObjectIdentifier> = facts
                        .mappings
                        .iter()
                        .filter(|(a, _)| a == id_p)
                        .map(|(_, b)| *b)
                        .collect();
                    let level = &mut lv[depth];
                    if let Some(node) = level.iter_mut().find(|x| x.policy == *id_p) {
                        node.expected = mapped;
                    } else if let Some(any) = level.iter().find(|x| x.policy == ANY_POLICY) {
                        let parents = any.parents.clone();
                        level.push(Node {
                            policy: *id_p,
                            expected: mapped,
                            parents,
                        });
                        total += 1;
                        if total > MAX_NODES {
                            return Err(PolicyError::TooComplex);
                        }
                    }
                }
            } else {
                lv[depth].retain(|x| !issuer_policies.contains(&x.policy));
                prune(lv);
                if lv.last().is_none_or(|l| l.is_empty()) {
                    levels = None;
                }
            }
        }
        // 6.1.4 (h), (i), (j)
        if !self_issued {
            explicit = explicit.saturating_sub(1);
            mapping = mapping.saturating_sub(1);
            inhibit_any = inhibit_any.saturating_sub(1);
        }
        if let Some(r) = facts.require_explicit {
            explicit = explicit.min(r);
        }
        if let Some(m) = facts.inhibit_mapping {
            mapping = mapping.min(m);
        }
        if let Some(a) = facts.inhibit_any {
            inhibit_any = inhibit_any.min(a);
        }
    }

    // 6.1.5 (a), (b)
    explicit = explicit.saturating_sub(1);
    if let Some(cert) = path.last()
        && read(cert)?.require_explicit == Some(0)
    {
        explicit = 0;
    }
    // 6.1.5 (g): the intersection with the user's initial set.
    let result = match &levels {
        None => BTreeSet::new(),
        Some(lv) => user_constrained(lv, &inputs.initial_policy_set),
    };
    if explicit == 0 && result.is_empty() {
        return Err(PolicyError::ExplicitPolicyRequired);
    }
    Ok(result)
}

/// Removes nodes that have no children, level by level upwards (6.1.3 (d)(3)), re-indexing
/// the parent edges.
fn prune(levels: &mut [Vec<Node>]) {
    for d in (0..levels.len().saturating_sub(1)).rev() {
        let (upper, lower) = levels.split_at_mut(d + 1);
        let (Some(this), Some(next)) = (upper.last_mut(), lower.first_mut()) else {
            continue;
        };
        let used: BTreeSet<usize> = next
            .iter()
            .flat_map(|x| x.parents.iter().copied())
            .collect();
        let mut remap = vec![usize::MAX; this.len()];
        let mut kept = Vec::new();
        for (k, node) in this.drain(..).enumerate() {
            if used.contains(&k) {
                remap[k] = kept.len();
                kept.push(node);
            }
        }
        *this = kept;
        for x in next.iter_mut() {
            for p in &mut x.parents {
                *p = remap[*p];
            }
        }
    }
}

/// The user-constrained policy set (6.1.5 (g)): for each node of the last level, the
/// policies of the user's domain it stands for (the nodes on its paths whose parent is
/// anyPolicy, or everything when it descends from anyPolicy alone), intersected with the
/// initial set (empty = any).
fn user_constrained(
    levels: &[Vec<Node>],
    initial: &[ObjectIdentifier],
) -> BTreeSet<ObjectIdentifier> {
    // For each node, the authority-domain policies it stands for; `None` = any.
    let mut prev: Vec<Option<BTreeSet<ObjectIdentifier>>> = vec![None];
    for level in levels.iter().skip(1) {
        let mut cur = Vec::with_capacity(level.len());
        for node in level {
            let mut set: Option<BTreeSet<ObjectIdentifier>> = Some(BTreeSet::new());
            for &p in &node.parents {
                match prev.get(p).cloned().flatten() {
                    None => {
                        // Parent is anyPolicy lineage: this node names its own policy.
                        if node.policy == ANY_POLICY {
                            set = None;
                        } else if let Some(s) = set.as_mut() {
                            s.insert(node.policy);
                        }
                    }
                    Some(ps) => {
                        if let Some(s) = set.as_mut() {
                            s.extend(ps);
                        }
                    }
                }
            }
            cur.push(set);
        }
        prev = cur;
    }
    let mut out = BTreeSet::new();
    let any_initial = initial.is_empty() || initial.contains(&ANY_POLICY);
    for set in prev {
        match set {
            None => {
                if any_initial {
                    out.insert(ANY_POLICY);
                } else {
                    out.extend(initial.iter().copied());
                }
            }
            Some(s) => {
                for p in s {
                    if any_initial || initial.contains(&p) {
                        out.insert(p);
                    }
                }
            }
        }
    }
    out
}
