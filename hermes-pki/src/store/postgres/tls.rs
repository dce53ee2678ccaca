//! TLS to the PostgreSQL server (feature `postgres-tls`): tokio-rustls under rust-postgres, with
//! libpq's `sslmode` / `sslrootcert` meanings.
//!
//! - `verify-full`: the chain must lead to a root of `sslrootcert` (default: the Mozilla roots of
//!   webpki-roots) and the certificate must be valid for the host name of the URL.
//! - `verify-ca` (and `prefer` / `require` when `sslrootcert` is given, as libpq): the chain
//!   must lead to a root of `sslrootcert`; the host name is not checked.
//! - `prefer` / `require` without `sslrootcert`: encrypted, the certificate not verified (as
//!   libpq: no protection against an active man in the middle). The handshake signature is
//!   still checked against the certificate's key, so the session is bound to the certificate
//!   the server sent, and SCRAM channel binding (`tls-server-end-point`, sent whenever the
//!   server offers it) makes a man in the middle fail password authentication.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, InvalidDnsNameError, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{Error, Result};

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verify {
    /// Not at all (the handshake signature still is).
    Nothing,
    /// The chain up to a root; not the host name.
    Chain,
    /// The chain and the host name.
    Full,
}

/// The TLS side of rust-postgres' `MakeTlsConnect`, one client configuration for every
/// connection of a store.
#[derive(Clone)]
pub(super) struct MakeRustls {
    config: Arc<ClientConfig>,
}

impl MakeRustls {
    /// The client configuration for `verify`, trusting the PEM certificates of `root_file`, or
    /// the Mozilla roots when there is none.
    pub(super) fn new(verify: Verify, root_file: Option<&Path>) -> Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = match root_file {
            Some(path) => Some(read_roots(path)?),
            None if verify == Verify::Nothing => None,
            None => Some(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
        };
        let verifier: Arc<dyn ServerCertVerifier> = match roots {
            None => Arc::new(AnyCertificate {
                provider: provider.clone(),
            }),
            Some(roots) => {
                let webpki =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| {
                            Error::InvalidArgument(format!(
                                "sslrootcert: no usable CA certificate ({e})"
                            ))
                        })?;
                if verify == Verify::Full {
                    webpki
                } else {
                    Arc::new(ChainOnly { webpki })
                }
            }
        };
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Storage(format!("TLS client configuration: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(MakeRustls {
            config: Arc::new(config),
        })
    }
}

/// The CA certificates of a PEM file (`sslrootcert`).
fn read_roots(path: &Path) -> Result<RootCertStore> {
    let pem = std::fs::read(path).map_err(|source| Error::Io {
        action: "cannot read the sslrootcert file",
        path: path.display().to_string(),
        source,
    })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| {
            Error::InvalidArgument(format!(
                "the sslrootcert file {} is not a PEM certificate bundle: {e}",
                path.display()
            ))
        })?;
        roots.add(cert).map_err(|e| {
            Error::InvalidArgument(format!(
                "the sslrootcert file {} holds a certificate that cannot be a trust anchor: {e}",
                path.display()
            ))
        })?;
    }
    if roots.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "the sslrootcert file {} holds no certificate (PEM, -----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(roots)
}

/// `sslmode=prefer|require` without roots: any certificate, but the handshake signature must
/// be made by the certificate's key.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `sslmode=verify-ca`: webpki's verification, a name mismatch excepted (webpki checks the
/// chain before the name, so the chain was verified when the name is what fails).
#[derive(Debug)]
struct ChainOnly {
    webpki: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> io::Result<RustlsConnect> {
        // rust-postgres asks before it knows whether the server offers TLS, with "" for a Unix
        // socket (where the server never does): a name that cannot be one fails only the
        // handshake, if there is one.
        Ok(RustlsConnect {
            config: self.config.clone(),
            name: ServerName::try_from(domain)
                .map(|n| n.to_owned())
                .map_err(|_: InvalidDnsNameError| domain.to_string()),
        })
    }
}

