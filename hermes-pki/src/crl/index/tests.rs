use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Revocation};
use crate::cert::Certificate;
use crate::crl::{CrlChecker, Crls, RevocationReason};
use crate::key::{KeyId, KeySpec};
use crate::revocation::{RevocationChecker, RevocationStatus};
use crate::store::{
    CrlEntries, CrlStatus, MemoryStore, NewCrl, SqliteStore, Store, StoreExt, Transaction,
};
use crate::time::{FixedClock, add_days, from_unix_seconds};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn now() -> SystemTime {
    from_unix_seconds(NOW)
}

/// Serials of every shape a search must tell apart: short and long, sharing their first 8
/// bytes (the index's heads) and differing only after them, prefixes of each other, and
/// differing only in their length.
fn serials() -> Vec<Serial> {
    let mut v: Vec<Vec<u8>> = vec![
        vec![0],
        vec![1],
        vec![1, 0],
        vec![1, 0, 0],
        vec![0x7f],
        vec![0xff],
        vec![1, 2, 3, 4, 5, 6, 7],
        vec![1, 2, 3, 4, 5, 6, 7, 8],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 0],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        vec![1, 2, 3, 4, 5, 6, 7, 8, 0xff],
        vec![0x40; 20],
        vec![0x40; 21],
    ];
    // Twenty-byte serials with a fixed 12-byte prefix and a counter (a CA that numbers its
    // certificates this way gives every one the same head).
    for i in 0u64..300 {
        let mut s = vec![0x5a; 12];
        s.extend_from_slice(&(i * 7).to_be_bytes());
        v.push(s);
    }
    // And pseudo-random 16-byte ones.
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..500 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut s = x.to_be_bytes().to_vec();
        s.extend_from_slice(&x.rotate_left(17).to_be_bytes());
        s[0] |= 0x01;
        v.push(s);
    }
    v.iter().map(|s| Serial::from_bytes(s)).collect()
}

/// Entries for `serials`, with a mix of reasons and dates (some before 1970).
fn entries(serials: &[Serial]) -> Vec<RevokedEntry> {
    serials
        .iter()
        .enumerate()
        .map(|(i, s)| RevokedEntry {
            serial: s.clone(),
            date: from_unix_seconds(NOW - 86_400 * i64::try_from(i).unwrap() * 40),
            reason: [None, Some(1), Some(4), Some(6), Some(0)][i % 5],
        })
        .collect()
}

/// Serials near the listed ones that are not listed: each with a byte more, one less, and
/// its last byte changed.
fn unlisted(listed: &[Serial]) -> Vec<Serial> {
    let mut out = Vec::new();
    for s in listed {
        let b = s.as_bytes();
        let mut longer = b.to_vec();
        longer.push(0x33);
        out.push(Serial::from_bytes(&longer));
        if b.len() > 1 {
            out.push(Serial::from_bytes(&b[..b.len() - 1]));
        }
        let mut changed = b.to_vec();
        if let Some(last) = changed.last_mut() {
            *last = last.wrapping_add(1);
        }
        out.push(Serial::from_bytes(&changed));
    }
    out.retain(|s| !listed.contains(s));
    out.push(Serial::from_bytes(&[0x99; 40]));
    out
}

/// A CRL record to store directly (not a real CRL: the index reads only the entries).
fn synthetic(tag: u8, issuer: &[u8], number: u8, entries: &[RevokedEntry]) -> NewCrl {
    NewCrl {
        record: CrlRecord {
            id: CrlId::placeholder(),
            sha256: [tag; 32],
            issuer: format!("CN=Synthetic {tag}"),
            issuer_der: issuer.to_vec(),
            number: Some(vec![number]),
            delta_base: None,
            scope: Vec::new(),
            this_update: now(),
            next_update: Some(add_days(now(), 7)),
            signer_key: Some(KeyId::of_public_key_der(issuer)),
            status: CrlStatus::Valid,
            entries: u64::try_from(entries.len()).unwrap(),
            source: None,
            stored_at: now(),
        },
        der: vec![0x30, 0x00, tag],
    }
}

