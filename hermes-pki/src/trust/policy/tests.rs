use super::*;

const A: &str = "1.3.6.1.4.1.55555.1.1";
const B: &str = "1.3.6.1.4.1.55555.1.2";
const C: &str = "1.3.6.1.4.1.55555.1.3";
const ANY: &str = "2.5.29.32.0";

fn oid(s: &str) -> ObjectIdentifier {
    s.parse().unwrap()
}

fn set(items: &[&str]) -> BTreeSet<ObjectIdentifier> {
    items.iter().map(|s| oid(s)).collect()
}

fn explicit(initial: &[&str]) -> PolicyInputs {
    PolicyInputs {
        initial_policy_set: initial.iter().map(|s| oid(s)).collect(),
        initial_explicit_policy: true,
        ..PolicyInputs::default()
    }
}

/// Five intermediates, each asserting ten policies and mapping every one to all ten: the
/// RFC 5280 tree would have 10^6 nodes at the leaf, the graph has 10 per level. (The same
/// path made by openssl is validated end to end in `tests/tests/trust_openssl.rs`.)
#[test]
fn many_mappings_stay_small() {
    let policies: Vec<String> = (1..=10)
        .map(|i| format!("1.3.6.1.4.1.55555.2.{i}"))
        .collect();
    let ids: Vec<ObjectIdentifier> = policies.iter().map(|s| oid(s)).collect();
    let mappings = ids
        .iter()
        .flat_map(|p| ids.iter().map(move |q| (*p, *q)))
        .collect();
    let int = CertPolicyData {
        policies: Some(ids.clone()),
        mappings: Some(mappings),
        ..CertPolicyData::default()
    };
    let mut state = PolicyState::new(&explicit(&[]), 6);
    for _ in 0..5 {
        state.process_data(&int, false, false).unwrap();
    }
    state
        .process_data(&data(&[policies[0].as_str()]), true, false)
        .unwrap();
    assert_eq!(state.node_count(), 1 + 5 * 10 + 1);
    let outcome = state.finish().unwrap();
    assert_eq!(outcome.user_constrained.policies.len(), 10);
    assert_eq!(
        outcome.end_entity_policies.policies,
        set(&[policies[0].as_str()])
    );
}

// ---- synthetic data -----------------------------------------------------------------

fn data(policies: &[&str]) -> CertPolicyData {
    CertPolicyData {
        policies: Some(policies.iter().map(|s| oid(s)).collect()),
        ..CertPolicyData::default()
    }
}

fn run(
    path: &[(CertPolicyData, bool)],
    inputs: &PolicyInputs,
) -> Result<PolicyOutcome, PolicyError> {
    let mut state = PolicyState::new(inputs, path.len());
    for (i, (d, self_issued)) in path.iter().enumerate() {
        state.process_data(d, i + 1 == path.len(), *self_issued)?;
    }
    state.finish()
}

#[test]
fn any_policy_at_depth_n_becomes_the_user_policies() {
    let path = [(data(&[ANY]), false), (data(&[ANY]), false)];
    let outcome = run(&path, &explicit(&[A, B])).unwrap();
    assert!(outcome.authorities_constrained.any);
    assert!(!outcome.user_constrained.any);
    assert_eq!(outcome.user_constrained.policies, set(&[A, B]));
    assert_eq!(outcome.end_entity_policies.policies, set(&[A, B]));
    // With the defaults, the result is any-policy.
    let outcome = run(&path, &PolicyInputs::default()).unwrap();
    assert!(outcome.user_constrained.any);
    assert!(outcome.user_constrained.contains(&oid(C)));
    // anyPolicy in the user set means any-policy.
    let outcome = run(&path, &explicit(&[ANY, A])).unwrap();
    assert!(outcome.user_constrained.any);
}

#[test]
fn mapping_under_any_policy_creates_the_issuer_policy() {
    // 6.1.4 (b)(1): no node for A at depth 1, but an anyPolicy node: A is created.
    let int = CertPolicyData {
        mappings: Some(vec![(oid(A), oid(B))]),
        ..data(&[ANY])
    };
    let path = [(int, false), (data(&[B]), false)];
    let outcome = run(&path, &explicit(&[A])).unwrap();
    assert_eq!(outcome.user_constrained.policies, set(&[A]));
    assert_eq!(outcome.end_entity_policies.policies, set(&[B]));
    assert_eq!(outcome.authorities_constrained.policies, set(&[A]));
    assert_eq!(
        run(&path, &explicit(&[B])).unwrap_err(),
        PolicyError::NoAcceptablePolicy
    );
}

