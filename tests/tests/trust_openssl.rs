//! Path validation of certificates made by the real `openssl` command: name constraints and
//! certificate policies (RFC 5280 4.2.1.10, 6.1), through the public [`Validator`].
//!
//! These were unit tests of `trust::names` and `trust::policy` that ran `openssl`; here each
//! chain is built with `openssl req` / `openssl x509 -req` and judged end to end, so a
//! name-constraint or policy verdict is read from [`Validation`] and its [`Reason`]s.
//!
//! A missing `openssl` command fails these tests (with a message saying so); it never skips
//! them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use hermes_pki::cert::Certificate;
use hermes_pki::trust::{
    LeafPolicy, PolicyInputs, Reason, ServerName, Validation, ValidationOptions, Validator,
};
use hermes_pki_tests::openssl;

// ---------------------------------------------------------------- helpers

/// Makes certificates with `openssl` in a temporary directory: P-256 keys, 30 days from now.
struct Pki {
    dir: tempfile::TempDir,
    serial: u32,
}

impl Pki {
    fn new() -> Self {
        Pki {
            dir: tempfile::tempdir().unwrap(),
            serial: 1,
        }
    }

    /// Issues certificate `name` with subject `subject` (OpenSSL `/CN=...` form) signed by
    /// `issuer` (self-signed when `None`), with the extension lines `ext` (an openssl config
    /// section body; further sections may follow it).
    fn issue_subject(
        &mut self,
        name: &str,
        subject: &str,
        issuer: Option<&str>,
        ext: &str,
    ) -> Certificate {
        let dir = self.dir.path();
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        let cnf = format!("{name}.cnf");
        std::fs::write(dir.join(&cnf), format!("[v3]\n{ext}\n")).unwrap();
        openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key,
            ],
            dir,
        );
        openssl(
            &["req", "-new", "-key", &key, "-subj", subject, "-out", &csr],
            dir,
        );
        let serial = self.serial.to_string();
        self.serial += 1;
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-out",
            &pem,
            "-days",
            "30",
            "-set_serial",
            &serial,
            "-extfile",
            &cnf,
            "-extensions",
            "v3",
        ];
        let (ca, ca_key);
        match issuer {
            Some(issuer) => {
                ca = format!("{issuer}.pem");
                ca_key = format!("{issuer}.key");
                args.extend(["-CA", ca.as_str(), "-CAkey", ca_key.as_str()]);
            }
            None => args.extend(["-signkey", key.as_str()]),
        }
        openssl(&args, dir);
        Certificate::from_pem(&std::fs::read_to_string(dir.join(&pem)).unwrap()).unwrap()
    }

    /// [`issue_subject`](Self::issue_subject) with subject CN=`cn`.
    fn issue_as(&mut self, name: &str, cn: &str, issuer: Option<&str>, ext: &str) -> Certificate {
        self.issue_subject(name, &format!("/CN={cn}"), issuer, ext)
    }

    /// Issues certificate `name` (CN=`name`).
    fn issue(&mut self, name: &str, issuer: Option<&str>, ext: &str) -> Certificate {
        self.issue_as(name, name, issuer, ext)
    }

    /// The self-signed root "root".
    fn root(&mut self) -> Certificate {
        self.issue(
            "root",
            None,
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign",
        )
    }

    /// A CA `name` under `issuer`.
    fn ca(&mut self, name: &str, issuer: &str, ext: &str) -> Certificate {
        self.issue(
            name,
            Some(issuer),
            &format!("basicConstraints=critical,CA:TRUE\n{ext}"),
        )
    }

    /// An end certificate "leaf" under `issuer`.
    fn leaf(&mut self, issuer: &str, ext: &str) -> Certificate {
        self.issue(
            "leaf",
            Some(issuer),
            &format!("basicConstraints=critical,CA:FALSE\n{ext}"),
        )
    }
}