fn put(store: &dyn Store, crl: &NewCrl, entries: &[RevokedEntry]) -> CrlRecord {
    let id = store
        .transaction(|tx: &mut dyn Transaction| tx.insert_crl(crl, &CrlEntries::new(entries)?))
        .unwrap();
    store.read_transaction(|tx| tx.crl(id)).unwrap().unwrap()
}

fn assert_index_matches_store(store: &dyn Store, entries: &[RevokedEntry]) {
    let record = put(store, &synthetic(1, b"issuer", 1, entries), entries);
    let listed: Vec<Serial> = entries.iter().map(|e| e.serial.clone()).collect();
    let cache = IndexCache::new(4, 1 << 30);
    store
        .read_transaction(|tx| {
            let index = cache.index(tx, &record)?.expect("indexed");
            assert_eq!(index.len(), entries.len());
            for s in &listed {
                let stored = tx.crl_entry(record.id, s)?;
                assert!(stored.is_some(), "{s}");
                assert_eq!(index.get(s), stored, "{s}");
            }
            for s in unlisted(&listed) {
                assert_eq!(tx.crl_entry(record.id, &s)?, None, "{s}");
                assert_eq!(index.get(&s), None, "{s}");
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_index_answers_as_the_memory_store() {
    let mut e = entries(&serials());
    // A date with a fraction of a second (every store keeps whole seconds), and one before
    // 1970 with a fraction.
    e[3].date = now() + Duration::from_millis(250);
    e[4].date = UNIX_EPOCH - Duration::from_millis(1_500);
    assert_index_matches_store(&MemoryStore::new(), &e);
}

#[test]
fn the_index_answers_as_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_default(dir.path()).unwrap();
    assert_index_matches_store(&store, &entries(&serials()));
}

#[test]
fn entries_given_out_of_order_are_indexed_in_order() {
    let listed = serials();
    let mut e = entries(&listed);
    e.reverse();
    let index = CrlIndex::new(CrlEntries::new(&e).unwrap());
    assert_eq!(index.len(), e.len());
    for entry in &e {
        assert_eq!(index.get(&entry.serial).as_ref(), Some(entry));
    }
    for s in unlisted(&listed) {
        assert_eq!(index.get(&s), None, "{s}");
    }
    let empty = CrlIndex::new(CrlEntries::default());
    assert_eq!(empty.get(&listed[0]), None);
}

/// A store with a CA (issuing under a root), Alice and Bob.
struct World<S: Store> {
    store: S,
    ca: crate::store::CaId,
    issuer: Certificate,
    alice: Certificate,
    bob: Certificate,
}

fn world<S: Store>(store: S) -> World<S> {
    let clock = FixedClock(now());
    let ca = CertificateAuthority::new(&store);
    let pair = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Index Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Index Mail CA")),
            &clock,
        )
        .unwrap();
    let issue = |email: &str| {
        ca.issue(&IssueSpec::new(email, email).key(KeySpec::EcP256), &clock)
            .unwrap()
            .certificate()
            .clone()
    };
    let alice = issue("alice@example.com");
    let bob = issue("bob@example.com");
    World {
        ca: pair.issuing().id,
        issuer: pair.issuing_certificate().clone(),
        store,
        alice,
        bob,
    }
}

impl<S: Store> World<S> {
    /// A CRL of the mail CA listing exactly `revoked` (and 2,000 other serials), stored.
    fn crl(&self, store: &S, revoked: &[(&Certificate, RevocationReason)], day: i64) -> CrlRecord {
        let mut spec = CrlSpec::new(self.ca).only_these(true);
        for (cert, reason) in revoked {
            spec = spec.revocation(
                Revocation::new(cert.serial().clone())
                    .reason(*reason)
                    .date(add_days(now(), day - 1)),
            );
        }
        for i in 0u32..2_000 {
            let mut s = vec![0x70];
            s.extend_from_slice(&i.to_be_bytes());
            spec = spec.revocation(Revocation::new(Serial::from_bytes(&s)).external(true));
        }
        let created = CertificateAuthority::new(store)
            .create_crl(&spec, &FixedClock(add_days(now(), day)))
            .unwrap();
        Crls::new(store).get(created.id()).unwrap()
    }

    fn status(
        &self,
        store: &S,
        cache: &IndexCache,
        cert: &Certificate,
        day: i64,
    ) -> RevocationStatus {
        store
            .read_transaction(|tx| {
                CrlChecker::new(tx).index_cache(cache).status(
                    cert,
                    &self.issuer,
                    add_days(now(), day),
                )
            })
            .unwrap()
    }
}

#[test]
fn the_checker_answers_from_the_index_as_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(SqliteStore::open_default(dir.path()).unwrap());
    let record = w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
    let indexed = IndexCache::new(4, 1 << 30);
    // No room for any index: every lookup goes to the store.
    let unindexed = IndexCache::new(4, 0);
    for cert in [&w.alice, &w.bob] {
        let from_index = w.status(&w.store, &indexed, cert, 1);
        let from_store = w.status(&w.store, &unindexed, cert, 1);
        assert_eq!(from_index, from_store);
    }
    assert_eq!(
        w.status(&w.store, &indexed, &w.alice, 1),
        RevocationStatus::Revoked {
            reason: Some(RevocationReason::KeyCompromise),
            date: add_days(now(), 0),
        }
    );
    assert!(matches!(
        w.status(&w.store, &indexed, &w.bob, 1),
        RevocationStatus::Good { .. }
    ));
    assert!(indexed.has_index(&record));
    assert_eq!(unindexed.usage(), (0, 0));
}

#[test]
fn a_newer_crl_written_through_another_handle_replaces_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(SqliteStore::open_default(dir.path()).unwrap());
    let cache = IndexCache::new(4, 1 << 30);
    let first = w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
    assert!(matches!(
        w.status(&w.store, &cache, &w.alice, 1),
        RevocationStatus::Revoked { .. }
    ));
    assert!(matches!(
        w.status(&w.store, &cache, &w.bob, 1),
        RevocationStatus::Good { .. }
    ));
    assert!(cache.has_index(&first));

    // Another handle on the same file (as another process would) replaces the CRL: Alice
    // is no longer listed, Bob is.
    let other = SqliteStore::open_default(dir.path()).unwrap();
    let second = w.crl(&other, &[(&w.bob, RevocationReason::Superseded)], 2);
    assert_ne!(second.id, first.id);
    assert_eq!(Crls::new(&w.store).list().unwrap(), vec![second.clone()]);

    // The first handle answers from the new CRL, not from the index it built.
    assert!(matches!(
        w.status(&w.store, &cache, &w.alice, 2),
        RevocationStatus::Good { .. }
    ));
    assert_eq!(
        w.status(&w.store, &cache, &w.bob, 2),
        RevocationStatus::Revoked {
            reason: Some(RevocationReason::Superseded),
            date: add_days(now(), 1),
        }
    );
    assert!(cache.has_index(&second));
    // The replaced CRL's index was dropped when the newer one's was asked for.
    assert!(!cache.has_index(&first));
    assert_eq!(cache.usage().0, 1);
}

