//! Downloading CRLs from their distribution points: the [`CrlFetcher`] trait, its error
//! [`FetchError`], and the HTTP(S) implementation [`HttpFetcher`].
//!
//! Plain `http://` works in every build. `https://` needs the crate's `https` cargo feature
//! (rustls with the *ring* provider and the Mozilla root certificates); without it an `https`
//! URL is refused with [`FetchError::UnsupportedUrl`]. CRLs are signed, so most distribution
//! points are plain HTTP anyway.
//!
//! [`HttpFetcher`] connects only to public addresses unless told otherwise
//! ([`HttpFetcher::allow_private_addresses`]): it resolves the host itself, refuses loopback,
//! private, link-local and other non-global addresses ([`FetchError::ForbiddenAddress`]), then
//! connects to the addresses it checked, and follows redirects itself, checking each target
//! the same way.

mod address;

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

pub(crate) use address::is_public;

/// Downloads a CRL from a distribution point URL. Implement it to fetch through a proxy, a cache,
/// LDAP, or a test double.
///
/// [`Crls::refresh`](super::Crls::refresh) calls it from several threads at once, hence the
/// `Send + Sync` bound.
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
pub trait CrlFetcher: Send + Sync {
    /// The body at `url` (DER or PEM CRL bytes), or why not.
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError>;

    /// As [`fetch`](Self::fetch), giving up by `deadline` ([`FetchError::Timeout`]) when it can.
    /// [`Crls::refresh`](super::Crls::refresh) calls this with its overall deadline. The
    /// default ignores the deadline and calls `fetch`; [`HttpFetcher`] honours it.
    fn fetch_until(
        &self,
        url: &str,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, FetchError> {
        let _ = deadline;
        self.fetch(url)
    }
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for &T {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }

    fn fetch_until(
        &self,
        url: &str,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch_until(url, deadline)
    }
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for Box<T> {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }

    fn fetch_until(
        &self,
        url: &str,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch_until(url, deadline)
    }
}

impl<T: CrlFetcher + ?Sized> CrlFetcher for Arc<T> {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch(url)
    }