/// Validates `path` (top-down below `root`: the certificate `root` issued first, the end
/// certificate last) for `leaf` policy, without EKU requirement.
fn validate_for(
    root: &Certificate,
    path: &[Certificate],
    leaf: LeafPolicy,
    inputs: &PolicyInputs,
) -> Validation {
    let (end, intermediates) = path.split_last().expect("a path");
    let options = ValidationOptions::new(SystemTime::now(), leaf)
        .required_eku(None)
        .policies(inputs.clone());
    Validator::without_store()
        .anchors([root.clone()])
        .intermediates(intermediates.iter().cloned())
        .validate(end, &options)
        .unwrap()
}

/// [`validate_for`] with [`LeafPolicy::Any`].
fn validate(root: &Certificate, path: &[Certificate], inputs: &PolicyInputs) -> Validation {
    validate_for(root, path, LeafPolicy::Any, inputs)
}

// ---------------------------------------------------------------- name constraints

/// The extension sections of the name-constraints test: a CA with constraints of every
/// interpreted form, and the names of the certificates under it.
const NC_CA: &str = "\
nameConstraints = critical,@nc
[nc]
permitted;DNS.0 = example.com
permitted;DNS.1 = .sub.example.org
permitted;email.0 = Alice@mail.example.com
permitted;email.1 = example.net
permitted;email.2 = .corp.example
permitted;IP.0 = 10.0.0.0/255.0.0.0
permitted;IP.1 = 2001:db8::/ffff:ffff::
permitted;dirName.0 = dir_sect
excluded;DNS.0 = bad.example.com
excluded;IP.0 = 10.66.0.0/255.255.0.0
excluded;URI.0 = .example.com
[dir_sect]
C = DE
O = Example Corp";

/// The subjectAltName of the good leaf, with `extra` SAN entries (`, DNS:...`) added.
fn leaf_san(extra: &str) -> String {
    format!(
        "subjectAltName = @san\n[san]\n\
         DNS.0 = a.example.com\n\
         DNS.1 = *.x.example.com\n\
         DNS.2 = Deep.Sub.Example.org\n\
         IP.0 = 10.1.2.3\n\
         IP.1 = 2001:db8::5\n\
         email.0 = Alice@MAIL.example.com\n\
         email.1 = bob@example.net\n\
         email.2 = carol@dept.corp.example\n\
         dirName.0 = san_dir\n\
         {extra}\
         [san_dir]\n\
         C = DE\n\
         O = Example Corp\n\
         OU = Mail"
    )
}

/// The good leaf's subject: its O differs in case and spacing from the constraint, its
/// emailAddress is checked against the rfc822Name constraints, its CN is no DNS name.
const LEAF_SUBJECT: &str =
    "/C=DE/O=example  corp/CN=not-a-permitted-name.example.net/emailAddress=Alice@mail.example.com";

/// The single name-constraints reason of an invalid result.
fn nc_detail(result: &Validation) -> String {
    match result.reasons() {
        [Reason::NameConstraints { detail }] => detail.clone(),
        other => panic!("expected one name-constraints reason, got {other:?}"),
    }
}