#[test]
fn the_process_cache_follows_a_crl_replaced_in_a_memory_store() {
    let w = world(MemoryStore::new());
    let cache = IndexCache::global();
    let first = w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
    assert!(matches!(
        w.status(&w.store, cache, &w.alice, 1),
        RevocationStatus::Revoked { .. }
    ));
    let second = w.crl(&w.store, &[(&w.bob, RevocationReason::CaCompromise)], 2);
    assert!(matches!(
        w.status(&w.store, cache, &w.alice, 2),
        RevocationStatus::Good { .. }
    ));
    assert!(matches!(
        w.status(&w.store, cache, &w.bob, 2),
        RevocationStatus::Revoked {
            reason: Some(RevocationReason::CaCompromise),
            ..
        }
    ));
    assert!(!cache.has_index(&first));
    assert!(cache.has_index(&second));
    // Deleting the CRL drops its index.
    Crls::new(&w.store).delete(second.id).unwrap();
    assert!(!cache.has_index(&second));
}

#[test]
fn the_cache_evicts_the_least_recently_used() {
    let store = MemoryStore::new();
    let e = entries(&serials());
    let a = put(&store, &synthetic(1, b"issuer a", 1, &e), &e);
    let b = put(&store, &synthetic(2, b"issuer b", 1, &e), &e);
    let c = put(&store, &synthetic(3, b"issuer c", 1, &e), &e);
    let cache = IndexCache::new(2, 1 << 30);
    let use_ = |r: &CrlRecord| {
        store
            .read_transaction(|tx| cache.index(tx, r))
            .unwrap()
            .unwrap()
    };
    use_(&a);
    use_(&b);
    use_(&a);
    use_(&c);
    assert_eq!(cache.usage().0, 2);
    assert!(cache.has_index(&a));
    assert!(!cache.has_index(&b));
    assert!(cache.has_index(&c));

    // Bounded by bytes: room for one index only.
    let one = use_(&a).bytes();
    let small = IndexCache::new(8, one + one / 2);
    let use_small = |r: &CrlRecord| store.read_transaction(|tx| small.index(tx, r)).unwrap();
    assert!(use_small(&a).is_some());
    assert!(use_small(&b).is_some());
    assert_eq!(small.usage(), (1, one));
    assert!(!small.has_index(&a));
    assert!(small.has_index(&b));
    // A CRL too big for the cache is not indexed (its entries are looked up in the store).
    let tiny = IndexCache::new(8, one / 2);
    assert!(
        store
            .read_transaction(|tx| tiny.index(tx, &a))
            .unwrap()
            .is_none()
    );
    assert_eq!(tiny.usage().1, 0);
}