    fn fetch_until(
        &self,
        url: &str,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, FetchError> {
        (**self).fetch_until(url, deadline)
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
    /// The host of the URL, or of a redirect's target, resolves to an address that is not a
    /// public one (loopback, private, link-local, shared, documentation, multicast, ...), and
    /// private addresses are not allowed ([`HttpFetcher::allow_private_addresses`], the gateway
    /// setting `crl-fetch-allow-private`). Nothing was sent to it.
    ForbiddenAddress {
        /// The URL, made safe to show.
        url: String,
        /// The host that resolved to `address` (the URL's, or a redirect target's).
        host: String,
        /// The address refused.
        address: IpAddr,
    },
    /// Not fetched: [`Crls::refresh`](super::Crls::refresh)'s deadline passed before this
    /// URL's turn ([`RefreshOptions::deadline`](super::RefreshOptions::deadline)).
    Skipped {
        /// The URL, made safe to show.
        url: String,
        /// Why, in one line.
        reason: String,
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
            | Self::Network { url, .. }
            | Self::ForbiddenAddress { url, .. }
            | Self::Skipped { url, .. } => url,
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
            Self::ForbiddenAddress { url, host, address } => write!(
                f,
                "CRL download from {url} refused: {host} resolves to {address}, which is not a \
                 public address (loopback, private, link-local or reserved); allow it with the \
                 setting crl-fetch-allow-private (HttpFetcher::allow_private_addresses)"
            ),
            Self::Skipped { url, reason } => {
                write!(f, "CRL download from {url} skipped: {reason}")
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

/// Blocking HTTP(S) fetcher on `ureq`: timeouts, a body size limit, a few redirects, no cookies,
/// public addresses only.
///
/// Defaults: connect timeout 10 s (name resolution included), whole-request timeout 30 s
/// (connecting, redirects and reading the body, all together), at most 64 MiB of body, at most 3
/// redirects, `User-Agent: hermes-pki/<version>`, private addresses refused. A body over the
/// limit is refused while it is read, and at once when the server announces a larger
/// `Content-Length`. Only a 2xx answer counts as a CRL; any other status is
/// [`FetchError::Status`].
///
/// Addresses: the fetcher resolves each host itself and refuses it when any of its addresses is
/// not public (loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
/// unspecified, broadcast, documentation, shared (100.64/10), benchmarking, multicast, reserved,
/// or one of those in an IPv4-mapped, NAT64 or 6to4 IPv6 form): [`FetchError::ForbiddenAddress`],
/// and nothing is sent. Otherwise it connects to the addresses it checked (no second lookup that
/// a DNS server could answer differently). Redirects are followed by the fetcher, each target
/// checked the same way, `http` and `https` only. [`allow_private_addresses`](Self::allow_private_addresses)
/// turns the address check off (for a CRL server on the internal network, or a test server).
///
/// The usual proxy environment variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`,
/// in upper or lower case) are honoured; the proxy's own address is not checked (it is the
/// administrator's choice). Through a proxy, the proxy resolves and connects: the fetcher
/// resolves the host first and refuses a private one, but cannot stop the proxy from resolving
/// it differently, so the proxy should refuse internal addresses too. For any other routing
/// implement [`CrlFetcher`]. `https://` needs the crate's `https` feature (see
/// [`HttpFetcher::supports_https`]).
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
/// // A distribution point in a certificate cannot reach into the local network.
/// assert!(matches!(
///     fetcher.fetch("http://127.0.0.1:8080/admin"),
///     Err(FetchError::ForbiddenAddress { .. })
/// ));
/// ```
#[derive(Clone)]
pub struct HttpFetcher {
    connect_timeout: Duration,
    timeout: Duration,
    max_bytes: u64,
    allow_private: bool,
    /// Socket addresses let through although not public (the unit tests' servers).
    exempt: Vec<SocketAddr>,
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
    /// 64 MiB of body, at most 3 redirects, user agent `hermes-pki/<version>`, public addresses
    /// only.
    pub fn new() -> Self {
        Self::with_settings(
            DEFAULT_CONNECT_TIMEOUT,
            DEFAULT_TIMEOUT,
            DEFAULT_MAX_BYTES,
            false,
            Vec::new(),
        )
    }

    /// Sets the overall timeout: from the start of connecting to the last byte of the body,
    /// redirects included.
    pub fn timeout(self, d: Duration) -> Self {
        Self::with_settings(
            self.connect_timeout,
            d,
            self.max_bytes,
            self.allow_private,
            self.exempt,
        )
    }

    /// Sets the timeout for resolving the host name and then for connecting (and the TLS
    /// handshake, for `https`). The overall [`timeout`](Self::timeout) still applies.
    pub fn connect_timeout(self, d: Duration) -> Self {
        Self::with_settings(
            d,
            self.timeout,
            self.max_bytes,
            self.allow_private,
            self.exempt,
        )
    }

    /// Sets the largest body accepted, in bytes. A body of exactly `n` bytes is accepted; a
    /// longer one is [`FetchError::TooLarge`].
    pub fn max_bytes(self, n: u64) -> Self {
        Self::with_settings(
            self.connect_timeout,
            self.timeout,
            n,
            self.allow_private,
            self.exempt,
        )
    }

    /// Whether hosts that resolve to loopback, private, link-local or other non-public
    /// addresses may be fetched from (default: no, [`FetchError::ForbiddenAddress`]). The
    /// gateway setting `crl-fetch-allow-private` says it for a store (see
    /// [`Pki::crl_fetcher`](crate::pki::Pki::crl_fetcher)).
    pub fn allow_private_addresses(self, allow: bool) -> Self {
        Self::with_settings(
            self.connect_timeout,
            self.timeout,
            self.max_bytes,
            allow,
            self.exempt,
        )
    }

    /// This fetcher, also letting `address` through (the unit tests' local servers).
    #[cfg(test)]
    fn exempt(mut self, address: SocketAddr) -> Self {
        self.exempt.push(address);
        Self::with_settings(
            self.connect_timeout,
            self.timeout,
            self.max_bytes,
            self.allow_private,
            self.exempt,
        )
    }

    /// Whether this fetcher may connect to non-public addresses.
    pub fn allows_private_addresses(&self) -> bool {
        self.allow_private
    }

    /// Whether this build can fetch `https://` URLs (the crate's `https` feature).
    pub fn supports_https() -> bool {
        cfg!(feature = "https")
    }

    /// A fetcher with these settings and a fresh agent (connection pool) built from them.
    fn with_settings(
        connect_timeout: Duration,
        timeout: Duration,
        max_bytes: u64,
        allow_private: bool,
        exempt: Vec<SocketAddr>,
    ) -> Self {
        // Redirects are followed in `fetch`, so that each target's address is checked.
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .save_redirect_history(false)
            .user_agent(USER_AGENT)
            .accept(ACCEPT)
            .timeout_global(Some(timeout))
            .timeout_resolve(Some(connect_timeout))
            .timeout_connect(Some(connect_timeout))
            .build();
        let resolver = CheckingResolver {
            allow_private,
            proxy: config.proxy().map(|p| (p.host().to_owned(), p.port())),
            exempt: exempt.clone(),
        };
        Self {
            connect_timeout,
            timeout,
            max_bytes,
            allow_private,
            exempt,
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), resolver),
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
            ureq::Error::Other(e) if e.is::<Forbidden>() => match e.downcast::<Forbidden>() {
                Ok(forbidden) => FetchError::ForbiddenAddress {
                    url,
                    host: forbidden.host,
                    address: forbidden.address,
                },
                Err(e) => network(e.to_string()),
            },
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
            // The URL itself was checked before the request.
            ureq::Error::BadUri(detail) => FetchError::UnsupportedUrl {
                url,
                detail: one_line(&format!("not a valid URL ({detail})")),
            },
            ureq::Error::HostNotFound => network("the host name does not resolve".to_owned()),
            ureq::Error::Protocol(e) => network(format!("invalid HTTP response ({e})")),
            ureq::Error::LargeResponseHeader(..) => {
                network("the response headers are too large".to_owned())
            }
            ureq::Error::Io(e) => network(e.to_string()),
            other => network(other.to_string()),
        }
    }

    /// Behind a proxy (which resolves the host itself), resolves `uri`'s host here first and
    /// refuses a non-public address; without a proxy for `uri`, or with private addresses
    /// allowed, nothing to do (the resolver checks).
    fn check_proxied(&self, uri: &ureq::http::Uri, shown: &str) -> Result<(), FetchError> {
        let Some(proxy) = self.agent.config().proxy() else {
            return Ok(());
        };
        if self.allow_private || proxy.is_no_proxy(uri) || proxy.resolve_target() {
            return Ok(());
        }
        let host = uri.host().unwrap_or_default().to_owned();
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => 443,
            _ => 80,
        });
        let addresses = lookup(&host, port, self.connect_timeout).map_err(|e| match e {
            None => FetchError::Timeout {
                url: shown.to_owned(),
            },
            Some(detail) => FetchError::Network {
                url: shown.to_owned(),
                detail: one_line(&format!("the host name does not resolve ({detail})")),
            },
        })?;
        match addresses.iter().find(|a| !is_public(a.ip())) {
            Some(bad) => Err(FetchError::ForbiddenAddress {
                url: shown.to_owned(),
                host: shown_host(&host),
                address: bad.ip(),
            }),
            None => Ok(()),
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
        self.get(url, None)
    }

    fn fetch_until(
        &self,
        url: &str,
        deadline: Instant,
    ) -> std::result::Result<Vec<u8>, FetchError> {
        self.get(url, Some(deadline))
    }
}

impl HttpFetcher {
    /// Fetches `url`, following redirects by hand, within the timeout and by `deadline`.
    fn get(&self, url: &str, deadline: Option<Instant>) -> Result<Vec<u8>, FetchError> {
        let shown = shown_url(url);
        check_url(url).map_err(|detail| FetchError::UnsupportedUrl {
            url: shown.clone(),
            detail,
        })?;
        let start = Instant::now();
        let mut current = url.to_owned();
        let mut redirects = 0;
        loop {
            // One budget for every hop and the body, as the timeout promises.
            let mut remaining = self.timeout.saturating_sub(start.elapsed());
            if let Some(deadline) = deadline {
                remaining = remaining.min(deadline.saturating_duration_since(Instant::now()));
            }
            if remaining.is_zero() {
                return Err(FetchError::Timeout { url: shown });
            }
            let uri: ureq::http::Uri =
                current.parse().map_err(|e: ureq::http::uri::InvalidUri| {
                    FetchError::UnsupportedUrl {
                        url: shown.clone(),
                        detail: one_line(&format!("not a valid URL ({e})")),
                    }
                })?;
            self.check_proxied(&uri, &shown)?;
            let response = self
                .agent
                .get(uri.clone())
                .config()
                .timeout_global(Some(remaining))
                .build()
                .call()
                .map_err(|e| self.map_error(e, &shown))?;
            let status = response.status();
            let location = response
                .headers()
                .get(ureq::http::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            if let Some(location) = location.filter(|_| is_redirect(status.as_u16())) {
                if redirects == MAX_REDIRECTS {
                    return Err(FetchError::Network {
                        url: shown,
                        detail: format!("more than {MAX_REDIRECTS} redirects"),
                    });
                }
                redirects += 1;
                drop(response);
                current = redirect_target(&uri, &location).map_err(|detail| {
                    FetchError::UnsupportedUrl {
                        url: shown.clone(),
                        detail,
                    }
                })?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: shown,
                    status: status.as_u16(),
                });
            }
            return self.read_body(response.into_body(), &shown);
        }
    }
}

/// The error a [`CheckingResolver`] returns through `ureq` for a refused address.
#[derive(Debug)]
struct Forbidden {
    host: String,
    address: IpAddr,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} resolves to {}, not a public address",
            self.host, self.address
        )
    }
}

