//! [`RequestOptions`]: what a certificate request asks for (REQUIREMENTS.md section 6), and its
//! text form kept in the store.

use crate::ca::IssueSpec;
use crate::error::{Error, Result};
use crate::key::{HashAlg, KeySpec};
use crate::store::CaId;

/// The handler of the default CA: issues at once.
pub const BUILT_IN: &str = "built-in";
/// The outward CSR handler: a key and a PKCS#10 request for an external CA; pending until the
/// certificate that CA issued is imported.
pub const CSR: &str = "csr";
/// The inward CSR handler: a client's PKCS#10, pending until approved, then issued by the
/// internal CA.
pub const CSR_INWARD: &str = "csr-inward";

/// What a certificate request asks for: the subject (email and common name required), the
/// validity, key and hash, the handler, a CRL distribution point, whether to create the user,
/// and whether to deliver a PKCS#12 with a generated password.
///
/// ```
/// use hermes_pki::key::KeySpec;
/// use hermes_pki::request::RequestOptions;
///
/// let o = RequestOptions::new("alice@example.com", "Alice Example")
///     .organization("Example GmbH")
///     .key(KeySpec::EcP256)
///     .days(730)
///     .create_user(true)
///     .deliver_pkcs12(20)
///     .store_password(true);
/// let again = RequestOptions::from_text(&o.to_text())?;
/// assert_eq!(again, o);
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    pub(crate) email: String,
    pub(crate) common_name: String,
    pub(crate) organization: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) surname: Option<String>,
    pub(crate) days: u32,
    pub(crate) key: KeySpec,
    pub(crate) hash: HashAlg,
    pub(crate) handler: String,
    pub(crate) crl_distribution_point: Option<String>,
    pub(crate) ca: Option<CaId>,
    pub(crate) create_user: bool,
    pub(crate) deliver_pkcs12: Option<usize>,
    pub(crate) store_password: bool,
}

impl RequestOptions {
    /// A request for `email` with this common name: 365 days, RSA 2048, SHA-256, the built-in
    /// handler (the default CA), no user created, no PKCS#12 delivered.
    pub fn new(email: impl Into<String>, common_name: impl Into<String>) -> Self {
        RequestOptions {
            email: email.into(),
            common_name: common_name.into(),
            organization: None,
            given_name: None,
            surname: None,
            days: 365,
            key: KeySpec::Rsa(2048),
            hash: HashAlg::Sha256,
            handler: BUILT_IN.into(),
            crl_distribution_point: None,
            ca: None,
            create_user: false,
            deliver_pkcs12: None,
            store_password: false,
        }
    }

    /// The organisation (O).
    pub fn organization(mut self, o: impl Into<String>) -> Self {
        self.organization = Some(o.into());
        self
    }

    /// The given name (GN).
    pub fn given_name(mut self, gn: impl Into<String>) -> Self {
        self.given_name = Some(gn.into());
        self
    }

    /// The surname (SN).
    pub fn surname(mut self, sn: impl Into<String>) -> Self {
        self.surname = Some(sn.into());
        self
    }

    /// Validity in days, 1 to 3650.
    pub fn days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// The key to generate: RSA 2048/3072/4096 or EC P-256/P-384.
    pub fn key(mut self, key: KeySpec) -> Self {
        self.key = key;
        self
    }