#[test]
fn concurrent_first_lookups_share_one_index() {
    let store = MemoryStore::new();
    let e = entries(&serials());
    let record = put(&store, &synthetic(1, b"issuer", 1, &e), &e);
    let cache = IndexCache::new(4, 1 << 30);
    let built: Vec<Arc<CrlIndex>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    store
                        .read_transaction(|tx| cache.index(tx, &record))
                        .unwrap()
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(built.iter().all(|b| Arc::ptr_eq(b, &built[0])));
    assert_eq!(cache.usage(), (1, built[0].bytes()));
}

/// The SQLite store answers a read transaction's CRL records from its read connection's
/// cache while nothing was committed; these lookups run against such a cache, each change
/// made right after a lookup that filled it, and the very next lookup must see the change.
mod sqlite_record_cache {
    use super::*;

    fn revoked(status: &RevocationStatus) -> bool {
        matches!(status, RevocationStatus::Revoked { .. })
    }

    fn good(status: &RevocationStatus) -> bool {
        matches!(status, RevocationStatus::Good { .. })
    }

    /// Lookups of Alice and Bob on `store` (one read transaction each, as a gateway makes
    /// them), twice: the second pair is answered from the connection's cache.
    fn look(w: &World<SqliteStore>, cache: &IndexCache, day: i64) -> (bool, bool) {
        let first = (
            revoked(&w.status(&w.store, cache, &w.alice, day)),
            revoked(&w.status(&w.store, cache, &w.bob, day)),
        );
        let again = (
            revoked(&w.status(&w.store, cache, &w.alice, day)),
            revoked(&w.status(&w.store, cache, &w.bob, day)),
        );
        assert_eq!(first, again);
        first
    }

    fn setup() -> (tempfile::TempDir, World<SqliteStore>, IndexCache) {
        let dir = tempfile::tempdir().unwrap();
        let w = world(SqliteStore::open_default(dir.path()).unwrap());
        (dir, w, IndexCache::new(4, 1 << 30))
    }