#[test]
fn self_issued_intermediate_may_use_any_policy_when_inhibited() {
    let inputs = PolicyInputs {
        initial_any_policy_inhibit: true,
        ..explicit(&[])
    };
    let ok = [(data(&[ANY]), true), (data(&[A]), false)];
    assert_eq!(
        run(&ok, &inputs).unwrap().user_constrained.policies,
        set(&[A])
    );
    let not_self_issued = [(data(&[ANY]), false), (data(&[A]), false)];
    assert_eq!(
        run(&not_self_issued, &inputs).unwrap_err(),
        PolicyError::ExplicitPolicyRequired { at_certificate: 0 }
    );
    // The end certificate never gets the self-issued exemption.
    let leaf_any = [(data(&[A]), false), (data(&[ANY]), true)];
    let inputs = PolicyInputs {
        initial_any_policy_inhibit: true,
        ..explicit(&[])
    };
    let err = run(&leaf_any, &inputs).unwrap_err();
    assert_eq!(
        err,
        PolicyError::ExplicitPolicyRequired { at_certificate: 1 }
    );
}

#[test]
fn leaf_require_explicit_policy_zero_applies_at_wrap_up() {
    let leaf = CertPolicyData {
        require_explicit_policy: Some(0),
        ..CertPolicyData::default()
    };
    let path = [(data(&[A]), false), (leaf, false)];
    assert_eq!(
        run(&path, &PolicyInputs::default()).unwrap_err(),
        PolicyError::NoAcceptablePolicy
    );
    // A mapping in the end certificate is ignored, even to anyPolicy.
    let leaf = CertPolicyData {
        mappings: Some(vec![(oid(A), oid(ANY))]),
        ..data(&[A])
    };
    let path = [(data(&[A]), false), (leaf, false)];
    assert!(run(&path, &PolicyInputs::default()).is_ok());
}

#[test]
fn malformed_content_is_rejected() {
    let cases = [
        data(&[]),
        data(&[A, B, A]),
        CertPolicyData {
            mappings: Some(Vec::new()),
            ..CertPolicyData::default()
        },
    ];
    for d in cases {
        let err = run(&[(d.clone(), false)], &PolicyInputs::default()).unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Malformed {
                    at_certificate: 0,
                    ..
                }
            ),
            "{d:?}: {err:?}"
        );
    }
}

#[test]
fn per_certificate_caps() {
    let many: Vec<ObjectIdentifier> = (0..=MAX_POLICIES_PER_CERTIFICATE)
        .map(|i| oid(&format!("1.3.6.1.4.1.55555.3.{i}")))
        .collect();
    let d = CertPolicyData {
        policies: Some(many.clone()),
        ..CertPolicyData::default()
    };
    assert!(matches!(
        run(&[(d, false)], &PolicyInputs::default()),
        Err(PolicyError::LimitExceeded {
            at_certificate: 0,
            ..
        })
    ));
    let d = CertPolicyData {
        mappings: Some(many.iter().map(|p| (*p, oid(A))).collect()),
        ..data(&[A])
    };
    assert!(matches!(
        run(&[(d, false), (data(&[A]), false)], &PolicyInputs::default()),
        Err(PolicyError::LimitExceeded {
            at_certificate: 0,
            ..
        })
    ));
}