    /// The signature hash: SHA-256 (default), SHA-384 or SHA-512.
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.hash = hash;
        self
    }

    /// The handler, by name: [`BUILT_IN`] (default), [`CSR`], or an external handler
    /// registered with [`Requests::with_handler`](super::Requests::with_handler).
    pub fn handler(mut self, name: impl Into<String>) -> Self {
        self.handler = name.into();
        self
    }

    /// A CRL distribution point URL to put in the certificate (built-in and inward CSR).
    pub fn crl_distribution_point(mut self, url: impl Into<String>) -> Self {
        self.crl_distribution_point = Some(url.into());
        self
    }

    /// Issue from this CA instead of the default one (built-in and inward CSR).
    pub fn ca(mut self, ca: CaId) -> Self {
        self.ca = Some(ca);
        self
    }

    /// Add the user (the email address) to the store when the certificate is issued.
    pub fn create_user(mut self, yes: bool) -> Self {
        self.create_user = yes;
        self
    }

    /// Build a PKCS#12 file (with the chain) protected by a generated password of `length`
    /// characters (8 to 1024), and a MIME message to the user with the file attached, when
    /// the certificate is issued (see [`Delivery`](super::Delivery)).
    pub fn deliver_pkcs12(mut self, length: usize) -> Self {
        self.deliver_pkcs12 = Some(length);
        self
    }

    /// Keep the generated PKCS#12 password in the user's settings (key
    /// [`PASSWORD_SETTING`](super::PASSWORD_SETTING)); the user is created for it.
    pub fn store_password(mut self, yes: bool) -> Self {
        self.store_password = yes;
        self
    }

    /// The email address, as given.
    pub fn get_email(&self) -> &str {
        &self.email
    }

    /// The common name.
    pub fn get_common_name(&self) -> &str {
        &self.common_name
    }

    /// The handler's name.
    pub fn get_handler(&self) -> &str {
        &self.handler
    }

    /// The key to generate.
    pub fn get_key(&self) -> KeySpec {
        self.key
    }

    /// The PKCS#12 password length, when a PKCS#12 is delivered.
    pub fn get_deliver_pkcs12(&self) -> Option<usize> {
        self.deliver_pkcs12
    }

    /// The [`IssueSpec`] of these options (what the internal CA issues).
    pub fn issue_spec(&self) -> IssueSpec {
        let mut spec = IssueSpec::new(&self.email, &self.common_name)
            .days(self.days)
            .key(self.key)
            .hash(self.hash);
        if let Some(o) = &self.organization {
            spec = spec.organization(o);
        }
        if let Some(g) = &self.given_name {
            spec = spec.given_name(g);
        }
        if let Some(s) = &self.surname {
            spec = spec.surname(s);
        }
        if let Some(u) = &self.crl_distribution_point {
            spec = spec.crl_distribution_point(u);
        }
        if let Some(ca) = self.ca {
            spec = spec.ca(ca);
        }
        spec
    }

    /// Every check that needs no store; returns the normalised email address.
    pub(crate) fn check(&self) -> Result<String> {
        if self.common_name.trim().is_empty() {
            return Err(Error::InvalidArgument("the common name is required".into()));
        }
        if let Some(n) = self.deliver_pkcs12
            && !(8..=1024).contains(&n)
        {
            return Err(Error::InvalidArgument(format!(
                "PKCS#12 password length {n}: give 8 to 1024"
            )));
        }
        if self.store_password && self.deliver_pkcs12.is_none() {
            return Err(Error::InvalidArgument(
                "storing the PKCS#12 password needs a PKCS#12 delivery (deliver_pkcs12)".into(),
            ));
        }
        // The IssueSpec checks the name fields, email, days, key and hash.
        self.issue_spec().validate()
    }

    /// The text form kept in the store: one `name=value` line per option set.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut put = |k: &str, v: &str| {
            out.push_str(k);
            out.push('=');
            out.push_str(&escape(v));
            out.push('\n');
        };
        put("email", &self.email);
        put("cn", &self.common_name);
        if let Some(v) = &self.organization {
            put("o", v);
        }
        if let Some(v) = &self.given_name {
            put("gn", v);
        }
        if let Some(v) = &self.surname {
            put("sn", v);
        }
        put("days", &self.days.to_string());
        put("key", &key_name(self.key));
        put("hash", hash_name(self.hash));
        put("handler", &self.handler);
        if let Some(v) = &self.crl_distribution_point {
            put("crl-dp", v);
        }
        if let Some(v) = self.ca {
            put("ca", &v.to_string());
        }
        if self.create_user {
            put("create-user", "yes");
        }
        if let Some(n) = self.deliver_pkcs12 {
            put("deliver-pkcs12", &n.to_string());
        }
        if self.store_password {
            put("store-password", "yes");
        }
        out
    }

    /// The inverse of [`to_text`](Self::to_text). [`Error::Storage`] for text it did not
    /// write.
    pub fn from_text(text: &str) -> Result<Self> {
        let bad = |what: &str| Error::Storage(format!("stored request options: {what}"));
        let mut o = RequestOptions::new("", "");
        for line in text.lines().filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| bad("a line without ="))?;
            let v = unescape(v).ok_or_else(|| bad("a bad escape"))?;
            let number = |v: &str| v.parse::<u64>().map_err(|_| bad("not a number"));
            match k {
                "email" => o.email = v,
                "cn" => o.common_name = v,
                "o" => o.organization = Some(v),
                "gn" => o.given_name = Some(v),
                "sn" => o.surname = Some(v),
                "days" => o.days = u32::try_from(number(&v)?).map_err(|_| bad("days"))?,
                "key" => o.key = parse_key(&v).ok_or_else(|| bad("key"))?,
                "hash" => o.hash = parse_hash(&v).ok_or_else(|| bad("hash"))?,
                "handler" => o.handler = v,
                "crl-dp" => o.crl_distribution_point = Some(v),
                "ca" => o.ca = Some(CaId::new(number(&v)?).map_err(|_| bad("ca"))?),
                "create-user" => o.create_user = v == "yes",
                "deliver-pkcs12" => {
                    o.deliver_pkcs12 =
                        Some(usize::try_from(number(&v)?).map_err(|_| bad("deliver-pkcs12"))?)
                }
                "store-password" => o.store_password = v == "yes",
                other => return Err(bad(&format!("unknown option {other:?}"))),
            }
        }
        Ok(o)
    }
}

/// `rsa-2048`, `ec-p256`, ...
pub(crate) fn key_name(key: KeySpec) -> String {
    match key {
        KeySpec::Rsa(bits) => format!("rsa-{bits}"),
        KeySpec::EcP256 => "ec-p256".into(),
        KeySpec::EcP384 => "ec-p384".into(),
        _ => "ed25519".into(),
    }
}

fn parse_key(s: &str) -> Option<KeySpec> {
    match s {
        "ec-p256" => Some(KeySpec::EcP256),
        "ec-p384" => Some(KeySpec::EcP384),
        "ed25519" => Some(KeySpec::Ed25519),
        _ => s
            .strip_prefix("rsa-")
            .and_then(|b| b.parse().ok())
            .map(KeySpec::Rsa),
    }
}

fn hash_name(h: HashAlg) -> &'static str {
    match h {
        HashAlg::Sha1 => "sha1",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
        _ => "sha256",
    }
}

fn parse_hash(s: &str) -> Option<HashAlg> {
    match s {
        "sha1" => Some(HashAlg::Sha1),
        "sha256" => Some(HashAlg::Sha256),
        "sha384" => Some(HashAlg::Sha384),
        "sha512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

/// `%`, CR and LF as `%25`, `%0D`, `%0A`.
fn escape(v: &str) -> String {
    v.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn unescape(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3)?;
        out.push(match code {
            "25" => '%',
            "0D" => '\r',
            "0A" => '\n',
            _ => return None,
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Some(out)
}
