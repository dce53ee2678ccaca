//! Downloading CRLs from their distribution points: the [`CrlFetcher`] trait, its error
//! [`FetchError`], and the HTTP(S) implementation [`HttpFetcher`].
//!
//! Plain `http://` works in every build. `https://` needs the crate's `https` cargo feature
//! (rustls with the *ring* provider and the Mozilla root certificates); without it an `https`
//! URL is refused with [`FetchError::UnsupportedUrl`]. CRLs are signed, so most distribution
//! points are plain HTTP anyway.

use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Downloads a CRL from a distribution point URL. Implement it to fetch through a proxy, a cache,
/// LDAP, or a test double.
///
/// ```
/// use hermes_pki::crl::{CrlFetcher, FetchError};
///
/// /// Serves one fixed CRL, whatever the URL: a test double.
/// struct Fixed(Vec<u8>);
///
/// impl CrlFetcher for Fixed {
///     fn fetch(&self, _url: &str) -> Result<Vec<u8>, FetchError> {
///         Ok(self.0.clone())
///     }
/// }
///
/// let fetcher = Fixed(vec![0x30, 0x00]);
/// assert_eq!(fetcher.fetch("http://crl.example.com/ca.crl").unwrap(), [0x30, 0x00]);
/// ```
pub trait CrlFetcher {
    /// The body at `url` (DER or PEM CRL bytes), or why not.
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError>;
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for &T {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for Box<T> {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for Arc<T> {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }
}

/// Why a fetch failed. Display gives a one-line message for an admin; no secrets.
///
/// The `url` in every variant is the URL that was asked for (not a redirect target), made safe to
/// show: a password in it is replaced by `***`, control characters are escaped and a very long
/// URL is shortened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL cannot be fetched by this fetcher: not `http`/`https` (for example `ldap://` or
    /// `ftp://`), not a URL at all, or `https` in a build without the `https` feature.
    UnsupportedUrl {
        /// The URL, made safe to show.
        url: String,
        /// What is wrong with it, and what to do.
        detail: String,
    },
    /// The server answered with a status other than 2xx (after following redirects).
    Status {
        /// The URL, made safe to show.
        url: String,
        /// The HTTP status code, such as 404.
        status: u16,
    },
    /// Connecting or downloading took longer than the configured timeout.
    Timeout {
        /// The URL, made safe to show.
        url: String,
    },
    /// The body (or its announced `Content-Length`) is larger than the configured limit.
    TooLarge {
        /// The URL, made safe to show.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The network failed: the host name does not resolve, the connection was refused or reset,
    /// the TLS handshake failed, the response was not valid HTTP, or there were too many
    /// redirects.
    Network {
        /// The URL, made safe to show.
        url: String,
        /// What went wrong, in one line.
        detail: String,
    },
}

impl FetchError {
    /// The URL the failed fetch was for, made safe to show.
    pub fn url(&self) -> &str {
        match self {
            Self::UnsupportedUrl { url, .. }
            | Self::Status { url, .. }
            | Self::Timeout { url }
            | Self::TooLarge { url, .. }
            | Self::Network { url, .. } => url,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedUrl { url, detail } => {
                write!(f, "cannot fetch a CRL from {url}: {detail}")
            }
            Self::Status { url, status } => {
                write!(
                    f,
                    "CRL download from {url} failed: the server answered HTTP {status}"
                )?;
                if let Some(reason) = ureq::http::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                {
                    write!(f, " {reason}")?;
                }
                Ok(())
            }
            Self::Timeout { url } => write!(f, "CRL download from {url} timed out"),
            Self::TooLarge { url, limit } => write!(
                f,
                "CRL download from {url} stopped: the CRL is larger than the limit of {limit} bytes"
            ),
            Self::Network { url, detail } => {
                write!(f, "CRL download from {url} failed: {detail}")
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// The default connect timeout of [`HttpFetcher`].
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default whole-request timeout of [`HttpFetcher`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default body size limit of [`HttpFetcher`]: 64 MiB.
const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// How many redirects [`HttpFetcher`] follows.
const MAX_REDIRECTS: u32 = 3;
/// The `User-Agent` header [`HttpFetcher`] sends.
const USER_AGENT: &str = concat!("hermes-pki/", env!("CARGO_PKG_VERSION"));
/// The `Accept` header [`HttpFetcher`] sends: CRL media types first (RFC 5280 section 4.2.1.13
/// names `application/pkix-crl`), anything else accepted too, since many servers label CRLs
/// `application/octet-stream`.
const ACCEPT: &str = "application/pkix-crl, application/x-pkcs7-crl;q=0.9, */*;q=0.5";
/// The longest URL shown in an error, in characters.
const MAX_SHOWN_URL: usize = 200;
/// The largest buffer reserved up front from a `Content-Length`, so that a lying header cannot
/// make us allocate the whole limit before any byte arrives.
const MAX_PREALLOCATION: u64 = 1024 * 1024;

/// Blocking HTTP(S) fetcher on `ureq`: timeouts, a body size limit, a few redirects, no cookies.
///
/// Defaults: connect timeout 10 s (name resolution included), whole-request timeout 30 s
/// (connecting, redirects and reading the body, all together), at most 64 MiB of body, at most 3
/// redirects, `User-Agent: hermes-pki/<version>`. A body over the limit is refused while it is
/// read, and at once when the server announces a larger `Content-Length`. Only a 2xx answer
/// counts as a CRL; any other status is [`FetchError::Status`].
///
/// The usual proxy environment variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`,
/// in upper or lower case) are honoured; for any other routing implement [`CrlFetcher`].
/// `https://` needs the crate's `https` feature (see [`HttpFetcher::supports_https`]).
///
/// ```no_run
/// use std::time::Duration;
/// use hermes_pki::crl::{CrlFetcher, FetchError, HttpFetcher};
///
/// let fetcher = HttpFetcher::new()
///     .timeout(Duration::from_secs(20))
///     .connect_timeout(Duration::from_secs(5))
///     .max_bytes(16 * 1024 * 1024);
/// match fetcher.fetch("http://crl.example.com/ca.crl") {
///     Ok(bytes) => println!("downloaded {} bytes", bytes.len()),
///     Err(FetchError::Status { status: 404, .. }) => println!("no CRL published there"),
///     Err(e) => eprintln!("{e}"),
/// }
/// ```
#[derive(Clone)]
pub struct HttpFetcher {
    connect_timeout: Duration,
    timeout: Duration,
    max_bytes: u64,
    agent: ureq::Agent,
}

/// The settings only: the agent's pool and proxy (which may hold credentials from the
/// environment) are left out.
impl fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpFetcher")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .field("max_redirects", &MAX_REDIRECTS)
            .field("https", &Self::supports_https())
            .finish_non_exhaustive()
    }
}

impl HttpFetcher {
    /// A fetcher with the defaults: connect timeout 10 s, whole-request timeout 30 s, at most
    /// 64 MiB of body, at most 3 redirects, user agent `hermes-pki/<version>`.
    pub fn new() -> Self {
        Self::with_settings(DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES)
    }

    /// Sets the overall timeout: from the start of connecting to the last byte of the body,
    /// redirects included.
    pub fn timeout(self, d: Duration) -> Self {
        Self::with_settings(self.connect_timeout, d, self.max_bytes)
    }

    /// Sets the timeout for resolving the host name and then for connecting (and the TLS
    /// handshake, for `https`). The overall [`timeout`](Self::timeout) still applies.
    pub fn connect_timeout(self, d: Duration) -> Self {
        Self::with_settings(d, self.timeout, self.max_bytes)
    }

    /// Sets the largest body accepted, in bytes. A body of exactly `n` bytes is accepted; a
    /// longer one is [`FetchError::TooLarge`].
    pub fn max_bytes(self, n: u64) -> Self {
        Self::with_settings(self.connect_timeout, self.timeout, n)
    }

    /// Whether this build can fetch `https://` URLs (the crate's `https` feature).
    pub fn supports_https() -> bool {
        cfg!(feature = "https")
    }

    /// A fetcher with these settings and a fresh agent (connection pool) built from them.
    fn with_settings(connect_timeout: Duration, timeout: Duration, max_bytes: u64) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .max_redirects_will_error(true)
            .save_redirect_history(false)
            .user_agent(USER_AGENT)
            .accept(ACCEPT)
            .timeout_global(Some(timeout))
            .timeout_resolve(Some(connect_timeout))
            .timeout_connect(Some(connect_timeout))
            .build();
        Self {
            connect_timeout,
            timeout,
            max_bytes,
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// Reads the body of a 2xx response, refusing it once it passes the limit.
    fn read_body(&self, body: ureq::Body, shown: &str) -> Result<Vec<u8>, FetchError> {
        let too_large = || FetchError::TooLarge {
            url: shown.to_owned(),
            limit: self.max_bytes,
        };
        let announced = body.content_length();
        if announced.is_some_and(|n| n > self.max_bytes) {
            return Err(too_large());
        }
        let reserve = announced
            .unwrap_or(0)
            .min(self.max_bytes)
            .min(MAX_PREALLOCATION);
        let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
        // One byte past the limit tells a body of exactly the limit from a longer one.
        body.into_reader()
            .take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| self.map_error(ureq::Error::from(e), shown))?;
        if u64::try_from(bytes.len()).map_or(true, |n| n > self.max_bytes) {
            return Err(too_large());
        }
        Ok(bytes)
    }

    /// Turns a `ureq` error into a [`FetchError`] for `shown`.
    fn map_error(&self, error: ureq::Error, shown: &str) -> FetchError {
        let url = shown.to_owned();
        let network = |detail: String| FetchError::Network {
            url: shown.to_owned(),
            detail: one_line(&detail),
        };
        match error {
            ureq::Error::Timeout(_) => FetchError::Timeout { url },
            ureq::Error::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                FetchError::Timeout { url }
            }
            ureq::Error::StatusCode(status) => FetchError::Status { url, status },
            ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge {
                url,
                limit: self.max_bytes,
            },
            // The URL itself was checked before the request: this is a redirect's target.
            ureq::Error::BadUri(detail) => FetchError::UnsupportedUrl {
                url,
                detail: one_line(&format!(
                    "redirected to a URL that cannot be fetched ({detail})"
                )),
            },
            // A redirect to https in a build without TLS.
            ureq::Error::TlsRequired if !Self::supports_https() => FetchError::UnsupportedUrl {
                url,
                detail: format!("redirected to https, but {HTTPS_DISABLED}"),
            },
            ureq::Error::HostNotFound => network("the host name does not resolve".to_owned()),
            ureq::Error::TooManyRedirects => {
                network(format!("more than {MAX_REDIRECTS} redirects"))
            }
            ureq::Error::Protocol(e) => network(format!("invalid HTTP response ({e})")),
            ureq::Error::LargeResponseHeader(..) => {
                network("the response headers are too large".to_owned())
            }
            ureq::Error::Io(e) => network(e.to_string()),
            other => network(other.to_string()),
        }
    }
}

impl Default for HttpFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl CrlFetcher for HttpFetcher {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        let shown = shown_url(url);
        check_url(url).map_err(|detail| FetchError::UnsupportedUrl {
            url: shown.clone(),
            detail,
        })?;
        let response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| self.map_error(e, &shown))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: shown,
                status: status.as_u16(),
            });
        }
        self.read_body(response.into_body(), &shown)
    }
}