#[test]
fn name_constraints_of_openssl_certificates_end_to_end() {
    let mut pki = Pki::new();
    let root = pki.root();
    let none = PolicyInputs::default();
    let sub = pki.issue_as(
        "sub",
        "Sub CA",
        Some("root"),
        &format!("basicConstraints = critical,CA:TRUE\n{NC_CA}"),
    );
    let end = |pki: &mut Pki, name: &str, subject: &str, ext: &str| {
        pki.issue_subject(
            name,
            subject,
            Some("sub"),
            &format!("basicConstraints = critical,CA:FALSE\n{ext}"),
        )
    };

    // Every name of the leaf is inside the permitted subtrees and outside the excluded ones:
    // DNS (exact, wildcard, case), IP (v4, v6), email (SAN and subject emailAddress, local part
    // exact, host case-insensitive), directory names (subject with another case and spacing,
    // SAN dirName below the constraint).
    let leaf = end(&mut pki, "leaf", LEAF_SUBJECT, &leaf_san(""));
    let result = validate(&root, &[sub.clone(), leaf.clone()], &none);
    assert!(result.is_valid(), "{:?}", result.reasons());

    // Without constraints (the leaf under the root alone) nothing is restricted.
    let plain = pki.issue_subject(
        "plain",
        "/C=DE/O=Example Corp/CN=evil.example.org/emailAddress=evil@bad.example",
        Some("root"),
        "basicConstraints = critical,CA:FALSE\nsubjectAltName = DNS:x.bad.example.com",
    );
    assert!(validate(&root, &[plain], &none).is_valid());

    // TLS matching on the same certificate; the CN is never a DNS name.
    let tls = |name: ServerName| {
        validate_for(
            &root,
            &[sub.clone(), leaf.clone()],
            LeafPolicy::TlsServer(name),
            &none,
        )
        .is_valid()
    };
    assert!(tls(ServerName::Dns("a.example.com".into())));
    assert!(tls(ServerName::Dns("w.x.example.com".into())));
    assert!(tls(ServerName::Dns("deep.sub.example.org".into())));
    assert!(!tls(ServerName::Dns(
        "not-a-permitted-name.example.net".into()
    )));
    assert!(tls(ServerName::Ip(
        "2001:db8::5".parse::<IpAddr>().unwrap()
    )));
    assert!(tls(ServerName::Ip(IpAddr::from([10, 1, 2, 3]))));

    // Adding one offending name of each kind makes it fail, with the right reason.
    for (name, extra, why) in [
        (
            "dns-excluded",
            "DNS.3 = x.bad.example.com\n",
            "DNS name \"x.bad.example.com\" is excluded by the name constraints of \"CN=Sub CA\" \
             (excluded subtree \"bad.example.com\")",
        ),
        (
            "dns-not-permitted",
            "DNS.3 = sub.example.org\n",
            "DNS name \"sub.example.org\" is not permitted by the name constraints of \
             \"CN=Sub CA\"",
        ),
        (
            "ip-excluded",
            "IP.2 = 10.66.0.1\n",
            "IP address \"10.66.0.1\" is excluded by the name constraints of \"CN=Sub CA\" \
             (excluded subtree \"10.66.0.0/16\")",
        ),
        (
            "ip-not-permitted",
            "IP.2 = ::1\n",
            "IP address \"::1\" is not permitted by the name constraints of \"CN=Sub CA\"",
        ),
        (
            // The permitted IPv6 subtree is 2001:db8::/32.
            "ip6-not-permitted",
            "IP.2 = 2001:db9::1\n",
            "IP address \"2001:db9::1\" is not permitted",
        ),
    ] {
        let cert = end(&mut pki, name, LEAF_SUBJECT, &leaf_san(extra));
        let result = validate(&root, &[sub.clone(), cert.clone()], &none);
        assert!(!result.is_valid(), "{name} must not be valid");
        let detail = nc_detail(&result);
        assert!(
            detail.starts_with(&format!("{:?}: ", cert.subject())) && detail.contains(why),
            "{name}: {detail}"
        );
    }
    // The directory-name subtree is O=Example Corp,C=DE: another O is not permitted.
    let other_o = end(
        &mut pki,
        "other-o",
        "/C=DE/O=Other Corp/CN=x",
        "subjectAltName = DNS:a.example.com",
    );
    let detail = nc_detail(&validate(&root, &[sub.clone(), other_o], &none));
    assert!(
        detail.contains("directory name \"CN=x,O=Other Corp,C=DE\" is not permitted"),
        "{detail}"
    );

    // The second certificate: its subject emailAddress is outside the rfc822Name subtrees (its
    // CN, not being a DNS name, is not checked), and the host of its URI is in the excluded URI
    // subtree.
    let other_subject = "/C=DE/O=Example Corp/CN=evil.example.org/emailAddress=evil@bad.example";
    let other_san = "subjectAltName = otherName:1.3.6.1.4.1.99999.1;UTF8:hello, \
                     URI:https://www.example.com/, RID:1.2.3.4";
    let other = end(&mut pki, "other", other_subject, other_san);
    assert!(
        !validate_for(
            &root,
            &[sub.clone(), other.clone()],
            LeafPolicy::TlsServer(ServerName::Dns("evil.example.org".into())),
            &PolicyInputs::default(),
        )
        .is_valid()
    );
    let detail = nc_detail(&validate(&root, &[sub.clone(), other.clone()], &none));
    assert_eq!(
        detail,
        format!(
            "{:?}: email address \"evil@bad.example\" is not permitted by the name constraints \
             of \"CN=Sub CA\"",
            other.subject()
        )
    );

    // A CA with only the excluded subtrees: the URI's host is in ".example.com".
    let only_excluded = pki.issue_as(
        "only-excluded",
        "Excluding CA",
        Some("root"),
        "basicConstraints = critical,CA:TRUE\nnameConstraints = critical,@nc\n[nc]\n\
         excluded;DNS.0 = bad.example.com\n\
         excluded;IP.0 = 10.66.0.0/255.255.0.0\n\
         excluded;URI.0 = .example.com",
    );
    let under = |pki: &mut Pki, ca: &str, name: &str, subject: &str, ext: &str| {
        pki.issue_subject(
            name,
            subject,
            Some(ca),
            &format!("basicConstraints = critical,CA:FALSE\n{ext}"),
        )
    };
    let other2 = under(
        &mut pki,
        "only-excluded",
        "other2",
        other_subject,
        other_san,
    );
    let detail = nc_detail(&validate(&root, &[only_excluded.clone(), other2], &none));
    assert!(
        detail.contains(
            "URI \"https://www.example.com/\" is excluded by the name constraints of \
             \"CN=Excluding CA\" (excluded subtree \".example.com\")"
        ),
        "{detail}"
    );
    // The leaf has no URI: unaffected.
    let leaf2 = under(
        &mut pki,
        "only-excluded",
        "leaf2",
        LEAF_SUBJECT,
        &leaf_san(""),
    );
    let result = validate(&root, &[only_excluded, leaf2], &none);
    assert!(result.is_valid(), "{:?}", result.reasons());

    // An excluded otherName subtree refuses the otherName (a form not interpreted).
    let on_ca = pki.issue_as(
        "on-ca",
        "OtherName CA",
        Some("root"),
        "basicConstraints = critical,CA:TRUE\n\
         nameConstraints = critical,excluded;otherName:1.3.6.1.4.1.99999.1;UTF8:x",
    );
    let other3 = under(&mut pki, "on-ca", "other3", other_subject, other_san);
    let detail = nc_detail(&validate(&root, &[on_ca.clone(), other3], &none));
    assert!(
        detail.contains(
            "otherName \"1.3.6.1.4.1.99999.1\" cannot be checked: the name constraints of \
             \"CN=OtherName CA\" restrict otherNames, which are not supported"
        ),
        "{detail}"
    );
    // The leaf has no otherName: unaffected.
    let leaf3 = under(&mut pki, "on-ca", "leaf3", LEAF_SUBJECT, &leaf_san(""));
    let result = validate(&root, &[on_ca, leaf3], &none);
    assert!(result.is_valid(), "{:?}", result.reasons());

    // A non-contiguous mask (which OpenSSL writes) is malformed.
    let bad_mask = pki.issue_as(
        "bad-mask",
        "Bad",
        Some("root"),
        "basicConstraints = critical,CA:TRUE\n\
         nameConstraints = critical,permitted;IP:10.0.0.0/255.0.255.0",
    );
    let under_bad = under(&mut pki, "bad-mask", "under-bad", "/CN=u", "");
    let result = validate(&root, &[bad_mask, under_bad], &none);
    assert!(
        result.reasons().iter().any(|r| matches!(
            r,
            Reason::Malformed { subject, detail }
                if subject == "CN=Bad" && detail.contains("not contiguous")
        )),
        "{:?}",
        result.reasons()
    );
}

