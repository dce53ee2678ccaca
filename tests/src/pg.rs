//! The PostgreSQL server of the PostgreSQL store's tests, and a fresh database per test.
//!
//! The rule (also in the README): the tests read `HERMES_PKI_TEST_PG_URL`, the URL of a role
//! that may create databases on a throwaway server (`scripts/test.sh` starts one with
//! `scripts/pg-test-cluster.sh` and sets it). When it is unset the tests **fail** — unless
//! `HERMES_PKI_TEST_PG_SKIP=1` is set *and* `CI` is not: then each PostgreSQL test prints a
//! notice and passes without running (for a developer's machine without PostgreSQL; CI never
//! skips).

use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

/// The server's admin URL, or `None` when the developer opted out (notice printed). Panics
/// (failing the test) when the URL is unset and no opt-out applies.
pub fn admin_url(test: &str) -> Option<String> {
    match std::env::var("HERMES_PKI_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let skip = std::env::var("HERMES_PKI_TEST_PG_SKIP").is_ok_and(|v| v == "1");
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
            if skip && !ci {
                eprintln!(
                    "NOTICE: {test}: PostgreSQL test not run (HERMES_PKI_TEST_PG_SKIP=1 and no \
                     HERMES_PKI_TEST_PG_URL)"
                );
                None
            } else {
                panic!(
                    "{test}: HERMES_PKI_TEST_PG_URL is not set. The PostgreSQL store's tests \
                     need a server: run scripts/test.sh (it starts one), or start one with \
                     `scripts/pg-test-cluster.sh start DIR` and export the URL it prints; \
                     without PostgreSQL, set HERMES_PKI_TEST_PG_SKIP=1 to skip these tests \
                     (never under CI)"
                )
            }
        }
    }
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let (head, rest) = url.split_at(start);
    let query = rest.find('?').map_or("", |q| &rest[q..]);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    format!("{head}{authority}/{db}{query}")
}

/// A database created for one test and dropped (with its connections) at the end.
pub struct TestDb {
    /// The URL of the database.
    pub url: String,
    name: String,
    admin: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new empty database, or `None` when the tests are skipped (see [`admin_url`]).
    pub fn new(test: &str) -> Option<TestDb> {
        let admin = admin_url(test)?;
        let tag: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let name = format!(
            "hpki_{tag}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = Client::connect(&admin, NoTls).expect("connect to the test server");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a test database");
        Some(TestDb {
            url: with_database(&admin, &name),
            name,
            admin,
        })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A client on the database (for checks made in SQL).
    pub fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(&self.admin, NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
