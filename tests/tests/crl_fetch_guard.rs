//! CRL fetching hardened (issue 20): a local server is refused unless private addresses are
//! allowed (by the fetcher's option or the gateway setting `crl-fetch-allow-private`), a
//! refresh keeps to its deadline with a server that never answers, and downloads run at most
//! `concurrency` at once, counted at the server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hermes_pki::ca::{CaSpec, CrlSpec, DistinguishedName, IssueSpec};
use hermes_pki::crl::{
    CrlFetcher, FetchError, HttpFetcher, RefreshLimit, RefreshOptions, UrlOutcome,
};
use hermes_pki::key::KeySpec;
use hermes_pki::pki::Pki;
use hermes_pki::settings::SettingKey;
use hermes_pki::store::{MemoryStore, SettingScope};
use hermes_pki::time::{FixedClock, from_unix_seconds};
use hermes_pki_tests::http_server::{HttpServer, Response};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn clock() -> FixedClock {
    FixedClock(from_unix_seconds(NOW))
}

/// A gateway with a CA, and certificates issued with the distribution points `urls`.
fn gateway(urls: &[String]) -> Pki {
    let pki = Pki::new(MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Guard Root")).key(KeySpec::EcP256),
            &clock(),
        )
        .unwrap();
    for (i, url) in urls.iter().enumerate() {
        pki.ca()
            .issue(
                &IssueSpec::new(format!("user{i}@example.com"), format!("User {i}"))
                    .key(KeySpec::EcP256)
                    .crl_distribution_point(url.clone()),
                &clock(),
            )
            .unwrap();
    }
    pki
}

fn allow_private(pki: &Pki, on: bool) {
    pki.settings()
        .set_text(
            &SettingScope::Global,
            SettingKey::CrlFetchAllowPrivate,
            if on { "on" } else { "off" },
        )
        .unwrap();
}

#[test]
fn a_local_server_is_refused_unless_private_addresses_are_allowed() {
    let server = HttpServer::start();
    server.route("/ca.crl", Response::ok(vec![1, 2, 3]));
    let url = server.url("/ca.crl");

    let err = HttpFetcher::new().fetch(&url).unwrap_err();
    assert_eq!(
        err,
        FetchError::ForbiddenAddress {
            url: url.clone(),
            host: "127.0.0.1".to_owned(),
            address: server.addr().ip(),
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("not a public address") && text.contains("crl-fetch-allow-private"),
        "{text}"
    );
    assert_eq!(server.hits("/ca.crl"), 0);

    let allowed = HttpFetcher::new().allow_private_addresses(true);
    assert_eq!(allowed.fetch(&url), Ok(vec![1, 2, 3]));
    assert_eq!(server.hits("/ca.crl"), 1);
}

#[test]
fn the_gateway_setting_decides_for_a_refresh() {
    let server = HttpServer::start();
    let url = server.url("/root.crl");
    let pki = gateway(std::slice::from_ref(&url));
    // The CA's CRL, taken out of the store so that only the fetch brings it back.
    let root_id = pki.ca().list().unwrap()[0].id;
    let crl = pki
        .ca()
        .create_crl(&CrlSpec::new(root_id), &clock())
        .unwrap();
    pki.crls().delete(crl.id()).unwrap();
    server.route("/root.crl", Response::ok(crl.der().to_vec()));

    // Default: off.
    let fetcher = pki.crl_fetcher().unwrap();
    assert!(!fetcher.allows_private_addresses());
    let report = pki
        .crls()
        .refresh(&fetcher, &RefreshOptions::new(), &clock())
        .unwrap();
    assert_eq!(report.urls.len(), 1);
    assert!(
        matches!(
            &report.urls[0].outcome,
            UrlOutcome::FetchFailed(FetchError::ForbiddenAddress { address, .. })
                if address.is_loopback()
        ),
        "{report:?}"
    );
    assert_eq!(server.hits("/root.crl"), 0);

    allow_private(&pki, true);
    let fetcher = pki.crl_fetcher().unwrap();
    assert!(fetcher.allows_private_addresses());
    let report = pki
        .crls()
        .refresh(&fetcher, &RefreshOptions::new().force(true), &clock())
        .unwrap();
    assert!(
        matches!(&report.urls[0].outcome, UrlOutcome::Imported(i) if i[0].is_stored_valid()),
        "{report:?}"
    );
    assert_eq!(server.hits("/root.crl"), 1);

    allow_private(&pki, false);
    assert!(!pki.crl_fetcher().unwrap().allows_private_addresses());
}

/// A server that accepts connections and never answers (it keeps them open).
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

#[test]
fn a_refresh_keeps_to_its_deadline_with_a_server_that_never_answers() {
    let addr = silent_server();
    let urls: Vec<String> = (0..3).map(|i| format!("http://{addr}/{i}.crl")).collect();
    let pki = gateway(&urls);
    allow_private(&pki, true);
    // The fetcher's own timeout (30 s) is far beyond the deadline.
    let fetcher = pki.crl_fetcher().unwrap();
    let options = RefreshOptions::new()
        .deadline(Duration::from_secs(1))
        .concurrency(1);

    let start = Instant::now();
    let report = pki.crls().refresh(&fetcher, &options, &clock()).unwrap();
    let took = start.elapsed();

    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(report.urls.len(), 3, "{report:?}");
    assert_eq!(report.urls[0].url, urls[0]);
    assert!(
        matches!(
            &report.urls[0].outcome,
            UrlOutcome::FetchFailed(FetchError::Timeout { url }) if url == &urls[0]
        ),
        "{report:?}"
    );
    for u in &report.urls[1..] {
        assert!(
            matches!(&u.outcome, UrlOutcome::FetchFailed(FetchError::Skipped { reason, .. })
                if reason.contains("deadline")),
            "{u:?}"
        );
    }
    assert_eq!(report.failures().count(), 3);
    assert_eq!(
        report.limits,
        [RefreshLimit::Deadline {
            deadline: Duration::from_secs(1),
            skipped: 2
        }]
    );
}

/// A server that holds every request for `hold` before answering 404, counting the most
/// connections open at once.
fn counting_server(hold: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&most);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let active = Arc::clone(&active);
            let most = Arc::clone(&seen);
            thread::spawn(move || {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let mut stream = stream;
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                thread::sleep(hold);
                // Counted out before answering: the client may connect again at once.
                active.fetch_sub(1, Ordering::SeqCst);
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            });
        }
    });
    (addr, most)
}

#[test]
fn downloads_run_at_most_concurrency_at_once_counted_at_the_server() {
    let (addr, most) = counting_server(Duration::from_millis(300));
    let urls: Vec<String> = (0..8).map(|i| format!("http://{addr}/{i}.crl")).collect();
    let pki = gateway(&urls);
    allow_private(&pki, true);
    let fetcher = pki.crl_fetcher().unwrap();

    let report = pki
        .crls()
        .refresh(&fetcher, &RefreshOptions::new().concurrency(3), &clock())
        .unwrap();

    assert_eq!(report.urls.len(), 8);
    assert!(report.urls.iter().all(|u| matches!(
        u.outcome,
        UrlOutcome::FetchFailed(FetchError::Status { status: 404, .. })
    )));
    let most = most.load(Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most} connections at once");
    // The default is 4.
    assert_eq!(RefreshOptions::new().get_concurrency(), 4);
}