// ---------------------------------------------------------------- certificate policies

const A: &str = "1.3.6.1.4.1.55555.1.1";
const B: &str = "1.3.6.1.4.1.55555.1.2";
const C: &str = "1.3.6.1.4.1.55555.1.3";
const ANY: &str = "2.5.29.32.0";

fn oid(s: &str) -> ObjectIdentifier {
    s.parse().unwrap()
}

/// Policy inputs with initial-explicit-policy and the user-initial-policy-set `initial`.
fn explicit(initial: &[&str]) -> PolicyInputs {
    PolicyInputs {
        initial_policy_set: initial.iter().map(|s| oid(s)).collect(),
        initial_explicit_policy: true,
        ..PolicyInputs::default()
    }
}

/// The single certificate-policies reason of an invalid result.
fn policy_detail(result: &Validation) -> String {
    match result.reasons() {
        [Reason::Policy { detail }] => detail.clone(),
        other => panic!("expected one policy reason, got {other:?}"),
    }
}

/// `certificate {n} of the path requires an explicit certificate policy` (1-based, the
/// certificate the anchor issued first).
fn explicit_required_at(n: usize) -> String {
    format!("certificate {n} of the path requires an explicit certificate policy")
}

const NO_ACCEPTABLE: &str = "an explicit certificate policy is required, and none of the \
                             acceptable policies is valid for this path";