/// The detail of [`FetchError::UnsupportedUrl`] for `https` in a build without TLS.
const HTTPS_DISABLED: &str = "https URLs need hermes-pki's `https` cargo feature, which is not \
                              enabled in this build (or use a CrlFetcher of your own)";

/// Checks that `url` is an absolute `http` (or, with the `https` feature, `https`) URL with a
/// host; otherwise says why not.
fn check_url(url: &str) -> Result<(), String> {
    // The scheme is read by hand first: LDAP URLs (`ldap:///CN=Some CA,O=Example?...`) are not
    // valid HTTP URIs, and should be called LDAP, not garbage.
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .filter(|s| {
            s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .ok_or_else(|| "not a URL: it does not start with a scheme such as http://".to_owned())?
        .to_ascii_lowercase();
    match scheme.as_str() {
        "http" => {}
        "https" if HttpFetcher::supports_https() => {}
        "https" => return Err(HTTPS_DISABLED.to_owned()),
        "ldap" | "ldaps" => {
            return Err(
                "LDAP distribution points are not fetched over HTTP; use a CrlFetcher \
                        that speaks LDAP, or a distribution point with an http URL"
                    .to_owned(),
            );
        }
        other => {
            return Err(format!(
                "the scheme {} is not supported: only http and https URLs can be fetched",
                one_line(&shorten(other, 20))
            ));
        }
    }
    if !url[scheme.len()..].starts_with("://") {
        return Err(format!("not a URL: {scheme}: must be followed by //host"));
    }
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| one_line(&format!("not a valid URL ({e})")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err("the URL has no host".to_owned());
    }
    Ok(())
}

/// `url` made safe to show: a password in it replaced by `***`, control characters escaped, at
/// most [`MAX_SHOWN_URL`] characters.
fn shown_url(url: &str) -> String {
    let mut shown = url.to_owned();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let authority_end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| start + i);
        let authority = &url[start..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            shown = format!("{}{user}:***{}", &url[..start], &url[start + at..]);
        }
    }
    one_line(&shorten(&shown, MAX_SHOWN_URL))
}