    #[test]
    fn a_newer_crl_through_another_handle_is_seen_by_the_next_lookup() {
        let (dir, w, cache) = setup();
        let other = SqliteStore::open_default(dir.path()).unwrap();
        w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
        assert_eq!(look(&w, &cache, 1), (true, false));
        w.crl(&other, &[(&w.bob, RevocationReason::KeyCompromise)], 2);
        assert_eq!(look(&w, &cache, 2), (false, true));
        // A serial revoked (a newer CRL adds it) through the other handle.
        w.crl(
            &other,
            &[
                (&w.alice, RevocationReason::KeyCompromise),
                (&w.bob, RevocationReason::KeyCompromise),
            ],
            3,
        );
        assert_eq!(look(&w, &cache, 3), (true, true));
    }

    #[test]
    fn a_crl_deleted_through_another_handle_is_gone_for_the_next_lookup() {
        let (dir, w, cache) = setup();
        let other = SqliteStore::open_default(dir.path()).unwrap();
        let record = w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
        assert_eq!(look(&w, &cache, 1), (true, false));
        assert!(good(&w.status(&w.store, &cache, &w.bob, 1)));
        Crls::new(&other).delete(record.id).unwrap();
        assert_eq!(
            w.status(&w.store, &cache, &w.alice, 1),
            RevocationStatus::Unknown
        );
        assert_eq!(
            w.status(&w.store, &cache, &w.bob, 1),
            RevocationStatus::Unknown
        );
    }

    #[test]
    fn changes_through_the_same_handle_are_seen_by_the_next_lookup() {
        let (_dir, w, cache) = setup();
        let record = w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
        assert_eq!(look(&w, &cache, 1), (true, false));
        let newer = w.crl(&w.store, &[(&w.bob, RevocationReason::KeyCompromise)], 2);
        assert_ne!(newer.id, record.id);
        assert_eq!(look(&w, &cache, 2), (false, true));
        Crls::new(&w.store).delete(newer.id).unwrap();
        assert_eq!(
            w.status(&w.store, &cache, &w.bob, 2),
            RevocationStatus::Unknown
        );
        assert_eq!(
            w.status(&w.store, &cache, &w.alice, 2),
            RevocationStatus::Unknown
        );
    }

    #[test]
    fn every_pooled_read_connection_sees_a_change() {
        let (dir, w, cache) = setup();
        let other = SqliteStore::open_default(dir.path()).unwrap();
        w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
        let at = add_days(now(), 1);
        let in_tx = |tx: &dyn crate::store::ReadTransaction, cert: &Certificate| {
            CrlChecker::new(tx)
                .index_cache(&cache)
                .status(cert, &w.issuer, at)
                .unwrap()
        };
        // Three read transactions open at once: three pooled connections, each caching the
        // issuer's records.
        let fill = || {
            w.store
                .read_transaction(|a| {
                    w.store.read_transaction(|b| {
                        w.store.read_transaction(|c| {
                            Ok([in_tx(a, &w.alice), in_tx(b, &w.alice), in_tx(c, &w.alice)])
                        })
                    })
                })
                .unwrap()
        };
        assert!(fill().iter().all(revoked));
        w.crl(&other, &[(&w.bob, RevocationReason::KeyCompromise)], 1);
        assert!(fill().iter().all(|s| !revoked(s)));
    }

    #[test]
    fn a_read_transaction_keeps_its_snapshot() {
        let (dir, w, cache) = setup();
        let other = SqliteStore::open_default(dir.path()).unwrap();
        w.crl(&w.store, &[(&w.alice, RevocationReason::KeyCompromise)], 1);
        let at = add_days(now(), 1);
        w.store
            .read_transaction(|tx| {
                let status = |cert: &Certificate| {
                    CrlChecker::new(tx)
                        .index_cache(&cache)
                        .status(cert, &w.issuer, at)
                };
                assert!(revoked(&status(&w.alice)?));
                // Committed meanwhile by another handle: not in this transaction's snapshot.
                w.crl(&other, &[(&w.bob, RevocationReason::KeyCompromise)], 1);
                assert!(revoked(&status(&w.alice)?));
                assert!(good(&status(&w.bob)?));
                Ok(())
            })
            .unwrap();
        assert_eq!(look(&w, &cache, 1), (false, true));
    }
}