/// Whether the path is valid for exactly the acceptable policies `valid` among A, B, C and
/// 1.3.6.1.4.1.55555.1.4 (each asked alone with initial-explicit-policy): how the user-
/// constrained policy set shows through the public API.
fn acceptable_policies(root: &Certificate, path: &[Certificate], valid: &[&str]) {
    for p in [A, B, C, "1.3.6.1.4.1.55555.1.4"] {
        let result = validate(root, path, &explicit(&[p]));
        if valid.contains(&p) {
            assert!(result.is_valid(), "{p}: {:?}", result.reasons());
        } else {
            assert_eq!(policy_detail(&result), NO_ACCEPTABLE, "{p}");
        }
    }
}

#[test]
fn defaults_accept_a_path_without_policies() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca("int", "root", "");
    let leaf = pki.leaf("int", "");
    let result = validate(&root, &[int, leaf], &PolicyInputs::default());
    assert!(result.is_valid(), "{:?}", result.reasons());
}

#[test]
fn require_explicit_policy_without_policies_fails() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca(
        "int",
        "root",
        "policyConstraints=critical,requireExplicitPolicy:0",
    );
    let leaf = pki.leaf("int", "");
    let path = [int, leaf];
    let detail = policy_detail(&validate(&root, &path, &PolicyInputs::default()));
    assert!(detail.starts_with(&explicit_required_at(2)), "{detail}");
    assert!(detail.contains("explicit certificate policy"));

    // The caller's initial-explicit-policy fails it at the first certificate.
    let detail = policy_detail(&validate(&root, &path, &explicit(&[])));
    assert!(detail.starts_with(&explicit_required_at(1)), "{detail}");
}

#[test]
fn matching_policies_succeed_with_that_set() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca("int", "root", &format!("certificatePolicies={A},{B}"));
    let leaf = pki.leaf("int", &format!("certificatePolicies={A}"));
    let path = [int, leaf];
    // Valid for A (and only A) under initial-explicit-policy.
    assert!(validate(&root, &path, &explicit(&[])).is_valid());
    acceptable_policies(&root, &path, &[A]);
    assert!(validate(&root, &path, &explicit(&[A, C])).is_valid());

    // The leaf's policy is not the user's: no acceptable policy.
    assert_eq!(
        policy_detail(&validate(&root, &path, &explicit(&[B]))),
        NO_ACCEPTABLE
    );
}

#[test]
fn initial_policy_set_the_chain_does_not_assert_fails_when_explicit() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca("int", "root", &format!("certificatePolicies={A}"));
    let leaf = pki.leaf("int", &format!("certificatePolicies={A}"));
    let path = [int, leaf];
    assert_eq!(
        policy_detail(&validate(&root, &path, &explicit(&[C]))),
        NO_ACCEPTABLE
    );
    // Without explicit policy the path is valid, for no acceptable policy.
    let inputs = PolicyInputs {
        initial_policy_set: vec![oid(C)],
        ..PolicyInputs::default()
    };
    assert!(validate(&root, &path, &inputs).is_valid());
}

