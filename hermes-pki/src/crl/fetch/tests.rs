use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A server on 127.0.0.1 answering each connection with `answer` (a whole HTTP response),
/// counting connections.
fn serve(answer: String) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (addr, count)
}

#[test]
fn a_redirect_to_a_private_address_is_refused() {
    let (target, target_hits) =
        serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".into());
    let (start, start_hits) = serve(format!(
        "HTTP/1.1 302 Found\r\nLocation: http://{target}/inside\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
    ));
    let url = format!("http://{start}/ca.crl");
    // The first server is let through as if it were public; the redirect's target is not.
    let err = HttpFetcher::new().exempt(start).fetch(&url).unwrap_err();
    assert_eq!(
        err,
        FetchError::ForbiddenAddress {
            url: url.clone(),
            host: "127.0.0.1".into(),
            address: target.ip(),
        }
    );
    assert_eq!(start_hits.load(Ordering::SeqCst), 1);
    assert_eq!(target_hits.load(Ordering::SeqCst), 0);
    // With private addresses allowed, the redirect is followed.
    let fetcher = HttpFetcher::new().allow_private_addresses(true);
    assert!(fetcher.allows_private_addresses());
    assert_eq!(fetcher.fetch(&url), Ok(b"ok".to_vec()));
    assert_eq!(target_hits.load(Ordering::SeqCst), 1);
}

#[test]
fn private_hosts_are_refused_before_any_byte_is_sent() {
    let (addr, hits) =
        serve("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into());
    for url in [
        format!("http://{addr}/ca.crl"),
        format!("http://localhost:{}/ca.crl", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/ca.crl", addr.port()),
    ] {
        match HttpFetcher::new().fetch(&url) {
            Err(FetchError::ForbiddenAddress {
                url: u, address, ..
            }) => {
                assert_eq!(u, url);
                assert!(!is_public(address), "{address}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    assert!(!HttpFetcher::new().allows_private_addresses());
}

#[test]
fn relative_redirects_resolve_against_the_current_url() {
    let base: ureq::http::Uri = "http://a.example:8080/dir/ca.crl?x=1".parse().unwrap();
    for (location, want) in [
        ("/other.crl", "http://a.example:8080/other.crl"),
        ("new.crl", "http://a.example:8080/dir/new.crl"),
        ("?y=2", "http://a.example:8080/dir/ca.crl?y=2"),
        ("//b.example/c.crl", "http://b.example/c.crl"),
        ("http://c.example/d.crl", "http://c.example/d.crl"),
    ] {
        assert_eq!(redirect_target(&base, location).as_deref(), Ok(want));
    }
    let err = redirect_target(&base, "ftp://f.example/x.crl").unwrap_err();
    assert!(
        err.starts_with("redirected to a URL that cannot be fetched"),
        "{err}"
    );
    assert!(redirect_target(&base, "file:///etc/passwd").is_err());
}

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
        FetchError::ForbiddenAddress {
            url: url.clone(),
            host: "crl.example.com".into(),
            address: IpAddr::from([10, 0, 0, 1]),
        },
        FetchError::Skipped {
            url: url.clone(),
            reason: "the refresh deadline (120 s) passed before its turn".into(),
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
        errors[5].to_string(),
        "CRL download from http://crl.example.com/ca.crl refused: crl.example.com resolves \
             to 10.0.0.1, which is not a public address (loopback, private, link-local or \
             reserved); allow it with the setting crl-fetch-allow-private \
             (HttpFetcher::allow_private_addresses)"
    );
    assert_eq!(
        errors[1].to_string(),
        "CRL download from http://crl.example.com/ca.crl failed: the server answered HTTP 404 Not Found"
    );
}