impl std::error::Error for Forbidden {}

/// `ureq`'s resolver (std `ToSocketAddrs`, with the connect timeout), which then refuses the
/// host when any of its addresses is not public. `ureq` connects only to the addresses a
/// resolver returns, so the addresses checked are the addresses used.
#[derive(Debug)]
struct CheckingResolver {
    allow_private: bool,
    /// The configured proxy's host and port: resolved without the check.
    proxy: Option<(String, u16)>,
    /// Socket addresses let through although not public (the unit tests' servers).
    exempt: Vec<SocketAddr>,
}

impl Resolver for CheckingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addresses = DefaultResolver::default().resolve(uri, config, timeout)?;
        let is_proxy = self.proxy.as_ref().is_some_and(|(host, port)| {
            uri.host().is_some_and(|h| h.eq_ignore_ascii_case(host))
                && uri.port_u16().is_none_or(|p| p == *port)
        });
        if self.allow_private || is_proxy {
            return Ok(addresses);
        }
        match addresses
            .iter()
            .find(|a| !is_public(a.ip()) && !self.exempt.contains(a))
        {
            Some(bad) => Err(ureq::Error::Other(Box::new(Forbidden {
                host: shown_host(uri.host().unwrap_or_default()),
                address: bad.ip(),
            }))),
            None => Ok(addresses),
        }
    }
}