/// `text` cut to at most `max` characters, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `text` on one line: control characters (line breaks included) escaped.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_urls_are_one_line() {
        assert_eq!(
            shown_url("http://alice:s3cret@crl.example.com/a.crl"),
            "http://alice:***@crl.example.com/a.crl"
        );
        assert_eq!(
            shown_url("http://token@crl.example.com/"),
            "http://token:***@crl.example.com/"
        );
        assert_eq!(
            shown_url("http://crl.example.com/a@b.crl"),
            "http://crl.example.com/a@b.crl"
        );
        assert_eq!(shown_url("http://x/\r\nEvil: 1"), "http://x/\\r\\nEvil: 1");
        let long = format!("http://x/{}", "é".repeat(500));
        let shown = shown_url(&long);
        assert_eq!(shown.chars().count(), MAX_SHOWN_URL + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn only_http_urls_with_a_host_pass() {
        assert_eq!(check_url("http://crl.example.com/ca.crl"), Ok(()));
        assert_eq!(check_url("HTTP://crl.example.com:8080/ca.crl?x=1"), Ok(()));
        assert_eq!(
            check_url("https://crl.example.com/ca.crl").is_ok(),
            HttpFetcher::supports_https()
        );
        for bad in [
            "",
            "garbage",
            "://x",
            "1http://x/",
            "http:/x",
            "http:x",
            "http://",
            "http:///ca.crl",
            "http://exa mple.com/",
            "ftp://ftp.example.com/ca.crl",
            "ldap:///CN=Example CA,O=Example?certificateRevocationList;binary",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(check_url("ldap://x/").unwrap_err().contains("LDAP"));
    }

    #[test]
    fn messages_are_one_line_and_name_the_url() {
        let url = "http://crl.example.com/ca.crl".to_owned();
        let errors = [
            FetchError::UnsupportedUrl {
                url: url.clone(),
                detail: "no".into(),
            },
            FetchError::Status {
                url: url.clone(),
                status: 404,
            },
            FetchError::Timeout { url: url.clone() },
            FetchError::TooLarge {
                url: url.clone(),
                limit: 10,
            },
            FetchError::Network {
                url: url.clone(),
                detail: "refused".into(),
            },
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(text.contains(&url), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert_eq!(e.url(), url);
        }
        assert_eq!(
            format!("{:?}", HttpFetcher::new().max_bytes(1000)),
            format!(
                "HttpFetcher {{ connect_timeout: 10s, timeout: 30s, max_bytes: 1000, \
                 max_redirects: 3, https: {}, .. }}",
                HttpFetcher::supports_https()
            )
        );
        assert_eq!(
            errors[1].to_string(),
            "CRL download from http://crl.example.com/ca.crl failed: the server answered HTTP 404 Not Found"
        );
    }
}