#[test]
fn policy_mapping_makes_the_leaf_policy_acceptable() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca(
        "int",
        "root",
        &format!("certificatePolicies={A}\npolicyMappings=critical,{A}:{B}"),
    );
    let leaf = pki.leaf("int", &format!("certificatePolicies={B}"));
    let path = [int, leaf];
    assert!(validate(&root, &path, &explicit(&[A])).is_valid());
    // In the anchor's domain only A is acceptable: the user's policy B is the leaf's domain.
    acceptable_policies(&root, &path, &[A]);

    // Without the mapping the leaf's B matches nothing.
    let plain = pki.ca("plain", "root", &format!("certificatePolicies={A}"));
    let leaf2 = pki.leaf("plain", &format!("certificatePolicies={B}"));
    let detail = policy_detail(&validate(&root, &[plain, leaf2], &explicit(&[])));
    assert!(detail.starts_with(&explicit_required_at(2)), "{detail}");

    // initial-policy-mapping-inhibit forbids the mapping.
    let inputs = PolicyInputs {
        initial_policy_mapping_inhibit: true,
        ..explicit(&[A])
    };
    let detail = policy_detail(&validate(&root, &path, &inputs));
    assert!(detail.starts_with(&explicit_required_at(2)), "{detail}");
}

#[test]
fn inhibit_policy_mapping_counts_certificates() {
    let mut pki = Pki::new();
    let root = pki.root();
    let inhibit0 = pki.ca(
        "int1",
        "root",
        &format!("certificatePolicies={A}\npolicyConstraints=critical,inhibitPolicyMapping:0"),
    );
    let inhibit1 = pki.ca(
        "int1b",
        "root",
        &format!("certificatePolicies={A}\npolicyConstraints=critical,inhibitPolicyMapping:1"),
    );
    let mapping = |pki: &mut Pki, name: &str, issuer: &str| {
        pki.ca(
            name,
            issuer,
            &format!("certificatePolicies={A}\npolicyMappings=critical,{A}:{B}"),
        )
    };
    let int2 = mapping(&mut pki, "int2", "int1");
    let leaf = pki.leaf("int2", &format!("certificatePolicies={B}"));
    let detail = policy_detail(&validate(&root, &[inhibit0, int2, leaf], &explicit(&[A])));
    assert!(detail.starts_with(&explicit_required_at(3)), "{detail}");

    // inhibitPolicyMapping 1: the next certificate may still map.
    let int2b = mapping(&mut pki, "int2b", "int1b");
    let leaf = pki.leaf("int2b", &format!("certificatePolicies={B}"));
    let path = [inhibit1, int2b, leaf];
    assert!(validate(&root, &path, &explicit(&[A])).is_valid());
    acceptable_policies(&root, &path, &[A]);
}

#[test]
fn inhibit_any_policy_stops_any_policy_in_an_intermediate() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int1 = pki.ca(
        "int1",
        "root",
        "certificatePolicies=2.5.29.32.0\ninhibitAnyPolicy=critical,0",
    );
    let int2 = pki.ca("int2", "int1", "certificatePolicies=2.5.29.32.0");
    let leaf = pki.leaf("int2", &format!("certificatePolicies={A}"));
    let detail = policy_detail(&validate(&root, &[int1, int2, leaf], &explicit(&[])));
    assert!(detail.starts_with(&explicit_required_at(2)), "{detail}");

    // The same path without inhibitAnyPolicy: anyPolicy covers the leaf's A.
    let free = pki.ca("free", "root", "certificatePolicies=2.5.29.32.0");
    let int2 = pki.ca("int2b", "free", "certificatePolicies=2.5.29.32.0");
    let leaf = pki.leaf("int2b", &format!("certificatePolicies={A}"));
    let path = [free, int2, leaf];
    assert!(validate(&root, &path, &explicit(&[A])).is_valid());
    acceptable_policies(&root, &path, &[A]);
}

#[test]
fn mapping_to_or_from_any_policy_fails() {
    let mut pki = Pki::new();
    let root = pki.root();
    let int = pki.ca(
        "int",
        "root",
        &format!("certificatePolicies={A}\npolicyMappings=critical,{A}:{ANY}"),
    );
    let leaf = pki.leaf("int", &format!("certificatePolicies={A}"));
    let detail = policy_detail(&validate(&root, &[int, leaf], &PolicyInputs::default()));
    assert!(
        detail.starts_with("certificate 1 of the path maps a policy to or from anyPolicy"),
        "{detail}"
    );
    assert!(detail.contains("anyPolicy"));

    let int = pki.ca(
        "int2",
        "root",
        &format!("certificatePolicies={A}\npolicyMappings=critical,{ANY}:{A}"),
    );
    let leaf = pki.leaf("int2", &format!("certificatePolicies={A}"));
    let detail = policy_detail(&validate(&root, &[int, leaf], &PolicyInputs::default()));
    assert!(
        detail.starts_with("certificate 1 of the path maps a policy to or from anyPolicy"),
        "{detail}"
    );
}