/// Resolves `host:port` with std's resolver, giving up after `timeout` (the lookup goes on in
/// its thread). `Err(None)`: timed out; `Err(Some(why))`: failed.
fn lookup(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, Option<String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let target = (
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        port,
    );
    std::thread::spawn(move || {
        let result = target
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
            .map_err(|e| e.to_string());
        let _ = tx.send(result);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(Ok(_)) => Err(Some("no address".to_owned())),
        Ok(Err(e)) => Err(Some(e)),
        Err(_) => Err(None),
    }
}

/// Whether an HTTP status is a redirect with a `Location` to follow.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The URL a redirect from `base` to `location` (absolute, or relative as RFC 3986 section 5.2
/// allows for the usual forms) leads to, checked as [`check_url`] does; otherwise why not.
fn redirect_target(base: &ureq::http::Uri, location: &str) -> Result<String, String> {
    let location = location.trim();
    let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let target = if has_scheme {
        location.to_owned()
    } else if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = base.path();
        let directory = path.rfind('/').map_or("/", |i| &path[..=i]);
        if location.starts_with('?') {
            format!("{scheme}://{authority}{path}{location}")
        } else {
            format!("{scheme}://{authority}{directory}{location}")
        }
    };
    match check_url(&target) {
        Ok(()) => Ok(target),
        Err(detail) if detail == HTTPS_DISABLED => {
            Err(format!("redirected to https, but {HTTPS_DISABLED}"))
        }
        Err(detail) => Err(one_line(&format!(
            "redirected to a URL that cannot be fetched ({}: {detail})",
            shown_url(&target)
        ))),
    }
}

/// A host name made safe to show: one line, at most 100 characters.
fn shown_host(host: &str) -> String {
    one_line(&shorten(host, 100))
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
pub(super) fn shown_url(url: &str) -> String {
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
mod tests;
