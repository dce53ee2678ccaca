//! `HttpFetcher` against a local HTTP server: bodies, statuses, timeouts, size limits, refused
//! connections, unsupported URLs and redirects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use hermes_pki::crl::{CrlFetcher, FetchError, HttpFetcher};
use hermes_pki_tests::http_server::{ContentLength, HttpServer, Response};

/// A fetcher with the defaults that may reach the local test server (private addresses are
/// refused by default: see the `crl_fetch_guard` tests).
fn fetcher() -> HttpFetcher {
    HttpFetcher::new().allow_private_addresses(true)
}

/// 3 KiB of every byte value in turn: a body that text handling would mangle.
fn binary_body() -> Vec<u8> {
    (0..=255u8).cycle().take(3 * 1024).collect()
}

#[test]
fn a_200_body_comes_back_byte_for_byte() {
    let server = HttpServer::start();
    let body = binary_body();
    server.route("/ca.crl", Response::ok(body.clone()));

    let got = fetcher().fetch(&server.url("/ca.crl")).unwrap();

    assert_eq!(got, body);
    assert_eq!(server.hits("/ca.crl"), 1);
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("hermes-pki/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.header("cookie"), None);
}

#[test]
fn a_streamed_body_without_content_length_comes_back_whole() {
    let server = HttpServer::start();
    let body = binary_body();
    server.route(
        "/ca.crl",
        Response::ok(body.clone())
            .content_length(ContentLength::Omit)
            .chunk_size(700),
    );

    assert_eq!(fetcher().fetch(&server.url("/ca.crl")), Ok(body));
}

#[test]
fn a_404_is_a_status_error() {
    let server = HttpServer::start();
    let url = server.url("/missing.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    assert_eq!(
        err,
        FetchError::Status {
            url: url.clone(),
            status: 404
        }
    );
    assert_eq!(
        err.to_string(),
        format!("CRL download from {url} failed: the server answered HTTP 404 Not Found")
    );
}

#[test]
fn a_500_is_a_status_error() {
    let server = HttpServer::start();
    server.route("/ca.crl", Response::status(500).body("oops"));
    let url = server.url("/ca.crl");

    assert_eq!(
        fetcher().fetch(&url),
        Err(FetchError::Status { url, status: 500 })
    );
}

#[test]
fn a_slow_body_times_out() {
    let server = HttpServer::start();
    server.route(
        "/slow.crl",
        Response::ok(binary_body()).delay_before_body(Duration::from_secs(5)),
    );
    let url = server.url("/slow.crl");
    let fetcher = fetcher().timeout(Duration::from_millis(500));

    let start = Instant::now();
    let result = fetcher.fetch(&url);

    assert_eq!(result, Err(FetchError::Timeout { url }));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn slow_headers_time_out() {
    let server = HttpServer::start();
    server.route(
        "/slow.crl",
        Response::ok(binary_body()).delay_before_headers(Duration::from_secs(5)),
    );
    let url = server.url("/slow.crl");
    let fetcher = fetcher().timeout(Duration::from_millis(500));

    let start = Instant::now();
    let result = fetcher.fetch(&url);

    assert_eq!(result, Err(FetchError::Timeout { url }));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_body_over_the_limit_with_content_length_is_too_large() {
    let server = HttpServer::start();
    server.route("/big.crl", Response::ok(vec![0x5a; 5000]));
    let url = server.url("/big.crl");

    let err = fetcher().max_bytes(1000).fetch(&url).unwrap_err();

    assert_eq!(
        err,
        FetchError::TooLarge {
            url: url.clone(),
            limit: 1000
        }
    );
    assert_eq!(
        err.to_string(),
        format!("CRL download from {url} stopped: the CRL is larger than the limit of 1000 bytes")
    );
}

#[test]
fn a_streamed_body_over_the_limit_is_too_large() {
    let server = HttpServer::start();
    server.route(
        "/big.crl",
        Response::ok(vec![0x5a; 5000])
            .content_length(ContentLength::Omit)
            .chunk_size(250),
    );
    let url = server.url("/big.crl");

    assert_eq!(
        fetcher().max_bytes(1000).fetch(&url),
        Err(FetchError::TooLarge { url, limit: 1000 })
    );
}

#[test]
fn an_announced_length_over_the_limit_is_refused_before_the_body() {
    // The server promises 100 MB and then stalls: the fetcher must not wait for it.
    let server = HttpServer::start();
    server.route(
        "/huge.crl",
        Response::ok(vec![0x5a; 10])
            .content_length(ContentLength::Value(100_000_000))
            .delay_before_body(Duration::from_secs(5)),
    );
    let url = server.url("/huge.crl");

    let start = Instant::now();
    let result = fetcher().max_bytes(1000).fetch(&url);

    assert_eq!(result, Err(FetchError::TooLarge { url, limit: 1000 }));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_body_of_exactly_the_limit_is_accepted() {
    let server = HttpServer::start();
    let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    server.route(
        "/exact.crl",
        Response::ok(body.clone()).content_length(ContentLength::Omit),
    );
    server.route("/exact-with-length.crl", Response::ok(body.clone()));
    let fetcher = fetcher().max_bytes(1000);

    assert_eq!(fetcher.fetch(&server.url("/exact.crl")), Ok(body.clone()));
    assert_eq!(
        fetcher.fetch(&server.url("/exact-with-length.crl")),
        Ok(body)
    );
}

#[test]
fn a_refused_connection_is_a_network_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/ca.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    match &err {
        FetchError::Network { url: u, detail } => {
            assert_eq!(u, &url);
            assert!(detail.to_lowercase().contains("refused"), "{detail}");
        }
        other => panic!("expected a network error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("CRL download from {url} failed: ")),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn non_http_urls_and_garbage_are_unsupported() {
    let fetcher = HttpFetcher::new();
    for url in [
        "ftp://ftp.example.com/pub/ca.crl",
        "ldap://ldap.example.com/CN=Example%20CA,O=Example?certificateRevocationList;binary",
        "ldap:///CN=Example CA,CN=CDP,DC=example,DC=com?certificateRevocationList?base",
        "file:///etc/passwd",
        "garbage",
        "",
        "http://",
        "http:///no-host.crl",
        "http://exa mple.com/ca.crl",
        "http://example.com/\nInjected: yes",
    ] {
        match fetcher.fetch(url) {
            Err(FetchError::UnsupportedUrl { detail, .. }) => {
                assert!(!detail.is_empty(), "{url:?}");
            }
            other => panic!("{url:?}: expected UnsupportedUrl, got {other:?}"),
        }
    }

    let err = fetcher.fetch("ldap://ldap.example.com/cn=ca").unwrap_err();
    assert!(
        matches!(&err, FetchError::UnsupportedUrl { url, detail }
            if url == "ldap://ldap.example.com/cn=ca" && detail.contains("LDAP")),
        "{err:?}"
    );
    let err = fetcher.fetch("ftp://ftp.example.com/ca.crl").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot fetch a CRL from ftp://ftp.example.com/ca.crl: the scheme ftp is not supported: \
         only http and https URLs can be fetched"
    );
    // A line break in a URL is shown escaped, never as a second line.
    let err = fetcher
        .fetch("http://example.com/\nInjected: yes")
        .unwrap_err();
    assert_eq!(err.url(), "http://example.com/\\nInjected: yes");
    assert!(!err.to_string().contains('\n'));
}

#[test]
fn https_needs_the_https_feature() {
    // Nothing listens there: with TLS compiled in, the fetch fails on the network instead.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("https://{addr}/ca.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    if HttpFetcher::supports_https() {
        assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
    } else {
        assert!(
            matches!(&err, FetchError::UnsupportedUrl { detail, .. } if detail.contains("`https` cargo feature")),
            "{err:?}"
        );
    }
}

#[test]
fn passwords_in_urls_are_not_shown() {
    let server = HttpServer::start();
    let url = format!("http://admin:hunter2@{}/missing.crl", server.addr());

    let err = fetcher().fetch(&url).unwrap_err();

    assert_eq!(
        err,
        FetchError::Status {
            url: format!("http://admin:***@{}/missing.crl", server.addr()),
            status: 404
        }
    );
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn a_redirect_is_followed() {
    let server = HttpServer::start();
    let body = binary_body();
    server.route("/old/ca.crl", Response::redirect("/new/ca.crl"));
    server.route(
        "/new/ca.crl",
        Response::redirect(&server.url("/newest/ca.crl")),
    );
    server.route("/newest/ca.crl", Response::ok(body.clone()));

    assert_eq!(fetcher().fetch(&server.url("/old/ca.crl")), Ok(body));
    assert_eq!(server.hits("/old/ca.crl"), 1);
    assert_eq!(server.hits("/new/ca.crl"), 1);
    assert_eq!(server.hits("/newest/ca.crl"), 1);
}

#[test]
fn a_redirect_loop_stops_after_three_redirects() {
    let server = HttpServer::start();
    server.route("/a.crl", Response::redirect("/b.crl"));
    server.route("/b.crl", Response::redirect("/a.crl"));
    let url = server.url("/a.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    assert_eq!(
        err,
        FetchError::Network {
            url,
            detail: "more than 3 redirects".to_owned()
        }
    );
    assert_eq!(server.hits("/a.crl") + server.hits("/b.crl"), 4);
}

#[test]
fn a_redirect_to_ftp_is_not_followed() {
    let server = HttpServer::start();
    server.route(
        "/ca.crl",
        Response::redirect("ftp://ftp.example.com/ca.crl"),
    );
    let url = server.url("/ca.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    match &err {
        FetchError::UnsupportedUrl { url: u, detail } => {
            assert_eq!(u, &url);
            assert!(
                detail.starts_with("redirected to a URL that cannot be fetched"),
                "{detail}"
            );
        }
        other => panic!("expected UnsupportedUrl, got {other:?}"),
    }
    assert_eq!(server.hits("/ca.crl"), 1);
}

#[test]
fn a_redirect_to_https_needs_the_https_feature() {
    // The target is this plain-HTTP server under https: with TLS compiled in, the handshake
    // fails; without it, the fetcher says which feature is missing.
    let server = HttpServer::start();
    let target = format!("https://{}/ca.crl", server.addr());
    server.route("/old.crl", Response::redirect(&target));
    let url = server.url("/old.crl");

    let err = fetcher().fetch(&url).unwrap_err();

    if HttpFetcher::supports_https() {
        assert!(
            matches!(&err, FetchError::Network { url: u, .. } if u == &url),
            "{err:?}"
        );
    } else {
        assert_eq!(
            err,
            FetchError::UnsupportedUrl {
                url,
                detail: "redirected to https, but https URLs need hermes-pki's `https` cargo \
                         feature, which is not enabled in this build (or use a CrlFetcher of \
                         your own)"
                    .to_owned()
            }
        );
    }
}

#[test]
fn a_new_route_is_served_on_the_next_fetch() {
    let server = HttpServer::start();
    let fetcher = HttpFetcher::default().allow_private_addresses(true);
    let url = server.url("/ca.crl");
    server.route("/ca.crl", Response::ok(vec![1, 2, 3]));
    assert_eq!(fetcher.fetch(&url), Ok(vec![1, 2, 3]));
    server.route("/ca.crl", Response::ok(vec![4, 5]));
    assert_eq!(fetcher.fetch(&url), Ok(vec![4, 5]));
    assert_eq!(server.hits("/ca.crl"), 2);
}

#[test]
fn a_fetcher_works_behind_references_and_boxes() {
    let server = HttpServer::start();
    server.route("/ca.crl", Response::ok(vec![9; 10]));
    let fetcher: Box<dyn CrlFetcher> = Box::new(fetcher());
    let by_ref: &dyn CrlFetcher = &fetcher;

    assert_eq!(by_ref.fetch(&server.url("/ca.crl")), Ok(vec![9; 10]));
}