#[test]
fn self_issued_intermediate_does_not_count() {
    let mut pki = Pki::new();
    let root = pki.root();
    // requireExplicitPolicy 2: two more certificates may follow without a policy, then the
    // path must have one; a self-issued certificate is not counted.
    let int = pki.ca(
        "int",
        "root",
        "policyConstraints=critical,requireExplicitPolicy:2",
    );
    let rollover = pki.issue_as(
        "rollover",
        "int",
        Some("int"),
        "basicConstraints=critical,CA:TRUE",
    );
    let other = pki.ca("other", "int", "");
    let leaf1 = pki.leaf("rollover", "");
    let result = validate(
        &root,
        &[int.clone(), rollover, leaf1],
        &PolicyInputs::default(),
    );
    assert!(result.is_valid(), "{:?}", result.reasons());
    let leaf2 = pki.leaf("other", "");
    assert_eq!(
        policy_detail(&validate(
            &root,
            &[int, other, leaf2],
            &PolicyInputs::default()
        )),
        NO_ACCEPTABLE
    );
}

#[test]
fn many_mappings_in_certificates_stay_small() {
    // Five intermediates, each asserting ten policies and mapping every one to all ten: the
    // RFC 5280 tree would have 10^6 nodes at the leaf; the graph (10 per level) stays under
    // the node cap, so the path is valid, for all ten policies, and for the leaf's one.
    let mut pki = Pki::new();
    let root = pki.root();
    let policies: Vec<String> = (1..=10)
        .map(|i| format!("1.3.6.1.4.1.55555.2.{i}"))
        .collect();
    let mut mappings = Vec::new();
    for p in &policies {
        for q in &policies {
            mappings.push(format!("{p}:{q}"));
        }
    }
    let ext = format!(
        "certificatePolicies={}\npolicyMappings=critical,{}",
        policies.join(","),
        mappings.join(",")
    );
    let mut path = Vec::new();
    let mut issuer = "root".to_string();
    for i in 0..5 {
        let name = format!("int{i}");
        path.push(pki.ca(&name, &issuer, &ext));
        issuer = name;
    }
    path.push(pki.leaf(&issuer, &format!("certificatePolicies={}", policies[0])));

    let result = validate(&root, &path, &explicit(&[]));
    assert!(result.is_valid(), "{:?}", result.reasons());
    for p in &policies {
        assert!(validate(&root, &path, &explicit(&[p])).is_valid(), "{p}");
    }
    assert_eq!(
        policy_detail(&validate(&root, &path, &explicit(&[A]))),
        NO_ACCEPTABLE
    );
}

#[test]
fn malformed_extensions_in_certificates_are_rejected() {
    // (Certificate::from_der already refuses a duplicated extension.)
    let mut pki = Pki::new();
    let root = pki.root();
    let cases = [
        ("garbage", "2.5.29.32=DER:30:03:02:01:05"),
        ("empty-policies", "2.5.29.32=DER:30:00"),
        ("empty-constraints", "2.5.29.36=critical,DER:30:00"),
        ("empty-mappings", "2.5.29.33=critical,DER:30:00"),
        ("bad-skip-certs", "2.5.29.54=critical,DER:04:01:00"),
    ];
    for (name, ext) in cases {
        let int = pki.ca(name, "root", ext);
        let leaf = pki.leaf(name, "");
        let result = validate(&root, &[int, leaf], &PolicyInputs::default());
        let detail = result
            .reasons()
            .iter()
            .find_map(|r| match r {
                Reason::Policy { detail } => Some(detail.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{name}: {:?}", result.reasons()));
        assert!(
            detail.starts_with("certificate 1 of the path has a malformed policy extension"),
            "{name}: {detail}"
        );
        assert!(detail.contains("malformed policy extension"));
    }
}