/// One connection's handshake.
pub(super) struct RustlsConnect {
    config: Arc<ClientConfig>,
    /// The server's name, or the host that is not a DNS name or IP address.
    name: std::result::Result<ServerName<'static>, String>,
}

/// The handshake in progress.
type Handshake<S> = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Handshake<S>;

    fn connect(self, stream: S) -> Handshake<S> {
        let name = match self.name {
            Ok(name) => name,
            Err(host) => {
                return Box::pin(std::future::ready(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("TLS needs a DNS name or an IP address as the host, not {host:?}"),
                ))));
            }
        };
        let handshake = tokio_rustls::TlsConnector::from(self.config).connect(name, stream);
        Box::pin(async move { handshake.await.map(RustlsStream) })
    }
}

/// A TLS session with the server.
pub(super) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        self.0
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|certs| certs.first())
            .and_then(|cert| server_end_point(cert))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

/// RFC 5929 `tls-server-end-point`: the certificate hashed with its signature's hash, SHA-256
/// for MD5 and SHA-1; `None` (no channel binding) for a signature without a single hash
/// (Ed25519, RSASSA-PSS) or a certificate that does not parse.
fn server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    use const_oid::db::rfc5912::{
        DSA_WITH_SHA_1, DSA_WITH_SHA_224, DSA_WITH_SHA_256, ECDSA_WITH_SHA_224, ECDSA_WITH_SHA_256,
        ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, SHA_1_WITH_RSA_ENCRYPTION,
        SHA_224_WITH_RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
        SHA_512_WITH_RSA_ENCRYPTION,
    };
    use der::Decode;
    let parsed = x509_cert::Certificate::from_der(cert).ok()?;
    let alg = parsed.signature_algorithm().oid;
    let sha256 = [
        DSA_WITH_SHA_1,
        SHA_1_WITH_RSA_ENCRYPTION,
        DSA_WITH_SHA_256,
        ECDSA_WITH_SHA_256,
        SHA_256_WITH_RSA_ENCRYPTION,
    ];
    if sha256.contains(&alg) {
        Some(sha2::Sha256::digest(cert).to_vec())
    } else if [
        ECDSA_WITH_SHA_224,
        SHA_224_WITH_RSA_ENCRYPTION,
        DSA_WITH_SHA_224,
    ]
    .contains(&alg)
    {
        Some(sha2::Sha224::digest(cert).to_vec())
    } else if [ECDSA_WITH_SHA_384, SHA_384_WITH_RSA_ENCRYPTION].contains(&alg) {
        Some(sha2::Sha384::digest(cert).to_vec())
    } else if [ECDSA_WITH_SHA_512, SHA_512_WITH_RSA_ENCRYPTION].contains(&alg) {
        Some(sha2::Sha512::digest(cert).to_vec())
    } else {
        None
    }
}

/// The TLS failure inside a connection error, if it is one.
pub(super) fn rustls_error(e: &postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = s
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        source = s.source();
    }
    None
}

/// A message for a failed handshake, saying what to do.
pub(super) fn handshake_error(e: &rustls::Error, target: &str) -> Error {
    let msg = match e {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the TLS certificate of the PostgreSQL server of {target} is not valid for the host \
             name in the URL; connect with a name the certificate holds (its subjectAltName), or \
             use sslmode=verify-ca to check only that a trusted CA issued it"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => format!(
            "the TLS certificate of the PostgreSQL server of {target} is not trusted: no CA of \
             sslrootcert (or of the Mozilla roots when sslrootcert is not given) issued it; give \
             the CA certificate that issued the server's certificate with sslrootcert=FILE (PEM)"
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => format!(
            "the TLS certificate of the PostgreSQL server of {target} has expired; renew the \
             server's certificate"
        ),
        rustls::Error::InvalidCertificate(other) => format!(
            "the TLS certificate of the PostgreSQL server of {target} is refused: {other:?}"
        ),
        other => format!("TLS with the PostgreSQL server of {target} failed: {other}"),
    };
    Error::Storage(msg)
}

#[cfg(test)]
mod tests;