#[test]
fn total_node_cap() {
    // Every certificate asserts anyPolicy and 999 new policies: level i holds about
    // 1,000 * i nodes (the new policies plus those anyPolicy carries down), so the graph
    // (1 + 1,000 + 1,999 + 2,998 + 3,997 = 9,995 nodes after four certificates) passes
    // 10,000 nodes at the fifth.
    let path: Vec<(CertPolicyData, bool)> = (0..6)
        .map(|c| {
            let mut policies: Vec<ObjectIdentifier> = (0..999)
                .map(|i| oid(&format!("1.3.6.1.4.1.55555.4.{c}.{i}")))
                .collect();
            policies.push(ANY_POLICY);
            let d = CertPolicyData {
                policies: Some(policies),
                ..CertPolicyData::default()
            };
            (d, false)
        })
        .collect();
    let err = run(&path, &PolicyInputs::default()).unwrap_err();
    assert!(
        matches!(
            err,
            PolicyError::LimitExceeded {
                at_certificate: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("10000"));
}

#[test]
fn pathological_mapping_chain_stays_linear() {
    // 30 policies each mapped to all 30, over 30 intermediates: 30^30 tree nodes.
    let policies: Vec<ObjectIdentifier> = (0..30)
        .map(|i| oid(&format!("1.3.6.1.4.1.55555.5.{i}")))
        .collect();
    let mut mappings = Vec::new();
    for p in &policies {
        for q in &policies {
            mappings.push((*p, *q));
        }
    }
    let int = CertPolicyData {
        policies: Some(policies.clone()),
        mappings: Some(mappings),
        ..CertPolicyData::default()
    };
    let mut path: Vec<(CertPolicyData, bool)> = vec![(int, false); 30];
    path.push((
        CertPolicyData {
            policies: Some(vec![policies[0]]),
            ..CertPolicyData::default()
        },
        false,
    ));
    let mut state = PolicyState::new(&explicit(&[]), path.len());
    for (i, (d, s)) in path.iter().enumerate() {
        state.process_data(d, i + 1 == path.len(), *s).unwrap();
    }
    assert_eq!(state.node_count(), 1 + 30 * 30 + 1);
    let outcome = state.finish().unwrap();
    assert_eq!(outcome.user_constrained.policies.len(), 30);
    assert_eq!(outcome.end_entity_policies.policies.len(), 1);
}

#[test]
fn driven_out_of_sequence() {
    let mut state = PolicyState::new(&PolicyInputs::default(), 2);
    assert!(matches!(
        state.process_data(&data(&[A]), true, false),
        Err(PolicyError::OutOfSequence(_))
    ));
    assert!(matches!(
        state.process_data(&data(&[A]), false, false),
        Err(PolicyError::OutOfSequence(_))
    ));

    let mut state = PolicyState::new(&PolicyInputs::default(), 1);
    state.process_data(&data(&[A]), true, false).unwrap();
    assert!(matches!(
        state.clone().process_data(&data(&[A]), true, false),
        Err(PolicyError::OutOfSequence(_))
    ));
    assert!(state.finish().is_ok());

    let state = PolicyState::new(&PolicyInputs::default(), 1);
    assert!(matches!(state.finish(), Err(PolicyError::OutOfSequence(_))));
    assert!(matches!(
        process_path(&[], &PolicyInputs::default()),
        Err(PolicyError::OutOfSequence(_))
    ));
}

// ---- the graph against a literal RFC 5280 tree ---------------------------------------

/// A node of the literal `valid_policy_tree`.
#[derive(Debug, Clone)]
struct TreeNode {
    depth: usize,
    policy: ObjectIdentifier,
    parent: Option<usize>,
    expected: BTreeSet<ObjectIdentifier>,
    live: bool,
}

/// RFC 5280 6.1 policy processing with the tree exactly as the text describes it.
fn reference(
    path: &[(CertPolicyData, bool)],
    inputs: &PolicyInputs,
) -> Result<PolicyOutcome, PolicyError> {
    let n = path.len();
    let user: Option<BTreeSet<ObjectIdentifier>> = if inputs.initial_policy_set.is_empty()
        || inputs.initial_policy_set.contains(&ANY_POLICY)
    {
        None
    } else {
        Some(inputs.initial_policy_set.iter().copied().collect())
    };
    let init = |b: bool| if b { 0 } else { n + 1 };
    let mut explicit = init(inputs.initial_explicit_policy);
    let mut mapping = init(inputs.initial_policy_mapping_inhibit);
    let mut inhibit_any = init(inputs.initial_any_policy_inhibit);
    let mut tree: Option<Vec<TreeNode>> = Some(vec![TreeNode {
        depth: 0,
        policy: ANY_POLICY,
        parent: None,
        expected: [ANY_POLICY].into(),
        live: true,
    }]);

    fn add(t: &mut Vec<TreeNode>, depth: usize, policy: ObjectIdentifier, parent: usize) {
        t.push(TreeNode {
            depth,
            policy,
            parent: Some(parent),
            expected: [policy].into(),
            live: true,
        });
    }
    fn has_child(t: &[TreeNode], parent: usize, policy: &ObjectIdentifier) -> bool {
        t.iter()
            .any(|c| c.live && c.parent == Some(parent) && c.policy == *policy)
    }
    /// Deletes live nodes of depth < `depth` without live children, repeatedly; false when
    /// the root went.
    fn prune(t: &mut [TreeNode], depth: usize) -> bool {
        loop {
            let mut changed = false;
            for i in 0..t.len() {
                if t[i].live
                    && t[i].depth < depth
                    && !t.iter().any(|c| c.live && c.parent == Some(i))
                {
                    t[i].live = false;
                    changed = true;
                }
            }
            if !changed {
                return t[0].live;
            }
        }
    }
    fn delete_subtree(t: &mut [TreeNode], i: usize) {
        t[i].live = false;
        for c in 0..t.len() {
            if t[c].live && t[c].parent == Some(i) {
                delete_subtree(t, c);
            }
        }
    }
    fn summary(t: &[TreeNode], n: usize) -> (PolicySet, PolicySet) {
        let mut from_any = PolicySet::default();
        let mut depth_n = PolicySet::default();
        for node in t.iter().filter(|x| x.live) {
            if node.depth == n {
                if node.policy == ANY_POLICY {
                    from_any.any = true;
                    depth_n.any = true;
                } else {
                    depth_n.policies.insert(node.policy);
                }
            }
            if node.policy != ANY_POLICY && node.parent.is_some_and(|p| t[p].policy == ANY_POLICY) {
                from_any.policies.insert(node.policy);
            }
        }
        (from_any, depth_n)
    }

    for (k, (d, self_issued)) in path.iter().enumerate() {
        let i = k + 1;
        d.check(k)?;
        let self_issued = *self_issued && i < n;
        match (&d.policies, tree.as_mut()) {
            (Some(policies), Some(t)) => {
                let prev: Vec<usize> = (0..t.len())
                    .filter(|&x| t[x].live && t[x].depth == i - 1)
                    .collect();
                for p in policies.iter().filter(|p| **p != ANY_POLICY) {
                    let matches: Vec<usize> = prev
                        .iter()
                        .copied()
                        .filter(|&x| t[x].expected.contains(p))
                        .collect();
                    if !matches.is_empty() {
                        for m in matches {
                            add(t, i, *p, m);
                        }
                    } else if let Some(&a) = prev.iter().find(|&&x| t[x].policy == ANY_POLICY) {
                        add(t, i, *p, a);
                    }
                }
                if policies.contains(&ANY_POLICY) && (inhibit_any > 0 || self_issued) {
                    for &x in &prev {
                        for e in t[x].expected.clone() {
                            if !has_child(t, x, &e) {
                                add(t, i, e, x);
                            }
                        }
                    }
                }
                if !prune(t, i) {
                    tree = None;
                }
            }
            _ => tree = None,
        }
        if explicit == 0 && tree.is_none() {
            return Err(PolicyError::ExplicitPolicyRequired { at_certificate: k });
        }
        if i == n {
            if d.require_explicit_policy == Some(0) {
                explicit = 0;
            }
            break;
        }
        if let Some(maps) = &d.mappings {
            if maps
                .iter()
                .any(|(a, b)| *a == ANY_POLICY || *b == ANY_POLICY)
            {
                return Err(PolicyError::MappingToOrFromAnyPolicy { at_certificate: k });
            }
            if let Some(t) = tree.as_mut() {
                let issuers: BTreeSet<ObjectIdentifier> = maps.iter().map(|m| m.0).collect();
                if mapping > 0 {
                    for p in issuers {
                        let subjects: BTreeSet<ObjectIdentifier> =
                            maps.iter().filter(|m| m.0 == p).map(|m| m.1).collect();
                        let mut found = false;
                        for x in t.iter_mut() {
                            if x.live && x.depth == i && x.policy == p {
                                x.expected = subjects.clone();
                                found = true;
                            }
                        }
                        let any_i = (0..t.len())
                            .find(|&x| t[x].live && t[x].depth == i && t[x].policy == ANY_POLICY);
                        if let (false, Some(a)) = (found, any_i) {
                            let parent = t[a].parent.unwrap();
                            t.push(TreeNode {
                                depth: i,
                                policy: p,
                                parent: Some(parent),
                                expected: subjects,
                                live: true,
                            });
                        }
                    }
                } else {
                    for x in t.iter_mut() {
                        if x.live && x.depth == i && issuers.contains(&x.policy) {
                            x.live = false;
                        }
                    }
                    if !prune(t, i) {
                        tree = None;
                    }
                }
            }
        }
        if !self_issued {
            explicit = explicit.saturating_sub(1);
            mapping = mapping.saturating_sub(1);
            inhibit_any = inhibit_any.saturating_sub(1);
        }
        if let Some(r) = d.require_explicit_policy {
            explicit = explicit.min(r as usize);
        }
        if let Some(r) = d.inhibit_policy_mapping {
            mapping = mapping.min(r as usize);
        }
        if let Some(r) = d.inhibit_any_policy {
            inhibit_any = inhibit_any.min(r as usize);
        }
    }
    if path
        .last()
        .is_some_and(|(d, _)| d.require_explicit_policy == Some(0))
    {
        explicit = 0;
    } else {
        explicit = explicit.saturating_sub(1);
    }
    let mut outcome = PolicyOutcome::default();
    if let Some(mut t) = tree {
        let (authorities, _) = summary(&t, n);
        outcome.authorities_constrained = authorities;
        if let Some(user) = &user {
            let node_set: Vec<usize> = (0..t.len())
                .filter(|&x| t[x].live && t[x].parent.is_some_and(|p| t[p].policy == ANY_POLICY))
                .collect();
            let node_set_policies: BTreeSet<ObjectIdentifier> =
                node_set.iter().map(|&x| t[x].policy).collect();
            for &x in &node_set {
                if t[x].live && t[x].policy != ANY_POLICY && !user.contains(&t[x].policy) {
                    delete_subtree(&mut t, x);
                }
            }
            let any_n =
                (0..t.len()).find(|&x| t[x].live && t[x].depth == n && t[x].policy == ANY_POLICY);
            if let Some(a) = any_n {
                let parent = t[a].parent.unwrap();
                for p in user {
                    if !node_set_policies.contains(p) {
                        add(&mut t, n, *p, parent);
                    }
                }
                t[a].live = false;
            }
            prune(&mut t, n);
        }
        let (user_constrained, end_entity) = summary(&t, n);
        outcome.user_constrained = user_constrained;
        outcome.end_entity_policies = end_entity;
    }
    outcome.explicit_policy_required = explicit == 0;
    if explicit == 0 && outcome.end_entity_policies.is_empty() {
        return Err(PolicyError::NoAcceptablePolicy);
    }
    Ok(outcome)
}

/// xorshift64*, so the test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[test]
fn graph_matches_the_literal_tree_algorithm() {
    let pool = [
        oid(A),
        oid(B),
        oid(C),
        oid("1.3.6.1.4.1.55555.1.4"),
        ANY_POLICY,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = 0usize;
    for case in 0..3000 {
        let len = 1 + rng.below(5) as usize;
        let mut path = Vec::new();
        for _ in 0..len {
            let mut d = CertPolicyData::default();
            if rng.chance(85) {
                let mut ps: Vec<ObjectIdentifier> = pool
                    .iter()
                    .copied()
                    .filter(|p| rng.chance(if *p == ANY_POLICY { 35 } else { 45 }))
                    .collect();
                if ps.is_empty() {
                    ps.push(pool[rng.below(pool.len() as u64) as usize]);
                }
                d.policies = Some(ps);
            }
            if rng.chance(35) {
                let count = 1 + rng.below(4);
                let pick = |rng: &mut Rng| {
                    // anyPolicy rarely, to test 6.1.4 (a) without masking the rest.
                    if rng.chance(3) {
                        ANY_POLICY
                    } else {
                        pool[rng.below(4) as usize]
                    }
                };
                d.mappings = Some(
                    (0..count)
                        .map(|_| (pick(&mut rng), pick(&mut rng)))
                        .collect(),
                );
            }
            if rng.chance(15) {
                d.require_explicit_policy = Some(rng.below(3) as u32);
            }
            if rng.chance(15) {
                d.inhibit_policy_mapping = Some(rng.below(3) as u32);
            }
            if rng.chance(15) {
                d.inhibit_any_policy = Some(rng.below(3) as u32);
            }
            path.push((d, rng.chance(15)));
        }
        let user: Vec<ObjectIdentifier> = pool[..4]
            .iter()
            .copied()
            .filter(|_| rng.chance(30))
            .collect();
        let inputs = PolicyInputs {
            initial_policy_set: user,
            initial_explicit_policy: rng.chance(40),
            initial_policy_mapping_inhibit: rng.chance(15),
            initial_any_policy_inhibit: rng.chance(15),
        };
        let expected = reference(&path, &inputs);
        let got = run(&path, &inputs);
        if expected.is_err() {
            failures += 1;
        }
        assert_eq!(got, expected, "case {case}: {path:?} {inputs:?}");
    }
    // Both outcomes are well represented.
    assert!(failures > 300 && failures < 2700, "{failures} failures");
}
